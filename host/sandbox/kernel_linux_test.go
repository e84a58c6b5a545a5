package sandbox

import (
	"strings"
	"testing"
)

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
