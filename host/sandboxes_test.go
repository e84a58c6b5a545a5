package host

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Jobs start through launchpad-sandbox-init when it lies beside the host,
// through the host's own binary when it does not, and never through one
// another account could have written.
func TestSandboxInit_BesideTheHostOrTheHostItself(t *testing.T) {
	dir := t.TempDir()
	self := filepath.Join(dir, "launchpad-host")
	if err := os.WriteFile(self, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := sandboxInit(self); err != nil || got != self {
		t.Errorf("without it: %q, %v; want the host's own binary", got, err)
	}
	side := filepath.Join(dir, SandboxInitName)
	if err := os.WriteFile(side, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := sandboxInit(self); err != nil || got != side {
		t.Errorf("beside it: %q, %v; want %s", got, err, side)
	}
	if err := os.Chmod(side, 0o757); err != nil {
		t.Fatal(err)
	}
	if _, err := sandboxInit(self); err == nil || !strings.Contains(err.Error(), "writable by other accounts") {
		t.Errorf("world-writable: %v, want refused", err)
	}
	if err := os.Chmod(side, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := os.Chown(side, 12345, 12345); err != nil {
			t.Fatal(err)
		}
		if _, err := sandboxInit(self); err == nil || !strings.Contains(err.Error(), "not owned") {
			t.Errorf("another account's: %v, want refused", err)
		}
		if err := os.Chown(side, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(side); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(side, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := sandboxInit(self); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder: %v, want refused", err)
	}
}
