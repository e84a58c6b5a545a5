package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/cmd/internal/linktest"
)

// Every job starts this binary: it must stay sandbox-init alone, not grow
// the host's start-up back (cgroups, gRPC, plugins, databases, metrics).
func TestLinksTheSandboxAlone(t *testing.T) {
	linktest.Only(t, []string{"cmd/launchpad-sandbox-init", "host/sandbox/confine"},
		"google.golang.org/grpc", "modernc.org/sqlite", "github.com/microsoft/go-mssqldb",
		"github.com/hashicorp/go-plugin", "github.com/prometheus/")
}

// Run by hand it says what it is and fails, and does nothing else.
func TestRefusesToRunByHand(t *testing.T) {
	bin := t.TempDir() + "/launchpad-sandbox-init"
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{nil, {"version"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
			t.Errorf("%v: %v, want exit status 2", args, err)
		}
		if !strings.Contains(string(out), "not run by hand") {
			t.Errorf("%v: %q", args, out)
		}
	}
}
