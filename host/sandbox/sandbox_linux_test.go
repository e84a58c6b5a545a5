package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/openlaunchpad/launchpad/host/sandbox/confine"
	"github.com/openlaunchpad/launchpad/internal/testhost"
)

// The test binary doubles as the launchpad binary: the host side starts it
// as `<test binary> sandbox-init <spec>`.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "sandbox-init" {
		os.Exit(confine.Main(os.Args[2:]))
	}
	os.Exit(m.Run())
}

const python = "/usr/bin/python3"

var testSeq atomic.Int64

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: worker uids, namespaces and cgroups")
	}
}

// scratch is a traversable folder outside /tmp (jobs get a private /tmp).
// (e2e's tempDirIn makes its folders the same way: test code of two
// packages, which cannot import each other's.)
func scratch(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("/var/tmp", "lp-sandbox-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o711); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func testConfig(t *testing.T) Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	n := testSeq.Add(1)
	return Config{
		WorkRoot:      filepath.Join(scratch(t), "jobs"),
		WorkerUIDBase: 1_800_000_000 + (os.Getpid()%5000)*1000 + int(n)*40,
		WorkerCount:   20,
		QueueTimeout:  5 * time.Second,
		CgroupParent:  fmt.Sprintf("lptest-%d-%d", os.Getpid(), n),
		LauncherExe:   exe,
	}
}

func newManager(t *testing.T, cfg Config) *Manager {
	t.Helper()
	m, err := NewManager(cfg, hclog.New(&hclog.LoggerOptions{Output: io.Discard}))
	if err != nil {
		t.Fatalf("NewManager: %v", err)
	}
	t.Cleanup(func() {
		if err := m.Cleanup(); err != nil {
			t.Errorf("Cleanup: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("Manager.Close: %v", err)
		}
	})
	return m
}

func newJob(t *testing.T, m *Manager, lim Limits) *Job {
	t.Helper()
	id := fmt.Sprintf("job%d", testSeq.Add(1))
	j, err := m.NewJob(context.Background(), id, lim)
	if err != nil {
		t.Fatalf("NewJob: %v", err)
	}
	t.Cleanup(func() { _ = j.Close() })
	return j
}

func openExe(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("needs %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// syncBuffer is an output the test reads (and awaits) while exec copies
// into it.
type syncBuffer = testhost.Log

type result struct {
	stdout, stderr string
	err            error
	stats          Stats
}

// start builds and starts the job's command the way go-plugin will.
func start(t *testing.T, j *Job, exe *os.File, args []string, extra []*os.File) (*exec.Cmd, *syncBuffer, *syncBuffer) {
	t.Helper()
	cmd, err := j.Command(exe, args, []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8"}, extra)
	if err != nil {
		t.Fatalf("Command: %v", err)
	}
	cmd.Env = append(cmd.Env, "PLUGIN_PROTOCOL_VERSIONS=1") // as go-plugin appends
	var out, errb syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if err := j.Started(cmd.Process.Pid); err != nil {
		t.Fatalf("Started: %v", err)
	}
	return cmd, &out, &errb
}

// run runs exe with args as job j and waits (up to 60s).
func run(t *testing.T, j *Job, exe *os.File, args ...string) result {
	t.Helper()
	cmd, out, errb := start(t, j, exe, args, nil)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		_ = j.Kill()
		err = <-done
		t.Errorf("job timed out")
	}
	return result{stdout: out.String(), stderr: errb.String(), err: err, stats: j.Stats()}
}

func sh(t *testing.T, j *Job, script string) result {
	return run(t, j, openExe(t, "/bin/sh"), "-c", script)
}

func TestJob_RunsAsWorkerInFreshNamespaces(t *testing.T) {
	requireRoot(t)
	m := newManager(t, testConfig(t))
	j := newJob(t, m, Limits{MemoryBytes: 256 << 20, MaxProcs: 64})
	r := sh(t, j, `echo uid=$(id -u) gid=$(id -g) groups=$(id -G); echo host=$(hostname); echo pid=$$;
grep NoNewPrivs /proc/self/status; grep CapBnd /proc/self/status; echo core=$(ulimit -c); echo nofile=$(ulimit -n);
ls /proc | grep -c '^[0-9]' ; ip -o link 2>/dev/null | wc -l; echo pwd=$(pwd) home=$HOME tmp=$TMPDIR plugin=$PLUGIN_PROTOCOL_VERSIONS`)
	if r.err != nil {
		t.Fatalf("job failed: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	want := []string{
		fmt.Sprintf("uid=%d gid=%d groups=%d\n", j.UID, j.GID, j.GID),
		"host=launchpad-job\n",
		"pid=1\n",
		"NoNewPrivs:\t1\n",
		"CapBnd:\t0000000000000000\n",
		"core=0\n",
		"nofile=4096\n",
		fmt.Sprintf("pwd=%s home=%s tmp=/tmp plugin=1\n", j.Dir, j.Dir),
	}
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("output lacks %q:\n%s%s", w, r.stdout, r.stderr)
		}
	}
}

func TestJob_BlocksHostileScripts(t *testing.T) {
	requireRoot(t)
	cfg := testConfig(t)
	m := newManager(t, cfg)

	// Host state readable by everyone as far as file modes go: only the
	// sandbox stands between the job and it.
	state := filepath.Join(scratch(t), "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "instance.db"), []byte("SECRET-STATE"), 0o644); err != nil {
		t.Fatal(err)
	}
	open := filepath.Join(scratch(t), "world-writable")
	if err := os.MkdirAll(open, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o777); err != nil {
		t.Fatal(err)
	}

	// A listener on the host's loopback the job must not reach.
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port

	// Another running job with a secret in its folder.
	other := newJob(t, m, Limits{})
	if err := os.WriteFile(filepath.Join(other.Dir, "secret.txt"), []byte("OTHER-JOB"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		script string // python
		want   string
	}{
		{"connect host loopback", fmt.Sprintf(`
import socket
try:
    socket.create_connection(("127.0.0.1", %d), timeout=3); print("OPEN")
except OSError as e:
    print("BLOCKED", e)`, port), "BLOCKED"},
		{"connect outside address", `
import socket
for addr in [("1.1.1.1", 53), ("10.0.0.1", 80), ("8.8.8.8", 443)]:
    try:
        socket.create_connection(addr, timeout=3); print("OPEN", addr)
    except OSError as e:
        print("BLOCKED", e)`, "BLOCKED"},
		{"read another job's folder", fmt.Sprintf(`
import os
for p in [%q, %q]:
    try:
        print("READ", open(p).read() if p.endswith(".txt") else os.listdir(p))
    except OSError as e:
        print("BLOCKED", e)`, filepath.Join(other.Dir, "secret.txt"), other.Dir), "BLOCKED"},
		{"list the work root", fmt.Sprintf(`
import os
try:
    print("READ", os.listdir(%q))
except OSError as e:
    print("BLOCKED", e)`, cfg.WorkRoot), "BLOCKED"},
		{"read host state", fmt.Sprintf(`
try:
    print("READ", open(%q).read())
except OSError as e:
    print("BLOCKED", e)`, filepath.Join(state, "instance.db")), "BLOCKED"},
		{"read host config in /etc", `
import os
try:
    print("READ", os.listdir("/etc"))
except OSError as e:
    print("BLOCKED", e)`, "BLOCKED"},
		{"write outside the working folder", fmt.Sprintf(`
try:
    open(%q, "w").write("x"); print("WROTE")
except OSError as e:
    print("BLOCKED", e)`, filepath.Join(open, "pwned")), "BLOCKED"},
		{"write into the runtime", `
try:
    open("/usr/lib/pwned", "w").write("x"); print("WROTE")
except OSError as e:
    print("BLOCKED", e)`, "BLOCKED"},
		{"signal the host", fmt.Sprintf(`
import os, signal
try:
    os.kill(%d, signal.SIGTERM); print("SIGNALLED")
except OSError as e:
    print("BLOCKED", e)`, os.Getpid()), "BLOCKED"},
		{"ptrace the host", fmt.Sprintf(`
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
r = libc.ptrace(16, %d, 0, 0)  # PTRACE_ATTACH
print("BLOCKED" if r != 0 else "ATTACHED", ctypes.get_errno())`, os.Getpid()), "BLOCKED"},
		{"raise the core limit", `
import resource
try:
    resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY)); print("RAISED")
except (OSError, ValueError) as e:
    print("BLOCKED", e)`, "BLOCKED"},
		{"private tmp hides the host's and works", `
import os
before = os.listdir("/tmp")
open("/tmp/x", "w").write("ok"); open("/dev/shm/y", "w").write("ok")
print("OK" if before == [] and open("/tmp/x").read() == "ok" else "BROKEN %r" % before)`, "OK"},
	}
	py := openExe(t, python)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJob(t, m, Limits{MemoryBytes: 256 << 20, MaxProcs: 64})
			r := run(t, j, py, "-c", tt.script)
			if r.err != nil {
				t.Fatalf("job failed: %v\n%s%s", r.err, r.stdout, r.stderr)
			}
			t.Logf("job says: %s", r.stdout)
			for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				if !strings.HasPrefix(line, tt.want) {
					t.Errorf("got %q, want every line to start with %q (stderr %s)", line, tt.want, r.stderr)
				}
			}
			if r.stdout == "" {
				t.Errorf("no output; stderr: %s", r.stderr)
			}
		})
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("host listener accepted %d connections from jobs", n)
	}
	if _, err := os.Stat(filepath.Join(open, "pwned")); err == nil {
		t.Error("job wrote outside its folder")
	}
}

func TestJob_SetuidBinaryGainsNothing(t *testing.T) {
	requireRoot(t)
	m := newManager(t, testConfig(t))
	j := newJob(t, m, Limits{MaxProcs: 32})
	raw, err := os.ReadFile("/usr/bin/id")
	if err != nil {
		t.Skip("needs /usr/bin/id")
	}
	suid := filepath.Join(j.Dir, "suid-id")
	if err := os.WriteFile(suid, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(suid, 0o4755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(suid); fi.Mode()&os.ModeSetuid == 0 {
		t.Fatal("could not make a setuid-root file")
	}
	r := sh(t, j, suid+" -u")
	if r.err != nil {
		t.Fatalf("job failed: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if got := strings.TrimSpace(r.stdout); got != strconv.Itoa(j.UID) {
		t.Errorf("setuid-root binary ran with euid %q, want the worker's %d", got, j.UID)
	}
}

func TestJob_LimitsReportedInStats(t *testing.T) {
	requireRoot(t)
	m := newManager(t, testConfig(t))
	tests := []struct {
		name     string
		lim      Limits
		exe      string
		args     []string
		wantOOM  bool
		wantPids bool
	}{
		{"memory hog", Limits{MemoryBytes: 64 << 20, MaxProcs: 32}, python, []string{"-c", `a = b"x" * (512 << 20)`}, true, false},
		{"fork bomb", Limits{MemoryBytes: 256 << 20, MaxProcs: 16}, "/bin/sh", []string{"-c", `i=0; while [ $i -lt 200 ]; do sleep 3 & i=$((i+1)); done; wait`}, false, true},
		{"within limits", Limits{MemoryBytes: 256 << 20, MaxProcs: 16}, python, []string{"-c", `a = b"x" * (8 << 20)`}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJob(t, m, tt.lim)
			r := run(t, j, openExe(t, tt.exe), tt.args...)
			if r.stats.OOMKilled != tt.wantOOM || r.stats.PidsLimitHit != tt.wantPids {
				t.Errorf("stats %+v, want OOMKilled=%v PidsLimitHit=%v (err %v, stderr %s)", r.stats, tt.wantOOM, tt.wantPids, r.err, r.stderr)
			}
			if tt.wantOOM == (r.err == nil) && tt.wantOOM {
				t.Errorf("memory hog exited cleanly")
			}
			if r.stats.PeakMemoryBytes <= 0 || r.stats.PeakMemoryBytes > tt.lim.MemoryBytes {
				t.Errorf("peak %d bytes, want in (0, %d]", r.stats.PeakMemoryBytes, tt.lim.MemoryBytes)
			}
			if r.stats.CPUUser+r.stats.CPUSystem <= 0 {
				t.Errorf("no CPU time recorded: %+v", r.stats)
			}
		})
	}
}

func TestJob_KillGetsDoubleForkedDaemon(t *testing.T) {
	requireRoot(t)
	m := newManager(t, testConfig(t))
	j := newJob(t, m, Limits{MaxProcs: 32})
	cmd, out, _ := start(t, j, openExe(t, "/bin/sh"), []string{"-c",
		`(setsid sh -c 'trap "" HUP TERM; sleep 1000' </dev/null >/dev/null 2>&1 &); echo started; exec sleep 1000`}, nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids, _ := pidsOfUIDs(func(id int) bool { return id == j.UID })
		if strings.Contains(out.String(), "started") && len(pids) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon did not start: pids %v, out %q", pids, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := j.Kill(); err != nil {
		t.Fatalf("Kill: %v", err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("job exited cleanly after Kill")
	}
	if pids, _ := pidsOfUIDs(func(id int) bool { return id == j.UID }); len(pids) != 0 {
		t.Errorf("processes of worker %d survive Kill: %v", j.UID, pids)
	}
}

func TestJob_ExtraFilesAndSealedMemfd(t *testing.T) {
	requireRoot(t)
	m := newManager(t, testConfig(t))
	j := newJob(t, m, Limits{MaxProcs: 32})

	// The launcher bytes live only in a sealed memfd, as the catalog hands them over.
	raw, err := os.ReadFile("/bin/sh")
	if err != nil {
		t.Skip("needs /bin/sh")
	}
	fd, err := unix.MemfdCreate("launcher", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		t.Fatal(err)
	}
	mem := os.NewFile(uintptr(fd), "memfd:launcher")
	defer mem.Close()
	if _, err := mem.Write(raw); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.FcntlInt(mem.Fd(), unix.F_ADD_SEALS, unix.F_SEAL_WRITE|unix.F_SEAL_GROW|unix.F_SEAL_SHRINK|unix.F_SEAL_SEAL); err != nil {
		t.Fatal(err)
	}

	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	cmd, out, errb := start(t, j, mem, []string{"-c", `echo data-plane >&3; for fd in 4 5 6 7; do [ -e /proc/self/fd/$fd ] && echo leaked fd $fd; done; echo done`}, []*os.File{pw})
	pw.Close()
	line, _ := bufio.NewReader(pr).ReadString('\n')
	if err := cmd.Wait(); err != nil {
		t.Fatalf("job failed: %v\n%s", err, errb.String())
	}
	if line != "data-plane\n" {
		t.Errorf("fd 3 got %q, want data-plane", line)
	}
	if out.String() != "done\n" {
		t.Errorf("stdout %q: the launcher sees more than fds 0-3", out.String())
	}
}

func TestJob_SocketDirReachableFromHost(t *testing.T) {
	requireRoot(t)
	m := newManager(t, testConfig(t))
	j := newJob(t, m, Limits{MaxProcs: 32})
	sock := filepath.Join(j.SocketDir, "plugin.sock")
	cmd, out, errb := start(t, j, openExe(t, python), []string{"-c", fmt.Sprintf(`
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(%q); s.listen(1)
print("listening", flush=True)
c, _ = s.accept(); c.sendall(b"hello from the sandbox")`, sock)}, nil)
	var c net.Conn
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(out.String(), "listening") {
			c, err = net.Dial("unix", sock)
			break
		}
	}
	if c == nil {
		t.Fatalf("no socket: %v; stdout %q stderr %q", err, out.String(), errb.String())
	}
	got, _ := io.ReadAll(c)
	c.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("job failed: %v\n%s", err, errb.String())
	}
	if string(got) != "hello from the sandbox" {
		t.Errorf("read %q over the job's socket", got)
	}
}

func TestManager_QueueTimesOutWithNoWorker(t *testing.T) {
	requireRoot(t)
	cfg := testConfig(t)
	cfg.WorkerCount, cfg.QueueTimeout = 1, 150*time.Millisecond
	m := newManager(t, cfg)
	first := newJob(t, m, Limits{})
	start := time.Now()
	_, err := m.NewJob(context.Background(), "second", Limits{})
	if !errors.Is(err, ErrNoWorker) || !strings.Contains(err.Error(), "no worker account free") {
		t.Fatalf("err = %v, want ErrNoWorker", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("gave up after %s, before QueueTimeout", d)
	}
	// The queue moves on once the first job closes.
	done := make(chan error, 1)
	go func() {
		j, err := m.NewJob(context.Background(), "third", Limits{})
		if err == nil {
			err = j.Close()
		}
		done <- err
	}()
	time.Sleep(30 * time.Millisecond)
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("queued job: %v", err)
	}
}

func TestManager_CleanupRemovesWhatACrashedHostLeft(t *testing.T) {
	requireRoot(t)
	cfg := testConfig(t)
	crashed := newManager(t, cfg)
	j := newJob(t, crashed, Limits{MaxProcs: 32})
	_, out, _ := start(t, j, openExe(t, "/bin/sh"), []string{"-c", `(setsid sleep 1000 &); echo up; exec sleep 1000`}, nil)
	if err := out.AwaitCount("up", 1, 10*time.Second, nil); err != nil {
		t.Fatalf("job did not start: %v", err)
	}
	// A new host process starts over the same configuration.
	restarted, err := NewManager(cfg, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	if err := restarted.Cleanup(); err != nil {
		t.Fatalf("Cleanup: %v", err)
	}
	if pids, _ := pidsOfUIDs(func(id int) bool { return id == j.UID }); len(pids) != 0 {
		t.Errorf("worker processes survive Cleanup: %v", pids)
	}
	if entries, _ := os.ReadDir(cfg.WorkRoot); len(entries) != 0 {
		t.Errorf("work root still holds %d entries", len(entries))
	}
	for _, d := range restarted.layout.ParentDirs() {
		if entries, _ := os.ReadDir(d); countDirs(entries) != 0 {
			t.Errorf("cgroup parent %s still has job groups", d)
		}
	}
}

func countDirs(entries []os.DirEntry) int {
	n := 0
	for _, e := range entries {
		if e.IsDir() {
			n++
		}
	}
	return n
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestManager_FiftyJobsLeaveNothingBehind(t *testing.T) {
	requireRoot(t)
	cfg := testConfig(t)
	cfg.WorkerCount = 4
	m := newManager(t, cfg)
	sh := openExe(t, "/bin/sh")
	fdsBefore := openFDs(t)
	const jobs, parallel = 50, 4
	began := time.Now()
	errs := make(chan error, jobs)
	sem := make(chan struct{}, parallel)
	for i := 0; i < jobs; i++ {
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem }()
			errs <- oneJob(m, fmt.Sprintf("many-%d", i), sh)
		}(i)
	}
	for i := 0; i < jobs; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	t.Logf("%d jobs, %d at a time, in %s (%s per job start-to-close)", jobs, parallel, time.Since(began), time.Since(began)*parallel/jobs)
	if n := m.Running(); n != 0 {
		t.Errorf("%d jobs still registered", n)
	}
	if entries, _ := os.ReadDir(cfg.WorkRoot); len(entries) != 0 {
		t.Errorf("work root still holds %d entries", len(entries))
	}
	for _, d := range m.layout.ParentDirs() {
		if entries, _ := os.ReadDir(d); countDirs(entries) != 0 {
			t.Errorf("cgroup parent %s still has %d job groups", d, countDirs(entries))
		}
	}
	if pids, _ := pidsOfUIDs(m.pool.Contains); len(pids) != 0 {
		t.Errorf("worker processes left: %v", pids)
	}
	if n := m.pool.InUse(); n != 0 {
		t.Errorf("%d worker uids still leased", n)
	}
	// More after is a leak; fewer is an fd of the test process (an earlier
	// test's) closed meanwhile.
	if after := openFDs(t); after > fdsBefore {
		t.Errorf("open fds %d before, %d after", fdsBefore, after)
	}
}

func oneJob(m *Manager, id string, exe *os.File) error {
	j, err := m.NewJob(context.Background(), id, Limits{MemoryBytes: 128 << 20, MaxProcs: 16})
	if err != nil {
		return err
	}
	cmd, err := j.Command(exe, []string{"-c", `(setsid sleep 1000 &); echo $(id -u)`}, nil, nil)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		return err
	}
	if err := j.Started(cmd.Process.Pid); err != nil {
		return err
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	if got := strings.TrimSpace(out.String()); got != strconv.Itoa(j.UID) {
		return fmt.Errorf("%s ran as %q, want %d", id, got, j.UID)
	}
	return j.Close()
}

func TestNewManager_NoneModeRunsWithWarning(t *testing.T) {
	cfg := testConfig(t)
	cfg.Isolation = IsolationNone
	m := newManager(t, cfg)
	if w := m.Warnings(); len(w) == 0 || !strings.Contains(w[0], "isolation") {
		t.Fatalf("Warnings = %q, want the relaxation named", w)
	}
	j := newJob(t, m, Limits{})
	r := sh(t, j, `echo uid=$(id -u) pid=$$ ppid=$PPID`)
	if r.err != nil {
		t.Fatalf("job failed: %v\n%s", r.err, r.stderr)
	}
	if want := fmt.Sprintf("uid=%d ", os.Getuid()); !strings.HasPrefix(r.stdout, want) || strings.Contains(r.stdout, "pid=1 ") {
		t.Errorf("stdout %q, want %q in the host's PID namespace", r.stdout, want)
	}
}

func TestNewManager_RefusesMissingPrimitive(t *testing.T) {
	requireRoot(t)
	fakeCgroups := t.TempDir() // no controllers at all
	passwd := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(passwd, []byte("svc:x:1800000005:1800000005::/:/bin/false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr error
		wantMsg string
	}{
		{"no cgroup controllers", func(c *Config) { c.CgroupRoot = fakeCgroups }, ErrIsolationUnavailable, `"memory"`},
		{"worker range holds an account", func(c *Config) {
			c.WorkerUIDBase, c.AccountFiles = 1_800_000_000, []string{passwd}
		}, nil, "svc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			tt.edit(&cfg)
			_, err := NewManager(cfg, hclog.NewNullLogger())
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want %v mentioning %s", err, tt.wantErr, tt.wantMsg)
			}
		})
	}
}

func TestConfig_RejectsUnsafeSettings(t *testing.T) {
	tests := map[string]func(*Config){
		"unknown isolation":         func(c *Config) { c.Isolation = "some" },
		"relative work root":        func(c *Config) { c.WorkRoot = "jobs" },
		"work root is /":            func(c *Config) { c.WorkRoot = "/" },
		"read-only path above jobs": func(c *Config) { c.ReadOnlyPaths = []string{"/usr", "/var"} },
		"read-only root":            func(c *Config) { c.ReadOnlyPaths = []string{"/"} },
		"read-only path in jobs":    func(c *Config) { c.ReadOnlyPaths = []string{c.WorkRoot + "/x"} },
		"relative launcher":         func(c *Config) { c.LauncherExe = "launchpad" },
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := Config{WorkRoot: "/var/lib/launchpad/jobs", LauncherExe: "/usr/bin/launchpad"}
			edit(&cfg)
			cfg.setDefaults()
			if err := cfg.validate(); !errors.Is(err, ErrBadConfig) {
				t.Errorf("validate = %v, want ErrBadConfig", err)
			}
		})
	}
	ok := Config{WorkRoot: "/var/lib/launchpad/jobs", LauncherExe: "/usr/bin/launchpad"}
	ok.setDefaults()
	if err := ok.validate(); err != nil {
		t.Errorf("defaults rejected: %v", err)
	}
}

func TestNewJob_RejectsBadIDs(t *testing.T) {
	requireRoot(t)
	m := newManager(t, testConfig(t))
	for _, id := range []string{"", "../escape", "a/b", ".hidden", "with space", strings.Repeat("x", 65)} {
		if _, err := m.NewJob(context.Background(), id, Limits{}); !errors.Is(err, ErrBadJobID) {
			t.Errorf("NewJob(%q) err = %v, want ErrBadJobID", id, err)
		}
	}
	j := newJob(t, m, Limits{})
	if _, err := m.NewJob(context.Background(), j.ID, Limits{}); !errors.Is(err, ErrJobExists) {
		t.Errorf("duplicate id err = %v, want ErrJobExists", err)
	}
}

func TestJob_GateHoldsUntilStarted(t *testing.T) {
	requireRoot(t)
	m := newManager(t, testConfig(t))
	j := newJob(t, m, Limits{MaxProcs: 16})
	marker := filepath.Join(j.Dir, "ran")
	cmd, err := j.Command(openExe(t, "/bin/sh"), []string{"-c", "touch " + marker}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("launcher ran before Started opened the gate")
	}
	// Closing without Started closes the gate unopened: the launcher never runs.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("sandbox-init exited 0 although its gate was never opened")
	}
}

func TestNewManager_RefusesFullIsolationWithoutRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("runs as non-root only: checks that full isolation refuses to start without root")
	}
	_, err := NewManager(testConfig(t), hclog.NewNullLogger())
	if !errors.Is(err, ErrIsolationUnavailable) || !strings.Contains(err.Error(), "root") {
		t.Errorf("err = %v, want ErrIsolationUnavailable naming root", err)
	}
}

func TestManager_RefusesWorkRootTooLongForSockets(t *testing.T) {
	long := "/var/lib/" + strings.Repeat("x", 60)
	err := checkSocketRoom(long)
	if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), "unix socket limit") {
		t.Fatalf("err = %v", err)
	}
	if err := checkSocketRoom("/var/lib/launchpad/jobs"); err != nil {
		t.Fatalf("default work root refused: %v", err)
	}
}
