package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// TestDevWorkRoot_RandomReusedNeverAPlant: the dev work root is a fresh
// random folder in /var/tmp, reused while it is ours, replaced when the
// recorded path has become someone's symlink.
func TestDevWorkRoot_RandomReusedNeverAPlant(t *testing.T) {
	state := t.TempDir()
	log := hclog.NewNullLogger()
	first, err := devWorkRoot(state, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(first) })
	if !strings.HasPrefix(first, devWorkRootPrefix) {
		t.Fatalf("work root %s", first)
	}
	again, err := devWorkRoot(state, log)
	if err != nil || again != first {
		t.Fatalf("second start: %s, %v; want %s reused", again, err, first)
	}
	other, err := devWorkRoot(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(other) })
	if other == first {
		t.Fatalf("two state folders share the work root %s", first)
	}
	// The host removed its empty work root; a local user plants a link there.
	victim := t.TempDir()
	if err := os.Remove(first); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, first); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(first) })
	fresh, err := devWorkRoot(state, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(fresh) })
	if fresh == first || filepath.Dir(fresh) != "/var/tmp" {
		t.Fatalf("after the plant: %s, want a fresh folder", fresh)
	}
}
