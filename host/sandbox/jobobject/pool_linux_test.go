package jobobject

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/cgroups/v3/cgroup1"
)

// limitFile reads one control file of the group g (v1: under controller c).
func limitFile(t *testing.T, g *Group, c, file string) string {
	t.Helper()
	dir := g.v2Dir()
	if g.layout.Version == V1 {
		dir = g.v1Dir(cgroupName(c))
	}
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(raw))
}

func TestPool_HoldsJobsAndBindsThem(t *testing.T) {
	l := realLayout(t)
	p, err := l.NewPool("small", Limits{MemoryBytes: 48 << 20, CPUShares: 256, MaxProcs: 30})
	if err != nil {
		t.Fatal(err)
	}
	j, err := p.Jobs.New("job-1", Limits{MemoryBytes: 512 << 20, MaxProcs: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Kill(); _ = j.Delete(); _ = p.Remove() })
	// The job sits inside the pool in every hierarchy.
	for _, d := range j.existingDirs() {
		if filepath.Base(filepath.Dir(d)) != "pool-small" {
			t.Errorf("job dir %s is not inside the pool's group", d)
		}
	}
	if l.Version == V1 {
		if got := limitFile(t, p.Group, "memory", "memory.limit_in_bytes"); got != "50331648" {
			t.Errorf("pool memory limit %s, want 50331648", got)
		}
	} else if got := limitFile(t, p.Group, "", "memory.oom.group"); got != "0" {
		t.Errorf("pool memory.oom.group %s, want 0 (one victim, not every job)", got)
	}
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("needs /usr/bin/python3")
	}
	// The job's own limit (512 MiB) allows 200 MiB; the pool's does not.
	cmd, in := gated(t, j, `exec /usr/bin/python3 -c 'a = b"x" * (200 << 20)'`)
	fmt.Fprintln(in)
	if err := cmd.Wait(); err == nil {
		t.Fatal("a job allocating 200 MiB in a 48 MiB pool succeeded")
	}
	st, err := j.Stats()
	if err != nil {
		t.Fatal(err)
	}
	pu, err := p.Usage()
	if err != nil {
		t.Fatal(err)
	}
	if !st.OOMKilled || st.PeakMemoryBytes > 48<<20+(1<<20) {
		t.Errorf("job stats %+v: want OOM-killed with a peak within the pool's 48 MiB", st)
	}
	if pu.CPU <= 0 || pu.MemoryBytes < 0 || pu.MemoryBytes > 48<<20 {
		t.Errorf("pool usage %+v: want CPU used and memory within the limit", pu)
	}
}

func TestPool_UpdateLiftsAndSetsLimits(t *testing.T) {
	l := realLayout(t)
	p, err := l.NewPool("upd", Limits{MemoryBytes: 64 << 20, CPUQuotaMillis: 500, MaxProcs: 40})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Remove() })
	if err := p.Update(Limits{MemoryBytes: 128 << 20, CPUShares: 2048}); err != nil {
		t.Fatal(err)
	}
	var want map[[2]string]string
	if l.Version == V1 {
		want = map[[2]string]string{
			{"memory", "memory.limit_in_bytes"}: "134217728",
			{"cpu", "cpu.cfs_quota_us"}:         "-1",
			{"cpu", "cpu.shares"}:               "2048",
			{"pids", "pids.max"}:                "max",
		}
	} else {
		want = map[[2]string]string{
			{"", "memory.max"}: "134217728",
			{"", "cpu.max"}:    "max 100000",
			{"", "pids.max"}:   "max",
		}
	}
	for f, v := range want {
		if got := limitFile(t, p.Group, f[0], f[1]); got != v {
			t.Errorf("%s = %q, want %q", f[1], got, v)
		}
	}
}

func TestLayout_SweepRemovesPoolsWithTheirJobs(t *testing.T) {
	l := realLayout(t)
	p, err := l.NewPool("left", Limits{MemoryBytes: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	j, err := p.Jobs.New("job-crashed", Limits{MaxProcs: 10})
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := gated(t, j, "")
	removed, err := l.Sweep()
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("a process in a leftover pool's job survived Sweep")
	}
	for _, d := range append(j.existingDirs(), p.existingDirs()...) {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived Sweep (removed %v)", d, removed)
		}
	}
	if len(removed) == 0 {
		t.Error("Sweep reported nothing removed")
	}
	if err := p.Remove(); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Remove after Sweep: %v", err)
	}
}

func cgroupName(c string) cgroup1.Name { return cgroup1.Name(c) }

// On v2 a pool is a group whose limits hold its job groups, and whose
// memory.oom.group stays 0: a pool's OOM costs one process, not every job.
func TestPool_V2Files(t *testing.T) {
	root, self := fakeV2(t, "cpu memory pids")
	write(t, filepath.Join(root, "lp", "cgroup.subtree_control"), "")
	write(t, filepath.Join(root, "lp", "pool-a", "cgroup.subtree_control"), "")
	l, err := Detect(Options{Root: root, Parent: "lp", SelfCgroup: self})
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.NewPool("a", Limits{MemoryBytes: 256 << 20, CPUQuotaMillis: 500, CPUShares: 256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Jobs.New("job-1", Limits{MemoryBytes: 64 << 20}); err != nil {
		t.Fatal(err)
	}
	pool, job := filepath.Join(root, "lp", "pool-a"), filepath.Join(root, "lp", "pool-a", "job-1")
	for f, want := range map[string]string{
		filepath.Join(pool, "memory.max"):       "268435456",
		filepath.Join(pool, "memory.oom.group"): "0",
		filepath.Join(pool, "cpu.max"):          "50000 100000",
		filepath.Join(pool, "cpu.weight"):       "10",
		filepath.Join(pool, "pids.max"):         "max",
		filepath.Join(job, "memory.max"):        "67108864",
		filepath.Join(job, "memory.oom.group"):  "1",
	} {
		if got := read(t, f); got != want {
			t.Errorf("%s = %q, want %q", f, got, want)
		}
	}
	if got := read(t, filepath.Join(pool, "cgroup.subtree_control")); !strings.Contains(got, "+memory") {
		t.Errorf("pool subtree_control = %q, want memory enabled for its jobs", got)
	}
}

func TestLayout_MemoryCapacityIsTheSmallestAbove(t *testing.T) {
	root, _ := fakeV2(t, "cpu memory pids")
	write(t, filepath.Join(root, "system.slice", "memory.max"), "1073741824\n")
	write(t, filepath.Join(root, "system.slice", "lp.service", "memory.max"), "max\n")
	l := &Layout{Version: V2, root: root, unifiedMount: root, unifiedParent: "/system.slice/lp.service/lp"}
	got, err := l.MemoryCapacity()
	if err != nil {
		t.Fatal(err)
	}
	if got != 1<<30 {
		t.Errorf("capacity %d, want the 1 GiB limit of system.slice", got)
	}
	l.unifiedParent = "/lp"
	if got, _ := l.MemoryCapacity(); got <= 1<<30 {
		t.Errorf("capacity %d at the root: want the machine's memory", got)
	}
}

func TestPool_JobKeepsItsOwnLimits(t *testing.T) {
	l := realLayout(t)
	p, err := l.NewPool("big", Limits{MemoryBytes: 4 << 30, MaxProcs: 0})
	if err != nil {
		t.Fatal(err)
	}
	j, err := p.Jobs.New("job-own", Limits{MemoryBytes: 32 << 20, MaxProcs: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = j.Kill(); _ = j.Delete(); _ = p.Remove() })
	cmd, in := gated(t, j, `exec /usr/bin/python3 -c 'a = b"x" * (200 << 20)'`)
	fmt.Fprintln(in)
	if err := cmd.Wait(); err == nil {
		t.Fatal("a job allocating 200 MiB under its own 32 MiB limit succeeded")
	}
	st, err := j.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if !st.OOMKilled || st.PeakMemoryBytes > 33<<20 {
		t.Errorf("stats %+v: want OOM-killed at its own 32 MiB", st)
	}
}
