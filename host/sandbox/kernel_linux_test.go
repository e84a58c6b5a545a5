package sandbox

import (
	"strings"
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

// The job's own processes see a fresh, empty session keyring (and no other
// key) and run under one seccomp filter.
func TestJob_KernelStateIsTheJobsOwn(t *testing.T) {
	requireRoot(t)
	m := newManager(t, testConfig(t))
	j := newJob(t, m, Limits{MemoryBytes: 256 << 20, MaxProcs: 64})
	r := sh(t, j, `grep -E '^(Seccomp|Seccomp_filters):' /proc/self/status; grep -c . /proc/keys; grep -o '_ses: empty' /proc/keys`)
	if r.err != nil {
		t.Fatalf("job failed: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	for _, w := range []string{"Seccomp:\t2\n", "Seccomp_filters:\t1\n", "1\n_ses: empty\n"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("output lacks %q:\n%s%s", w, r.stdout, r.stderr)
		}
	}
}
