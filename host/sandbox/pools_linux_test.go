package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A job of a pool runs inside the pool's group and its stats show the
// pool's memory limit; Close removes the pools' groups with the parent.
func TestManager_PoolsHoldTheirJobsAndGoAtClose(t *testing.T) {
	requireRoot(t)
	cfg := testConfig(t)
	m, err := NewManager(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() { // on failure: leave no cgroup behind
		if !closed {
			_ = m.Cleanup()
			_ = m.Close()
		}
	})
	if err := m.SetPools(map[string]Limits{"a": {MemoryBytes: 256 << 20}, "b": {MemoryBytes: 512 << 20}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.NewJobInPool(context.Background(), "nopool1", "nope", Limits{}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("job in an unknown pool: err = %v, want ErrBadConfig", err)
	}
	j, err := m.NewJobInPool(context.Background(), "inpool1", "a", Limits{MemoryBytes: 1 << 30, MaxProcs: 32})
	if err != nil {
		t.Fatal(err)
	}
	r := sh(t, j, "cat /proc/self/cgroup")
	if r.err != nil || !strings.Contains(r.stdout, "/"+cfg.CgroupParent+"/pool-a/job-inpool1") {
		t.Errorf("job's cgroups (err %v):\n%s", r.err, r.stdout)
	}
	if got := j.PoolMemoryLimit(); got != 256<<20 {
		t.Errorf("PoolMemoryLimit = %d, want the pool's 256 MiB", got)
	}
	// A reload that drops pool b removes its (empty) group at once.
	if err := m.SetPools(map[string]Limits{"a": {MemoryBytes: 128 << 20}}); err != nil {
		t.Fatal(err)
	}
	if got := m.PoolLimits("a").MemoryBytes; got != 128<<20 {
		t.Errorf("pool a's limit after the update: %d", got)
	}
	parents := m.layout.ParentDirs()
	for _, d := range parents {
		if _, err := os.Stat(filepath.Join(d, "pool-b")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("dropped pool b's group %s remains (%v)", d, err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, d := range parents {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s remains after Close (%v)", d, err)
		}
	}
}
