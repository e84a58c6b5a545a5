package jobobject

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeV2 builds a v2-looking root in a temporary directory.
func fakeV2(t *testing.T, controllers string) (root, self string) {
	t.Helper()
	root = t.TempDir()
	write(t, filepath.Join(root, "cgroup.controllers"), controllers)
	write(t, filepath.Join(root, "cgroup.subtree_control"), "")
	self = filepath.Join(t.TempDir(), "cgroup")
	write(t, self, "0::/system.slice/launchpad.service\n")
	return root, self
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, p string) string {
	t.Helper()
	// The library creates control files with mode 0 (cgroupfs ignores it);
	// on a plain directory that only root could read back.
	_ = os.Chmod(p, 0o644)
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(raw))
}

func TestDetect_V2WritesLimits(t *testing.T) {
	root, self := fakeV2(t, "cpuset cpu io memory pids")
	// NewManager enables controllers in the parent's subtree_control, which
	// must exist as on a real cgroupfs.
	write(t, filepath.Join(root, "lp", "cgroup.subtree_control"), "")
	l, err := Detect(Options{Root: root, Parent: "lp", SelfCgroup: self})
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != V2 || l.Nested {
		t.Fatalf("layout %s, want v2 not nested", l.Describe())
	}
	g, err := l.New("job-1", Limits{MemoryBytes: 128 << 20, CPUQuotaMillis: 1500, CPUShares: 1024, MaxProcs: 64})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "lp", "job-1")
	for f, want := range map[string]string{
		"memory.max":       "134217728",
		"memory.oom.group": "1",
		"cpu.max":          "150000 100000",
		"cpu.weight":       "39",
		"pids.max":         "64",
	} {
		if got := read(t, filepath.Join(dir, f)); got != want {
			t.Errorf("%s = %q, want %q", f, got, want)
		}
	}
	if got := read(t, filepath.Join(root, "lp", "cgroup.subtree_control")); !strings.Contains(got, "+memory") || !strings.Contains(got, "+pids") {
		t.Errorf("parent subtree_control = %q, want memory and pids enabled", got)
	}

	write(t, filepath.Join(dir, "memory.stat"), "anon 4096\n") // the library reads memory.* only when it exists
	write(t, filepath.Join(dir, "memory.peak"), "99999\n")
	write(t, filepath.Join(dir, "memory.events"), "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\n")
	write(t, filepath.Join(dir, "cpu.stat"), "usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\n")
	write(t, filepath.Join(dir, "pids.events"), "max 3\n")
	st, err := g.Stats()
	if err != nil {
		t.Fatal(err)
	}
	want := Stats{PeakMemoryBytes: 99999, CPUUser: 2 * time.Millisecond, CPUSystem: time.Millisecond, OOMKilled: true, PidsLimitHit: true}
	if st != want {
		t.Errorf("Stats = %+v, want %+v", st, want)
	}
	write(t, filepath.Join(dir, "cgroup.procs"), "")
	if err := g.Delete(); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s survived Delete", dir)
	}
}

func TestDetect_V2RequiresControllers(t *testing.T) {
	root, self := fakeV2(t, "cpu io")
	_, err := Detect(Options{Root: root, Parent: "lp", SelfCgroup: self})
	if !errors.Is(err, ErrControllerMissing) || !strings.Contains(err.Error(), `"memory"`) {
		t.Fatalf("err = %v, want ErrControllerMissing naming memory", err)
	}
}

func TestDetect_V1RequiresControllers(t *testing.T) {
	root := t.TempDir()
	for _, c := range []string{"memory", "pids", "cpu", "cpuacct"} {
		write(t, filepath.Join(root, c, "cgroup.procs"), "")
	}
	self := filepath.Join(t.TempDir(), "cgroup")
	write(t, self, "1:memory:/\n")
	_, err := Detect(Options{Root: root, Parent: "lp", SelfCgroup: self})
	if !errors.Is(err, ErrControllerMissing) || !strings.Contains(err.Error(), `"freezer"`) {
		t.Fatalf("err = %v, want ErrControllerMissing naming freezer", err)
	}
}

func TestDetect_NestsUnderOwnGroupWhenRootReadOnly(t *testing.T) {
	root, self := fakeV2(t, "cpu memory pids")
	own := filepath.Join(root, "system.slice", "launchpad.service")
	write(t, filepath.Join(own, "cgroup.subtree_control"), "")
	// Root bypasses directory permissions, so refuse the root level by hand
	// the way a delegated (or read-only) cgroupfs would.
	mkdirAll = func(p string, perm os.FileMode) error {
		if p == filepath.Join(root, "lp") {
			return &os.PathError{Op: "mkdir", Path: p, Err: syscall.EACCES}
		}
		return os.MkdirAll(p, perm)
	}
	t.Cleanup(func() { mkdirAll = os.MkdirAll })
	l, err := Detect(Options{Root: root, Parent: "lp", SelfCgroup: self})
	if err != nil {
		t.Fatal(err)
	}
	if !l.Nested || l.unifiedParent != "/system.slice/launchpad.service/lp" {
		t.Errorf("layout %s parent %q, want nested under own group", l.Describe(), l.unifiedParent)
	}
	if _, err := os.Stat(filepath.Join(own, "lp")); err != nil {
		t.Errorf("nested parent not created: %v", err)
	}
}

func TestSharesToWeight(t *testing.T) {
	for shares, want := range map[uint64]uint64{2: 1, 1024: 39, 262144: 10000, 0: 0} {
		if got := sharesToWeight(shares); got != want {
			t.Errorf("sharesToWeight(%d) = %d, want %d", shares, got, want)
		}
	}
}

func TestLimits_Validate(t *testing.T) {
	tests := map[string]struct {
		lim Limits
		ok  bool
	}{
		"zero is unlimited": {Limits{}, true},
		"typical":           {Limits{MemoryBytes: 1 << 30, CPUQuotaMillis: 2000, CPUShares: 1024, MaxProcs: 100}, true},
		"negative memory":   {Limits{MemoryBytes: -1}, false},
		"tiny memory":       {Limits{MemoryBytes: 4096}, false},
		"shares too big":    {Limits{CPUShares: 1 << 20}, false},
		"negative procs":    {Limits{MaxProcs: -3}, false},
		"quota too small":   {Limits{CPUQuotaMillis: 1}, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if err := tt.lim.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
