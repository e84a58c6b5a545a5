package main

import (
	"os/exec"
	"strings"
	"testing"
)

// Every job starts this binary: it must stay the sandbox alone, not grow
// the host's start-up back (gRPC, plugins, databases, metrics).
func TestLinksTheSandboxAlone(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/openlaunchpad/launchpad/"
	allowed := map[string]bool{
		"cmd/launchpad-sandbox-init": true, "host/sandbox": true,
		"host/sandbox/jobobject": true, "host/sandbox/workers": true,
	}
	for _, p := range strings.Fields(string(out)) {
		own, ok := strings.CutPrefix(p, mod)
		switch {
		case ok && !allowed[own]:
			t.Errorf("links %s", p)
		case strings.HasPrefix(p, "google.golang.org/grpc"), strings.HasPrefix(p, "modernc.org/sqlite"),
			strings.HasPrefix(p, "github.com/microsoft/go-mssqldb"), strings.HasPrefix(p, "github.com/hashicorp/go-plugin"),
			strings.HasPrefix(p, "github.com/prometheus/"):
			t.Errorf("links %s", p)
		}
	}
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
