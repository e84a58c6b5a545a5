package confine

import (
	"testing"

	seccomp "github.com/elastic/go-seccomp-bpf"
)

// Every name of the profile exists in this architecture's table (the library
// refuses unknown names, so a typo cannot silently allow a call) and the
// program fits a BPF jump.
func TestSeccomp_ProfileAssembles(t *testing.T) {
	prog, err := seccompProgram()
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) < 50 || len(prog) > 4096 {
		t.Fatalf("seccomp program of %d instructions", len(prog))
	}
	for _, g := range jobPolicy().Syscalls {
		if g.Action == seccomp.ActionAllow {
			t.Errorf("group %v allows; the profile is a deny list", g.Names)
		}
	}
}
