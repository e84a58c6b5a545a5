package jobobject

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates real cgroups under /sys/fs/cgroup")
	}
}

// realLayout detects the host layout under a parent unique to this test.
func realLayout(t *testing.T) *Layout {
	t.Helper()
	requireRoot(t)
	parent := fmt.Sprintf("lptest-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
	l, err := Detect(Options{Parent: parent})
	if err != nil {
		t.Fatalf("Detect: %v", err)
	}
	t.Cleanup(func() {
		if _, err := l.Sweep(); err != nil {
			t.Errorf("Sweep: %v", err)
		}
		if err := l.Teardown(); err != nil {
			t.Errorf("Teardown: %v", err)
		}
	})
	return l
}

// gated starts a shell script that waits for one line on stdin before
// running body, so it can be placed in a group first.
func gated(t *testing.T, g *Group, body string, args ...string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{"-c", "read x; " + body, "sh"}, args...)...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := g.Add(cmd.Process.Pid); err != nil {
		t.Fatalf("Add: %v", err)
	}
	return cmd, in
}

func TestGroup_AppliesLimits(t *testing.T) {
	l := realLayout(t)
	g, err := l.New("limits", Limits{MemoryBytes: 64 << 20, CPUQuotaMillis: 500, CPUShares: 512, MaxProcs: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Kill(); _ = g.Delete() })
	var want map[string]string
	if l.Version == V1 {
		want = map[string]string{
			filepath.Join(g.v1Dir("memory"), "memory.limit_in_bytes"): "67108864",
			filepath.Join(g.v1Dir("cpu"), "cpu.cfs_quota_us"):         "50000",
			filepath.Join(g.v1Dir("cpu"), "cpu.shares"):               "512",
			filepath.Join(g.v1Dir("pids"), "pids.max"):                "7",
		}
	} else {
		want = map[string]string{
			filepath.Join(g.v2Dir(), "memory.max"): "67108864",
			filepath.Join(g.v2Dir(), "cpu.max"):    "50000 100000",
			filepath.Join(g.v2Dir(), "pids.max"):   "7",
		}
	}
	for f, v := range want {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(raw)); got != v {
			t.Errorf("%s = %q, want %q", f, got, v)
		}
	}
}

func TestGroup_KillGetsSetsidDaemons(t *testing.T) {
	l := realLayout(t)
	g, err := l.New("daemons", Limits{MaxProcs: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Kill(); _ = g.Delete() })
	cmd, in := gated(t, g, `(setsid sh -c 'sleep 300 & sleep 300' </dev/null >/dev/null 2>&1 &); sleep 300`)
	fmt.Fprintln(in)
	var pids []int
	deadline := time.Now().Add(5 * time.Second)
	for len(pids) < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		if pids, err = g.Procs(); err != nil {
			t.Fatal(err)
		}
	}
	if len(pids) < 4 {
		t.Fatalf("only %v in group; the daemon did not start", pids)
	}
	if err := g.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("shell exited cleanly, want killed")
	}
	for _, p := range pids {
		if p == cmd.Process.Pid {
			continue
		}
		if alive(p) {
			t.Errorf("pid %d still running after Kill", p)
		}
	}
	dirs := g.existingDirs()
	if len(dirs) == 0 {
		t.Fatal("the group has no directories before Delete")
	}
	if err := g.Delete(); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists after Delete", d)
		}
	}
	if err := g.Delete(); err != nil {
		t.Errorf("second Delete: %v", err)
	}
}

func TestGroup_StatsReportLimitHits(t *testing.T) {
	l := realLayout(t)
	tests := []struct {
		name     string
		lim      Limits
		body     string
		wantOOM  bool
		wantPids bool
		minPeak  int64
	}{
		{"memory hog", Limits{MemoryBytes: 32 << 20, MaxProcs: 20}, `exec /usr/bin/python3 -c 'a = b"x" * (200 << 20)'`, true, false, 16 << 20},
		{"fork bomb", Limits{MaxProcs: 5}, `for i in 1 2 3 4 5 6 7 8 9 10; do sleep 2 & done; wait`, false, true, 0},
		{"well behaved", Limits{MemoryBytes: 64 << 20, MaxProcs: 20}, `ls / >/dev/null`, false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := os.Stat("/usr/bin/python3"); err != nil && tt.wantOOM {
				t.Skip("needs /usr/bin/python3")
			}
			g, err := l.New(strings.ReplaceAll(tt.name, " ", "-"), tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = g.Kill(); _ = g.Delete() })
			cmd, in := gated(t, g, tt.body)
			fmt.Fprintln(in)
			_ = cmd.Wait()
			st, err := g.Stats()
			if err != nil {
				t.Fatal(err)
			}
			if st.OOMKilled != tt.wantOOM || st.PidsLimitHit != tt.wantPids {
				t.Errorf("stats %+v: want OOMKilled=%v PidsLimitHit=%v", st, tt.wantOOM, tt.wantPids)
			}
			if st.PeakMemoryBytes < tt.minPeak || st.PeakMemoryBytes <= 0 {
				t.Errorf("peak %d bytes, want >= %d and > 0", st.PeakMemoryBytes, tt.minPeak)
			}
			if tt.lim.MemoryBytes > 0 && st.PeakMemoryBytes > tt.lim.MemoryBytes+(1<<20) {
				t.Errorf("peak %d bytes exceeds the %d limit", st.PeakMemoryBytes, tt.lim.MemoryBytes)
			}
		})
	}
}

func TestLayout_SweepRemovesLeftovers(t *testing.T) {
	l := realLayout(t)
	g, err := l.New("crashed-job", Limits{MaxProcs: 10})
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := gated(t, g, "")
	dirs := g.existingDirs()
	slices.Sort(dirs)
	removed, err := l.Sweep()
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if !slices.Equal(removed, dirs) {
		t.Errorf("removed %v, want the dirs %v", removed, dirs)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("process in a leftover group survived Sweep")
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s survived Sweep", d)
		}
	}
}

func TestDetect_RejectsBadParent(t *testing.T) {
	for _, p := range []string{"../escape", "a/../../b", "", "has space"} {
		if p == "" {
			continue // empty selects the default
		}
		if _, err := Detect(Options{Root: t.TempDir(), Parent: p}); !errors.Is(err, ErrBadName) {
			t.Errorf("Detect(parent %q) err = %v, want ErrBadName", p, err)
		}
	}
}

// alive reports whether pid exists and is not a zombie waiting for its
// (re)parent to reap it.
func alive(pid int) bool {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestProcsUnder_ReadsTheGroupAndTheGroupsBelow(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cgroup.procs", "7\n12\n")
	write("memory.max_usage_in_bytes", "4096\n")
	write("sub/cgroup.procs", "12\n30\n")
	write("sub/deeper/cgroup.procs", "")
	set := map[int]bool{}
	if err := procsUnder(dir, set); err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(set)); !slices.Equal(got, []int{7, 12, 30}) {
		t.Errorf("pids %v, want [7 12 30]", got)
	}
	if err := procsUnder(filepath.Join(dir, "gone"), set); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a group that is gone: %v, want ErrNotExist", err)
	}
	write("sub/cgroup.procs", "12\nx\n")
	if err := procsUnder(dir, map[int]bool{}); err == nil {
		t.Error("a cgroup.procs that is not pids was accepted")
	}
}
