package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// machineMemory is MemTotal in bytes: what the host's pool percentages are
// percentages of when it runs in the root cgroups, as here.
func machineMemory(t *testing.T) int64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n << 10
		}
	}
	t.Fatal("no MemTotal in /proc/meminfo")
	return 0
}

// poolsHost starts a host with two pools: Python jobs go to pool "a"
// (a small memory share, 25% of the CPUs), R jobs to pool "b" (more
// memory, 75% of the CPUs). It returns the host and pool a's memory limit.
func poolsHost(t *testing.T, slot int) (*host, int64) {
	t.Helper()
	if isolation() != "full" {
		t.Skip("resource pools are cgroups: needs root (full isolation)")
	}
	mem := machineMemory(t)
	// Pool a holds at least 250 MiB: a Python runtime with pandas fits.
	pctA := int((250<<20)*100/mem) + 1
	if pctA > 20 {
		t.Skipf("machine has %d MiB: too little for two pools", mem>>20)
	}
	limitA := mem * int64(pctA) / 100 &^ 4095 // whole pages
	hcl := fmt.Sprintf(`sandbox {
  uid_base = %d
  workers  = 4
}
pool "a" {
  max_memory_percent = %d
  max_cpu_percent    = 25
}
pool "b" {
  max_memory_percent = %d
  max_cpu_percent    = 75
}
classifier {
  rule {
    language = "Python"
    pool     = "a"
  }
  rule {
    language = "R"
    pool     = "b"
  }
}
`, extraUIDBase(slot), pctA, min(pctA*4, 60))
	return startSharedHost(t, hcl), limitA
}

// A memory-hungry job in pool a is stopped by a's limit (well below its own
// 2 GiB job limit) while a job in pool b, holding more than a's whole share
// at the same time, succeeds: a cannot take memory promised to b.
func TestPools_MemoryOfOnePoolIsNotAnothers(t *testing.T) {
	h, limitA := poolsHost(t, 24)
	hungry := limitA + 300<<20 // beyond pool a, within the job's own limit
	doubles := (limitA + 100<<20) / 8
	var wg sync.WaitGroup
	var rb result
	wg.Add(1)
	go func() {
		defer wg.Done()
		rb = execArgsAt(t, "unix://"+h.sock, "--language", "R", "--format", "csv", "--script", fmt.Sprintf(`
x <- rep(1.5, %d)
Sys.sleep(4)
OutputDataSet <- data.frame(n = length(x), s = sum(x))`, doubles))
	}()
	time.Sleep(time.Second) // b holds its memory while a's job runs
	ra := h.exec(t, "--language", "Python", "--script", fmt.Sprintf(`a = b"x" * %d`, hungry))
	wg.Wait()
	if ra.code != 1 || !strings.Contains(ra.stderr, "limit exceeded (memory)") || !strings.Contains(ra.stderr, `its pool "a"`) {
		t.Errorf("hungry job in pool a: exit %d, stderr %q; want a memory limit error naming pool a", ra.code, ra.stderr)
	}
	if rb.code != 0 || !strings.Contains(rb.stdout, strconv.FormatInt(doubles, 10)) {
		t.Errorf("job in pool b: exit %d\nstdout %q\nstderr %q; want it to succeed", rb.code, rb.stdout, rb.stderr)
	}
	t.Logf("pool a limit %d MiB; a's job asked %d MiB and got: %s; b's job held %d MiB", limitA>>20, hungry>>20, strings.TrimSpace(ra.stderr), doubles*8>>20)
}

// busyUntil keeps two processes on the CPU until unix time end: a job
// that wants two CPUs, so on a 2-CPU machine two such jobs contend.
func busyUntil(end int64) string {
	return fmt.Sprintf(`for i in 1 2; do (while [ "$(date +%%s)" -lt %d ]; do i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; done) & done; wait`, end)
}

// jobCPU is a job's CPU time so far, as `launchpad jobs` shows it (live
// while the job runs).
func jobCPU(t *testing.T, h *host, id string) (time.Duration, string) {
	t.Helper()
	out, errs, err := h.admin(t, "jobs", "--format", "json", "--limit", "0")
	if err != nil {
		t.Fatalf("launchpad jobs: %v\n%s", err, errs)
	}
	var list []struct {
		ID          string `json:"id"`
		State       string `json:"state"`
		CPUUserMs   int64  `json:"cpu_user_ms"`
		CPUSystemMs int64  `json:"cpu_system_ms"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("jobs --format json: %v\n%s", err, out)
	}
	for _, j := range list {
		if j.ID == id {
			return time.Duration(j.CPUUserMs+j.CPUSystemMs) * time.Millisecond, j.State
		}
	}
	return 0, ""
}

// Two pools whose jobs both want every CPU split the CPU as configured:
// a (25%) and b (75%) each run a job of two busy processes; their CPU
// times, read from the job stats at the start and end of the same
// wall-clock window (so the runtimes' start-up is not counted), are 1:3.
func TestPools_SplitCPUInTheirRatio(t *testing.T) {
	h, _ := poolsHost(t, 25)
	end := time.Now().Add(20 * time.Second).Unix()
	sh := busyUntil(end)
	var wg sync.WaitGroup
	var ra, rb result
	wg.Add(2)
	go func() {
		defer wg.Done()
		ra = execArgsAt(t, "unix://"+h.sock, "--language", "Python", "--job-id", "cpu-a",
			"--script", fmt.Sprintf("import subprocess\nsubprocess.run(['/bin/sh', '-c', %q], check=True)", sh))
	}()
	go func() {
		defer wg.Done()
		rb = execArgsAt(t, "unix://"+h.sock, "--language", "R", "--job-id", "cpu-b",
			"--script", fmt.Sprintf("stopifnot(system2('/bin/sh', c('-c', shQuote(%q))) == 0)", sh))
	}()
	defer wg.Wait()
	// Both runtimes are up and busy a while after both jobs run.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, sa := jobCPU(t, h, "cpu-a")
		_, sb := jobCPU(t, h, "cpu-b")
		if sa == "running" && sb == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs not both running after 10s: a %q, b %q", sa, sb)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	a0, _ := jobCPU(t, h, "cpu-a")
	b0, _ := jobCPU(t, h, "cpu-b")
	window := time.Now()
	time.Sleep(8 * time.Second)
	a1, sa := jobCPU(t, h, "cpu-a")
	b1, sb := jobCPU(t, h, "cpu-b")
	took := time.Since(window)
	if sa != "running" || sb != "running" {
		t.Fatalf("a job ended inside the window: a %q, b %q", sa, sb)
	}
	wg.Wait()
	if ra.code != 0 || rb.code != 0 {
		t.Fatalf("jobs failed: a exit %d %s\nb exit %d %s", ra.code, ra.stderr, rb.code, rb.stderr)
	}
	a, b := a1-a0, b1-b0
	ratio := b.Seconds() / a.Seconds()
	t.Logf("CPU time over the same %s window: pool a %s, pool b %s, b/a = %.2f (configured 75/25 = 3)",
		took.Round(time.Millisecond), a, b, ratio)
	if ratio < 3*0.6 || ratio > 3*1.4 {
		t.Errorf("b/a = %.2f, want 3 ±40%%", ratio)
	}
}

// A pool's jobs run inside its group: PARENT/pool-NAME/job-ID.
func TestPools_JobsRunInTheirPoolsGroup(t *testing.T) {
	h, _ := poolsHost(t, 26)
	r := h.exec(t, "--language", "Python", "--format", "csv", "--script",
		"import pandas as pd\nOutputDataSet = pd.DataFrame({'cg': [open('/proc/self/cgroup').read()]})")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "/" + h.cgroupParent() + "/pool-a/job-"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("job's cgroups:\n%s\nwant them under %s", r.stdout, want)
	}
	if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/memory", h.cgroupParent(), "pool-b")); err != nil {
		t.Errorf("pool b has no group: %v", err)
	}
}

// `launchpad jobs` names each job's pool and lists the pools' figures.
func TestPools_JobsListShowsPools(t *testing.T) {
	h, limitA := poolsHost(t, 24)
	if r := h.exec(t, "--language", "R", "--job-id", "in-b", "--script", "x <- 1"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	out, errs, err := h.admin(t, "jobs", "--format", "json")
	if err != nil {
		t.Fatalf("jobs: %v %s", err, errs)
	}
	if !strings.Contains(out, `"pool": "b"`) {
		t.Errorf("jobs JSON does not say the job ran in pool b:\n%s", out)
	}
	var pools []struct {
		Name             string  `json:"name"`
		Running          int     `json:"running"`
		MemoryLimitBytes int64   `json:"memory_limit_bytes"`
		CPUSeconds       float64 `json:"cpu_seconds"`
		MaxCPUPercent    int     `json:"max_cpu_percent"`
	}
	// The answer leaves before the teardown; the job holds its pool slot
	// until its sandbox is gone, so it may count as running a moment more.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, errs, err = h.admin(t, "jobs", "--pools", "--format", "json")
		if err != nil {
			t.Fatalf("jobs --pools: %v %s", err, errs)
		}
		if err := json.Unmarshal([]byte(out), &pools); err != nil {
			t.Fatal(err)
		}
		if len(pools) < 2 || pools[1].Running == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(pools) != 3 || pools[0].Name != "a" || pools[1].Name != "b" || pools[2].Name != "default" {
		t.Fatalf("pools %+v, want a, b, default", pools)
	}
	if pools[0].MemoryLimitBytes != limitA || pools[0].MaxCPUPercent != 25 {
		t.Errorf("pool a %+v, want a %d-byte memory limit and 25%% CPU", pools[0], limitA)
	}
	if pools[1].CPUSeconds <= 0 || pools[1].Running != 0 {
		t.Errorf("pool b %+v: want the CPU its job used, and nothing running now", pools[1])
	}
	table, _, _ := h.admin(t, "jobs")
	if !strings.Contains(table, "POOL") || !strings.Contains(table, "MAX JOBS") {
		t.Errorf("jobs table has no pools section:\n%s", table)
	}
}

// A pool's queue admits max_jobs at once; one more waits its queue_timeout
// and fails with a pool limit error, while a job of another pool runs at
// once. SIGHUP rewrites a pool's limits into its cgroup and its max_jobs
// into its queue.
func TestPools_QueueTimesOutAndReloadUpdates(t *testing.T) {
	if isolation() != "full" {
		t.Skip("resource pools are cgroups: needs root (full isolation)")
	}
	conf := func(maxJobs, pctR int) string {
		return fmt.Sprintf(`sandbox {
  uid_base = %d
  workers  = 4
}
pool "default" {
  max_jobs      = %d
  queue_timeout = "2s"
}
pool "r" {
  max_memory_percent = %d
}
classifier {
  rule {
    language = "R"
    pool     = "r"
  }
}
`, extraUIDBase(25), maxJobs, pctR)
	}
	h := startSharedHost(t, conf(1, 5))
	held := make(chan result, 1)
	go func() {
		held <- h.exec(t, "--language", "Python", "--job-id", "q-held", "--script", "import time\ntime.sleep(60)")
	}()
	waitJobState(t, h, "q-held", "running")
	if r := h.exec(t, "--language", "R", "--script", "x <- 1"); r.code != 0 {
		t.Errorf("a job of pool r waited on pool default's queue: exit %d %s", r.code, r.stderr)
	}
	start := time.Now()
	r := h.exec(t, "--language", "Python", "--script", "x = 1")
	if r.code != 1 || !strings.Contains(r.stderr, "limit exceeded (pool)") || !strings.Contains(r.stderr, `pool "default"`) {
		t.Errorf("second job of a max_jobs = 1 pool: exit %d, stderr %q; want a pool limit error", r.code, r.stderr)
	}
	if waited := time.Since(start); waited < 2*time.Second {
		t.Errorf("it failed after %s, before the pool's 2s queue_timeout", waited)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "launchpad.hcl"), []byte(conf(2, 7)), 0o600); err != nil {
		t.Fatal(err)
	}
	mark := len(h.logBuf.String())
	if err := h.proc.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(h.logBuf.String()[mark:], "configuration reloaded") {
		if time.Since(start) > time.Minute {
			t.Fatalf("no reload:\n%s", tail(h.logBuf.String(), 3000))
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := strconv.FormatInt(machineMemory(t)*7/100&^4095, 10)
	file := filepath.Join("/sys/fs/cgroup/memory", h.cgroupParent(), "pool-r", "memory.limit_in_bytes")
	if _, err := os.Stat(file); err != nil {
		file = filepath.Join("/sys/fs/cgroup", h.cgroupParent(), "pool-r", "memory.max")
	}
	if got, _ := os.ReadFile(file); strings.TrimSpace(string(got)) != want {
		t.Errorf("after SIGHUP %s = %q, want %s (7%% of memory)", file, got, want)
	}
	if r := h.exec(t, "--language", "Python", "--script", "x = 1"); r.code != 0 {
		t.Errorf("with max_jobs = 2 after SIGHUP a second job still failed: exit %d %s", r.code, r.stderr)
	}
	if out, errs, err := h.admin(t, "cancel", "q-held"); err != nil {
		t.Errorf("cancel: %v %s %s", err, out, errs)
	}
	<-held
}
