package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two dev hosts started from one build (two state folders, one bin/plugins)
// both keep working: neither re-signs launchers the other trusts.
func TestDev_TwoHostsOnOneBuildBothWork(t *testing.T) {
	shared := filepath.Join(filepath.Dir(theHost.bin), "plugins")
	before := sigFiles(t, shared)
	second := startSharedHost(t, fmt.Sprintf("sandbox {\n  uid_base = %d\n  workers = 2\n}\n", extraUIDBase(0)))
	script := "OutputDataSet = InputDataSet"
	query := "SELECT 1 AS one"
	for i, h := range []*host{second, theHost, second} {
		r := h.exec(t, "--language", "Python", "--input-query", query, "--script", script, "--format", "csv")
		if r.code != 0 || !strings.Contains(r.stdout, "one\n1\n") {
			t.Fatalf("job %d on %s: exit %d\nstdout: %s\nstderr: %s", i, h.state, r.code, r.stdout, r.stderr)
		}
	}
	if after := sigFiles(t, shared); after != before {
		t.Errorf("a dev host changed signatures in the shared plugin folder %s:\nbefore: %s\nafter:  %s", shared, before, after)
	}
}

// sigFiles lists the signature files of a plugin folder with their contents.
func sigFiles(t *testing.T, dir string) string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "*.minisig"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s=%x;", filepath.Base(m), data)
	}
	return b.String()
}
