package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/cmd/internal/linktest"
)

// The caller's binary starts in milliseconds because it links nothing of
// the host: this fails the day an import drags the host (the catalog,
// SQLite, go-plugin, Prometheus) into it.
func TestLinksNoHostPackage(t *testing.T) {
	linktest.Only(t, []string{"cmd/launchpad", "cmd/internal/cli", "cmd/internal/clientcmd", "client",
		"host/api/proto", "host/sqltype", "host/tsql", "sdk/bxl", "internal/untrusted"},
		"modernc.org/sqlite", "github.com/microsoft/go-mssqldb", "github.com/hashicorp/", "github.com/prometheus/")
}

// Every command but the caller's is launchpad-host's, found beside the
// binary; without it the error says where it looked.
func TestOtherCommandsRunTheHostBinary(t *testing.T) {
	dir := t.TempDir()
	for _, b := range [][2]string{{"launchpad", "."}, {"launchpad-host", "../launchpad-host"}} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, b[0]), b[1]).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b[1], err, out)
		}
	}
	lp := filepath.Join(dir, "launchpad")
	out, err := exec.Command(lp, "config", "validate", "-h").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "usage: launchpad config validate") {
		t.Fatalf("config validate -h: %v\n%s", err, out)
	}
	out, err = exec.Command(lp, "nonsense").CombinedOutput()
	if code := exitCode(err); code != 2 || !strings.Contains(string(out), `unknown command "nonsense"`) {
		t.Errorf("unknown command: exit %d\n%s", code, out)
	}
	if err := os.Remove(filepath.Join(dir, "launchpad-host")); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(lp, "key", "generate", "--out", filepath.Join(dir, "k")).CombinedOutput()
	if code := exitCode(err); code != 1 || !strings.Contains(string(out), filepath.Join(dir, "launchpad-host")) {
		t.Errorf("without launchpad-host: exit %d\n%s", code, out)
	}
	// The caller's commands need no host binary.
	out, err = exec.Command(lp, "exec", "-h").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "-input-query") {
		t.Errorf("exec -h without launchpad-host: %v\n%s", err, out)
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}
