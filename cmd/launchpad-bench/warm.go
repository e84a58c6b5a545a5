package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/openlaunchpad/launchpad/client"
)

// The warm case measures job starts end to end, as a caller sees them:
// each figure is one `launchpad exec` process (client start included)
// against a `launchpad dev` host keeping two warm runtimes per launcher,
// beside the physical references measured in the same run.

// warmHost is the `launchpad dev` host the warm case runs against.
type warmHost struct {
	bin, dir, sock string
	cmd            *exec.Cmd
	c              *client.Client
	mu             sync.Mutex
	// warm is how many ready runtimes it keeps per launcher.
	warm map[string]int32
	// clientCPU is the CPU each exec process used, since the last reset.
	clientCPU []time.Duration
}

const warmTrivial = "OutputDataSet = InputDataSet"

// warmReady is how many ready runtimes per launcher the bench's host keeps.
const warmReady = 2

func runWarm(ctx context.Context, o *options, out io.Writer) error {
	bin := filepath.Join(filepath.Dir(o.plugins), "launchpad")
	h, err := startWarmHost(ctx, bin, map[string]int32{"PythonLauncher": warmReady, "RLauncher": warmReady})
	if err != nil {
		return err
	}
	defer h.stop()
	n := max(o.reps*6, 20)
	fmt.Fprintf(out, "\nwarm starts: %d runs each, one row, `launchpad exec` end to end; load average at start %s\n", n, loadAverage())
	refs := []struct {
		name, bin string
		args      []string
	}{
		{"python3 -c pass", o.python, []string{"-c", "pass"}},
		{"python3 -c \"import pandas\"", o.python, []string{"-c", "import pandas"}},
		{"Rscript -e 0", o.rscript, []string{"-e", "0"}},
		// The client's own start: the floor under every figure below.
		{"launchpad version", h.bin, []string{"version"}},
	}
	for _, r := range refs {
		ds, err := timeRuns(n/2, nil, func() error { return exec.Command(r.bin, r.args...).Run() })
		if err != nil {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		printDist(out, r.name, ds)
	}
	fmt.Fprintf(out, "  host RSS with 2 warm runtimes per launcher: %.1f MiB\n", mib(h.rss()))
	var hostBefore time.Duration
	for _, c := range []struct {
		name, lang, script, start string
		runs                      int
	}{
		{"Python job, warm", "Python", warmTrivial, "warm", n},
		{"R job, warm", "R", "OutputDataSet <- InputDataSet", "warm", n},
		{"Python job, cold", "Python", warmTrivial, "cold", n / 2},
	} {
		// Untimed: warm figures time hand-overs, not preparations, and
		// none runs beside them (the pool is full again first).
		before := func() {
			if c.start == "warm" {
				h.waitReady(ctx, c.lang+"Launcher", warmReady)
			}
		}
		h.clientCPU, hostBefore = nil, h.hostCPU()
		ds, err := timeRuns(c.runs, before, func() error { return h.exec(c.lang, c.script, c.start) })
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		printDist(out, c.name, ds)
		h.printCPU(ctx, out, c.lang, c.start, (h.hostCPU()-hostBefore)/time.Duration(c.runs))
	}
	h.printStages(ctx, out)
	if err := h.throughput(ctx, out, 16, 64); err != nil {
		return err
	}
	h.stop()
	return burst(ctx, out, bin, 16)
}

// burst runs n trivial Python jobs at once against a host that keeps n
// ready runtimes: the rate of warm hand-overs alone, with no preparation
// to wait for (the refills start as the jobs end, and compete with them).
func burst(ctx context.Context, out io.Writer, bin string, n int) error {
	h, err := startWarmHost(ctx, bin, map[string]int32{"PythonLauncher": int32(n), "RLauncher": 0})
	if err != nil {
		return err
	}
	defer h.stop()
	failed, took := h.concurrently(n, n)
	fmt.Fprintf(out, "  burst of %d trivial Python jobs at once, %d ready runtimes: %.1f jobs/s, %d failed, %d started warm; load average %s\n",
		n, n, float64(n)/took.Seconds(), failed, h.count(ctx, "warm"), loadAverage())
	return nil
}

// startWarmHost starts a dev host keeping warm[launcher] ready runtimes,
// and waits until it has them all.
func startWarmHost(ctx context.Context, bin string, warm map[string]int32) (*warmHost, error) {
	dir, err := os.MkdirTemp("/var/tmp", "lpbw-")
	if err != nil {
		return nil, err
	}
	// Worker accounts must reach their job folders below it.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	h := &warmHost{bin: bin, dir: dir, sock: filepath.Join(dir, "state", "launchpad.sock"), warm: warm}
	conf := filepath.Join(dir, "launchpad.hcl")
	text := fmt.Sprintf("sandbox {\n  uid_base = %d\n  workers = 40\n}\n", 1_897_000_000+(os.Getpid()%1000)*100)
	for _, l := range []string{"PythonLauncher", "RLauncher"} {
		text += fmt.Sprintf("launcher %q {\n  warm = %d\n}\n", l, warm[l])
	}
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "host.log"))
	if err != nil {
		return nil, err
	}
	h.cmd = exec.Command(bin, "dev", "--state", filepath.Join(dir, "state"), "--config", conf)
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	if err := h.cmd.Start(); err != nil {
		return nil, err
	}
	// Each preparation takes most of a second of processor time.
	var all int32
	for _, n := range warm {
		all += n
	}
	for deadline := time.Now().Add(30*time.Second + time.Duration(all)*2*time.Second); ; time.Sleep(50 * time.Millisecond) {
		if h.c == nil {
			if _, err := os.Stat(h.sock); err == nil {
				h.c, _ = client.Dial("unix://" + h.sock)
			}
		}
		if h.c != nil && h.full(ctx) {
			return h, nil
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			h.stop()
			return nil, fmt.Errorf("dev host not ready with warm runtimes; its log:\n%s", tailText(string(log), 3000))
		}
	}
}

// full reports whether every launcher has all its ready runtimes.
func (h *warmHost) full(ctx context.Context) bool {
	for l, n := range h.warm {
		if h.ready(ctx, l) < n {
			return false
		}
	}
	return true
}

func (h *warmHost) ready(ctx context.Context, launcher string) int32 {
	pools, err := h.c.WarmPools(ctx)
	if err != nil {
		return -1
	}
	for _, p := range pools {
		if p.GetLauncher() == launcher {
			return p.GetReady()
		}
	}
	return 0
}

// waitReady waits until launcher has n ready runtimes. It asks every
// 100 ms: each question costs the host processor time, which the figures
// of CPU per job would count.
func (h *warmHost) waitReady(ctx context.Context, launcher string, n int32) {
	for deadline := time.Now().Add(30 * time.Second); h.ready(ctx, launcher) < n && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
}

func (h *warmHost) exec(language, script, start string) error {
	args := []string{"exec", "--address", "unix://" + h.sock, "--language", language, "--script", script,
		"--input-query", "SELECT 1 AS a", "--format", "json"}
	if start != "" {
		args = append(args, "--start", start)
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(h.bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if cmd.ProcessState != nil {
		h.mu.Lock()
		h.clientCPU = append(h.clientCPU, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
		h.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(errb.String()))
	}
	return nil
}

// printCPU prints the CPU the jobs of one case used, each a median over
// them: the job's cgroups (where a warm runtime's preparation is counted
// too), the client; and host, the host process's own per job. Their sum
// bounds the rate of such jobs on this machine's processors.
func (h *warmHost) printCPU(ctx context.Context, out io.Writer, language, start string, host time.Duration) {
	jobs, err := h.c.ListJobs(ctx, 0)
	if err != nil {
		return
	}
	var job []time.Duration
	for _, j := range jobs {
		if j.GetLanguage() == language && j.GetStart() == start && j.GetState() == "succeeded" {
			job = append(job, time.Duration(j.GetCpuUserMs()+j.GetCpuSystemMs())*time.Millisecond)
		}
	}
	h.mu.Lock()
	cl := median(h.clientCPU)
	h.mu.Unlock()
	total := median(job) + host + cl
	fmt.Fprintf(out, "  %-32s CPU per job: job %.0f ms + host %.0f ms + client %.0f ms = %.0f ms: at most %.1f jobs/s on %d processors\n",
		"", ms(median(job)), ms(host), ms(cl), ms(total), float64(runtime.NumCPU())/total.Seconds(), runtime.NumCPU())
}

// hostCPU is the CPU the host process has used (its own, not its
// children's).
func (h *warmHost) hostCPU() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", h.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command's closing parenthesis; utime and stime
	// are the 14th and 15th of the line, in clock ticks of 1/100 s.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// printStages prints the median of each stage over the warm Python jobs.
func (h *warmHost) printStages(ctx context.Context, out io.Writer) {
	jobs, err := h.c.ListJobs(ctx, 0)
	if err != nil {
		return
	}
	stages := map[string][]float64{}
	var order []string
	for _, j := range jobs {
		if j.GetLanguage() != "Python" || j.GetStart() != "warm" || j.GetState() != "succeeded" {
			continue
		}
		for _, s := range j.GetStages() {
			if _, ok := stages[s.GetName()]; !ok {
				order = append(order, s.GetName())
			}
			stages[s.GetName()] = append(stages[s.GetName()], s.GetMs())
		}
	}
	var parts []string
	for _, name := range order {
		v := stages[name]
		sort.Float64s(v)
		parts = append(parts, fmt.Sprintf("%s %.1f", name, v[len(v)/2]))
	}
	fmt.Fprintf(out, "  warm Python job, host stages (median ms): %s\n", strings.Join(parts, ", "))
}

// throughput runs total trivial Python jobs, conc at a time, as they come
// (warm when a runtime is ready, else cold).
func (h *warmHost) throughput(ctx context.Context, out io.Writer, conc, total int) error {
	h.waitReady(ctx, "PythonLauncher", 2)
	failed, took := h.concurrently(conc, total)
	fmt.Fprintf(out, "  trivial Python jobs at concurrency %d: %d jobs in %.1fs = %.1f jobs/s, %d failed, %d of the host's jobs so far started warm; load average %s\n",
		conc, total, took.Seconds(), float64(total)/took.Seconds(), failed, h.count(ctx, "warm"), loadAverage())
	return nil
}

// concurrently runs total trivial Python jobs, conc at a time, and says
// how many failed and how long they all took.
func (h *warmHost) concurrently(conc, total int) (failed int, took time.Duration) {
	var mu sync.Mutex
	next := 0
	var wg sync.WaitGroup
	began := time.Now()
	for range conc {
		wg.Go(func() {
			for {
				mu.Lock()
				if next == total {
					mu.Unlock()
					return
				}
				next++
				mu.Unlock()
				if err := h.exec("Python", warmTrivial, ""); err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return failed, time.Since(began)
}

// count is how many of the jobs the host keeps started as start says
// (-1 when it cannot be asked).
func (h *warmHost) count(ctx context.Context, start string) int {
	jobs, err := h.c.ListJobs(ctx, 0)
	if err != nil {
		return -1
	}
	n := 0
	for _, j := range jobs {
		if j.GetStart() == start {
			n++
		}
	}
	return n
}

// rss is the host process's resident memory.
func (h *warmHost) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", h.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// stop stops the host and removes its folder; stopping twice is harmless.
func (h *warmHost) stop() {
	if h.c != nil {
		h.c.Close()
		h.c = nil
	}
	if h.cmd != nil && h.cmd.Process != nil {
		h.cmd.Process.Signal(syscall.SIGTERM)
		h.cmd.Wait()
		h.cmd = nil
	}
	os.RemoveAll(h.dir)
}

func tailText(s string, n int) string { return s[max(0, len(s)-n):] }

// timeRuns times fn n times, each after an untimed before (if any).
func timeRuns(n int, before func(), fn func() error) ([]time.Duration, error) {
	ds := make([]time.Duration, 0, n)
	for range n {
		if before != nil {
			before()
		}
		t := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		ds = append(ds, time.Since(t))
	}
	return ds, nil
}

// printDist prints p50, p99 (the largest of fewer than 100 runs) and min.
func printDist(out io.Writer, name string, ds []time.Duration) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	p99 := ds[min(len(ds)-1, len(ds)*99/100)]
	fmt.Fprintf(out, "  %-32s p50 %7.1f ms  p99 %7.1f ms  min %7.1f ms\n", name,
		ms(ds[len(ds)/2]), ms(p99), ms(ds[0]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
