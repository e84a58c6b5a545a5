package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Hostile scripts through the real host (issue 4): every attack must end
// with a clear error (the script's own exception, or a typed limit error
// naming the figure) while the host keeps serving other jobs.

// workerUIDFloor is the bottom of every worker uid range the e2e hosts use.
const workerUIDFloor = 1890000000

// limitsHostHCL is an extra host with small limits so limit tests are quick,
// with a worker range of this test process's own.
func limitsHostHCL() string {
	return fmt.Sprintf(`
limits {
  memory        = "256MiB"
  max_processes = 64
  timeout       = "10s"
  max_messages  = "1MiB"
}
sandbox {
  workers  = 4
  uid_base = %d
}
`, extraUIDBase(3))
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: the host runs jobs in full isolation (worker uids, namespaces, cgroups, Landlock) only as root")
	}
}

// mustFail asserts a job failed (exit 1) with every want in its error output
// and the job id.
func mustFail(t *testing.T, r result, wants ...string) {
	t.Helper()
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (job failed)\nstdout: %s\nstderr: %s", r.code, tail(r.stdout, 2000), tail(r.stderr, 3000))
	}
	for _, w := range append(wants, "job j-") {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("error output lacks %q:\n%s", w, tail(r.stderr, 3000))
		}
	}
}

// healthyJob runs a small job that must succeed and return its input.
func healthyJob(t *testing.T, h *host) error {
	r := execArgsAt(t, "unix://"+h.sock, "--language", "Python", "--format", "csv",
		"--input-query", "SELECT 41 + 1 AS answer", "--script", "OutputDataSet = InputDataSet")
	if r.code != 0 || !strings.Contains(r.stdout, "42") {
		return fmt.Errorf("healthy job: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, tail(r.stderr, 2000))
	}
	return nil
}

// launcherStarted is what a host logs (at debug level) once a job's
// launcher answered go-plugin's handshake.
const launcherStarted = "using plugin"

// whileServing runs attack and, overlapping it, a healthy job on the same
// host: the attack must not stop the host from serving others.
func whileServing(t *testing.T, h *host, attack func()) {
	t.Helper()
	var wg sync.WaitGroup
	var healthyErr error
	started, attackDone := h.logBuf.Count(launcherStarted), make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Once the attack's launcher runs (or the attack is over already).
		h.logBuf.AwaitCount(launcherStarted, started+1, time.Minute, attackDone)
		healthyErr = healthyJob(t, h)
	}()
	attack()
	close(attackDone)
	wg.Wait()
	if healthyErr != nil {
		t.Errorf("host stopped serving others during the attack: %v", healthyErr)
	}
	if err := healthyJob(t, h); err != nil {
		t.Errorf("host stopped serving after the attack: %v", err)
	}
}

// procUIDs returns /proc/PID/status's real, effective, saved uids.
func procUIDs(pid string) ([]int, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "status"))
	if err != nil {
		return nil, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == "Uid:" {
			var ids []int
			for _, s := range f[1:4] {
				n, _ := strconv.Atoi(s)
				ids = append(ids, n)
			}
			return ids, true
		}
	}
	return nil, false
}

// workerProcesses lists "pid uid cmdline" of every process running under a
// worker uid (>= workerUIDFloor).
func workerProcesses() []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		ids, ok := procUIDs(e.Name())
		if !ok {
			continue
		}
		for _, id := range ids {
			if id >= workerUIDFloor {
				cmd, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
				out = append(out, fmt.Sprintf("%s uid=%d %s", e.Name(), id, strings.ReplaceAll(string(cmd), "\x00", " ")))
				break
			}
		}
	}
	return out
}

// jobCgroups lists the job groups under every hierarchy's parent cgroup,
// inside resource pools' groups (parent/pool-NAME/job-ID) or not; the
// pools' own groups live as long as their host and are not listed.
func jobCgroups(parent string) []string {
	var out []string
	for _, pat := range []string{"/sys/fs/cgroup/*/" + parent + "/*", "/sys/fs/cgroup/" + parent + "/*",
		"/sys/fs/cgroup/*/" + parent + "/pool-*/*", "/sys/fs/cgroup/" + parent + "/pool-*/*"} {
		m, _ := filepath.Glob(pat)
		for _, p := range m {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() && !strings.HasPrefix(filepath.Base(p), "pool-") {
				out = append(out, p)
			}
		}
	}
	return out
}

func TestHostile_ScriptsAreBlocked(t *testing.T) {
	requireRoot(t)
	h := theHost

	// A live listener on the host's loopback: a job must not reach it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int32
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

	// A world-readable configuration file beside the state folder: file
	// modes would let anyone read it, the sandbox must not.
	cfgPath := filepath.Join(h.dir, "launchpad.hcl")
	if err := os.WriteFile(cfgPath, []byte("limits {\n  timeout = \"1m\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(cfgPath) })

	escapeVarTmp := filepath.Join("/var/tmp", fmt.Sprintf("launchpad-escape-%d", time.Now().UnixNano()))
	escapeState := filepath.Join(h.state, "escape")
	t.Cleanup(func() { os.Remove(escapeVarTmp); os.Remove(escapeState) })

	readFile := func(p string) string { return fmt.Sprintf("print(open(%q, 'rb').read(64))", p) }
	ptrace := fmt.Sprintf(`import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(16, %d, 0, 0) != 0:  # PTRACE_ATTACH
    e = ctypes.get_errno()
    raise OSError(e, "ptrace attach: " + os.strerror(e))
raise RuntimeError("ptrace attached to the host")`, h.pid())

	cases := []struct {
		name   string
		script string
		wants  []string
	}{
		{"ConnectToHostLoopbackListener",
			fmt.Sprintf("import socket\nsocket.create_connection(('127.0.0.1', %d), timeout=3)", port),
			[]string{"ConnectionRefusedError"}},
		{"ConnectToOutsideAddress",
			"import socket\nsocket.create_connection(('192.0.2.1', 80), timeout=3)",
			[]string{"Network is unreachable"}},
		{"ReadInstanceDatabase", readFile(filepath.Join(h.state, "instance.db")), []string{"PermissionError"}},
		{"ReadDevKey", readFile(filepath.Join(h.state, "dev.key")), []string{"PermissionError"}},
		{"ReadCatalog", readFile(filepath.Join(h.state, "catalog.json")), []string{"PermissionError"}},
		{"ReadTrustStore", readFile(filepath.Join(h.state, "trust.json")), []string{"PermissionError"}},
		{"ReadAuditLog", readFile(filepath.Join(h.state, "audit.log")), []string{"PermissionError"}},
		{"ReadWorldReadableConfig", readFile(cfgPath), []string{"PermissionError"}},
		{"ListStateFolder", fmt.Sprintf("import os\nprint(os.listdir(%q))", h.state), []string{"PermissionError"}},
		{"WriteIntoWorldWritableVarTmp", fmt.Sprintf("open(%q, 'w').write('x')", escapeVarTmp), []string{"PermissionError"}},
		{"WriteIntoStateFolder", fmt.Sprintf("open(%q, 'w').write('x')", escapeState), []string{"PermissionError"}},
		{"WriteIntoUsr", "open('/usr/launchpad-escape', 'w').write('x')", []string{"PermissionError"}},
		{"SignalHost", fmt.Sprintf("import os, signal\nos.kill(%d, signal.SIGKILL)", h.pid()), []string{"ProcessLookupError"}},
		{"PtraceHost", ptrace, []string{"ptrace attach: Operation not permitted"}}, // seccomp denies ptrace before the PID namespace hides the host
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.exec(t, "--language", "Python", "--script", c.script)
			mustFail(t, r, append([]string{"script error"}, c.wants...)...)
		})
	}
	if n := accepted.Load(); n != 0 {
		t.Errorf("the host's loopback listener accepted %d connections from jobs", n)
	}
	for _, p := range []string{escapeVarTmp, escapeState, "/usr/launchpad-escape"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("a job wrote %s outside its working folder", p)
			os.Remove(p)
		}
	}
	if err := healthyJob(t, h); err != nil {
		t.Errorf("host stopped serving after the attacks: %v", err)
	}
}

// uidRangeProcesses keeps the workerProcesses lines whose uid is in
// [base, base+n).
func uidRangeProcesses(base, n int) []string {
	var out []string
	for _, l := range workerProcesses() {
		var pid, uid int
		if _, err := fmt.Sscanf(l, "%d uid=%d", &pid, &uid); err == nil && uid >= base && uid < base+n {
			out = append(out, l)
		}
	}
	return out
}

// waitNoProcessesIn waits up to d for the uid range to hold no process.
func waitNoProcessesIn(t *testing.T, base, n int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := uidRangeProcesses(base, n)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes of worker uids %d..%d survive their jobs:\n%s", base, base+n-1, strings.Join(left, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A second job must not read, list, signal or ptrace a running job, which
// must finish unharmed.
func TestHostile_CannotTouchAnotherRunningJob(t *testing.T) {
	requireRoot(t)
	h := theHost
	secret := fmt.Sprintf("s3cret-%d", time.Now().UnixNano())
	// The victim writes a secret into its working folder and waits until the
	// test (root) removes it.
	victim := fmt.Sprintf(`import os, time, pandas as pd
open('secret.txt', 'w').write(%q)
deadline = time.time() + 60
while os.path.exists('secret.txt') and time.time() < deadline:
    time.sleep(0.05)
OutputDataSet = pd.DataFrame({'alive': [1]})`, secret)
	victimDone := make(chan result, 1)
	go func() {
		victimDone <- h.exec(t, "--language", "Python", "--format", "csv", "--script", victim)
	}()
	var secretPath string
	deadline := time.Now().Add(30 * time.Second)
	for secretPath == "" && time.Now().Before(deadline) {
		m, _ := filepath.Glob(filepath.Join(h.state, "jobs", "*", "secret.txt"))
		if len(m) == 1 {
			secretPath = m[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	if secretPath == "" {
		t.Fatal("the victim job's secret file never appeared under state/jobs")
	}
	victimDir := filepath.Dir(secretPath)
	// The victim's runtime as the host sees it: the python3 process of the
	// folder's owner.
	fi, err := os.Stat(victimDir)
	if err != nil {
		t.Fatal(err)
	}
	victimUID := int(fi.Sys().(*syscall.Stat_t).Uid)
	victimPID := 0
	for _, l := range workerProcesses() {
		var pid, uid int
		if _, err := fmt.Sscanf(l, "%d uid=%d", &pid, &uid); err == nil && uid == victimUID && strings.Contains(l, "python3") {
			victimPID = pid
		}
	}
	if victimPID == 0 {
		t.Fatalf("no python3 process of the victim's uid %d:\n%s", victimUID, strings.Join(workerProcesses(), "\n"))
	}

	cases := []struct {
		name   string
		script string
		wants  []string
	}{
		{"ReadSecret", fmt.Sprintf("print(open(%q).read())", secretPath), []string{"PermissionError"}},
		{"ListFolder", fmt.Sprintf("import os\nprint(os.listdir(%q))", victimDir), []string{"PermissionError"}},
		{"ListWorkRoot", fmt.Sprintf("import os\nprint(os.listdir(%q))", filepath.Dir(victimDir)), []string{"PermissionError"}},
		{"KillVictim", fmt.Sprintf("import os, signal\nos.kill(%d, signal.SIGKILL)", victimPID), []string{"ProcessLookupError"}},
		{"PtraceVictim", fmt.Sprintf(`import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(16, %d, 0, 0) != 0:
    e = ctypes.get_errno()
    raise OSError(e, "ptrace attach: " + os.strerror(e))
raise RuntimeError("ptrace attached to the victim")`, victimPID), []string{"ptrace attach: Operation not permitted"}}, // seccomp
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.exec(t, "--language", "Python", "--script", c.script)
			mustFail(t, r, append([]string{"script error"}, c.wants...)...)
			if strings.Contains(r.stderr, secret) {
				t.Errorf("the attacker saw the victim's secret:\n%s", r.stderr)
			}
		})
	}
	if err := os.Remove(secretPath); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-victimDone:
		if r.code != 0 || !strings.Contains(r.stdout, "alive") {
			t.Errorf("the victim job did not finish unharmed: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, tail(r.stderr, 2000))
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the victim job did not finish")
	}
}

// A setuid-root binary run by a job must not gain root: no_new_privs and
// the empty bounding set keep the worker's uid across exec.
func TestHostile_SetuidBinaryGainsNothing(t *testing.T) {
	requireRoot(t)
	var bin string
	for _, p := range []string{"/bin/su", "/usr/bin/su", "/usr/bin/passwd"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode()&os.ModeSetuid != 0 {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Skip("no setuid-root binary (su, passwd) on this machine")
	}
	// The child's /proc status is read while it waits for a password; if
	// the sandbox refuses the exec altogether, that is recorded too.
	script := fmt.Sprintf(`import os, subprocess, time, pandas as pd
try:
    p = subprocess.Popen([%q], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
except OSError as e:
    OutputDataSet = pd.DataFrame({'outcome': ['exec refused: %%s' %% e], 'uids': [''], 'out': ['']})
else:
    uids = ''
    for _ in range(50):
        try:
            st = open('/proc/%%d/status' %% p.pid).read()
        except OSError:
            break
        line = [l for l in st.splitlines() if l.startswith('Uid:')][0]
        uids = line
        if 'su' in open('/proc/%%d/comm' %% p.pid).read() or 'passwd' in open('/proc/%%d/comm' %% p.pid).read():
            break
        time.sleep(0.01)
    try:
        out, _ = p.communicate(b'\n', timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    OutputDataSet = pd.DataFrame({'outcome': ['exit %%d' %% p.returncode], 'uids': [uids], 'out': [out.decode(errors='replace')]})
OutputDataSet['self_euid'] = os.geteuid()`, bin)
	jr, _ := runJSON(t, "--language", "Python", "--script", script)
	str := func(col string) string {
		var v string
		if err := json.Unmarshal([]byte(jr.cell(t, 0, col)), &v); err != nil {
			t.Fatalf("column %s: %v", col, err)
		}
		return v
	}
	outcome, uids, out, euid := str("outcome"), str("uids"), str("out"), jr.cell(t, 0, "self_euid")
	t.Logf("%s: outcome %q, child %q, output %q, script euid %s", bin, outcome, uids, out, euid)
	if euid == "0" || !strings.HasPrefix(euid, "189") {
		t.Errorf("the script runs as euid %s, want a worker uid", euid)
	}
	switch f := strings.Fields(uids); {
	case strings.HasPrefix(outcome, "exec refused"):
	case len(f) == 5:
		// The child was caught after exec: real, effective, saved, fs uid.
		for _, id := range f[1:] {
			if id != euid {
				t.Errorf("%s changed uids inside a job: %s", bin, uids)
			}
		}
	default:
		t.Errorf("the child's uids were never seen: %q (outcome %q)", uids, outcome)
	}
	if strings.Contains(out, "uid=0") {
		t.Errorf("%s ran as root: %s", bin, out)
	}
}

// Limits end a job with a typed error naming the limit and the figure, the
// job's processes die with it, and the host keeps serving others.
func TestHostile_LimitsEndJobsClearly(t *testing.T) {
	requireRoot(t)
	h := startExtraHost(t, limitsHostHCL())
	const base, workers = 1890100000, 4
	cases := []struct {
		name    string
		script  string
		wants   []string
		within  time.Duration
		atLeast time.Duration
	}{
		{"ForkBomb", `import os, time
root = os.getpid()
while True:
    try:
        os.fork()  # parent and every child keep forking
    except BlockingIOError:
        if os.getpid() == root:
            raise
        time.sleep(0.5)`,
			[]string{"limit exceeded (processes)", "limit of 64 processes"}, 30 * time.Second, 0},
		{"MemoryHog", `hog = []
while True:
    hog.append(b'x' * (16 << 20))`,
			[]string{"limit exceeded (memory)", "memory limit of 268435456 bytes", "peak"}, 30 * time.Second, 0},
		{"InfiniteLoop", "while True:\n    pass",
			[]string{"limit exceeded (time)", "10s"}, 25 * time.Second, 9 * time.Second},
		{"HundredMegabytesOfStdout", `import sys
chunk = 'x' * (1 << 20)
for _ in range(100):
    sys.stdout.write(chunk)
sys.stdout.flush()`,
			[]string{"limit exceeded (messages)", "1048576 bytes"}, 10 * time.Second, 0},
		{"KilledBySIGKILL", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
			[]string{"signal", "killed"}, 15 * time.Second, 0},
		{"KilledBySIGSEGV", "import ctypes\nctypes.string_at(0)",
			[]string{"signal", "segmentation fault"}, 15 * time.Second, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			whileServing(t, h, func() {
				start := time.Now()
				r := h.exec(t, "--language", "Python", "--script", c.script)
				took := time.Since(start)
				mustFail(t, r, c.wants...)
				if took > c.within || took < c.atLeast {
					t.Errorf("the job ended after %v, want %v..%v", took.Round(time.Millisecond), c.atLeast, c.within)
				}
				t.Logf("ended after %v: %.200s", took.Round(time.Millisecond), lastLine(r.stderr))
			})
			waitNoProcessesIn(t, base, workers, 10*time.Second)
		})
	}
	t.Run("DoubleForkedDaemonDiesWithItsJob", func(t *testing.T) {
		// The daemon leaves the job's session and process group, ignores
		// TERM and HUP and closes every inherited descriptor.
		script := `import os, signal, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        os.closerange(0, 4096)
        time.sleep(600)
    os._exit(0)
os.wait()
time.sleep(0.3)`
		r := h.exec(t, "--language", "Python", "--script", script)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, tail(r.stderr, 2000))
		}
		waitNoProcessesIn(t, base, workers, 10*time.Second)
	})
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// fdCount counts a process's open descriptors, leaving out those of the
// instance database: database/sql keeps a bounded pool of connections
// open, and how many of them are idle depends on past concurrency.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		target, _ := os.Readlink(filepath.Join(dir, e.Name()))
		if !strings.Contains(filepath.Base(target), "instance.db") {
			n++
		}
	}
	return n
}

// After many jobs (ok, failing, daemon-leaving) the host holds no job
// cgroup, working folder, worker process or extra file descriptor.
//
// Its host keeps no warm runtimes, whose waiting sandboxes would be
// leftovers to this count (TestWarm_RevocationDiscardsWaitingRuntimes counts
// theirs). A sandbox goes after its job's result: the checks wait for it.
func TestHostile_TwoHundredJobsLeaveNothingBehind(t *testing.T) {
	requireRoot(t)
	h := startSharedHost(t, fmt.Sprintf("sandbox {\n  uid_base = %d\n  workers  = 20\n}\n"+
		"launcher \"PythonLauncher\" {\n  warm = 0\n}\nlauncher \"RLauncher\" {\n  warm = 0\n}\n", extraUIDBase(31)))
	const jobs, parallel = 200, 4
	// Warm up so lazily opened descriptors are counted in the baseline.
	for i := 0; i < parallel; i++ {
		if err := healthyJob(t, h); err != nil {
			t.Fatal(err)
		}
	}
	var fdsBefore int
	waitStable := func() int {
		// gRPC connections of finished exec clients close asynchronously.
		n, same := fdCount(t, h.pid()), 0
		for i := 0; i < 50 && same < 5; i++ {
			time.Sleep(100 * time.Millisecond)
			if m := fdCount(t, h.pid()); m == n {
				same++
			} else {
				n, same = m, 0
			}
		}
		return n
	}
	fdsBefore = waitStable()
	// Short ids: the job folder holds go-plugin's socket, whose path must
	// fit in sun_path's 108 bytes.
	prefix := fmt.Sprintf("m%d-", time.Now().UnixNano()%1e4)
	scripts := []struct{ script, want string }{
		{"OutputDataSet = InputDataSet", ""},
		{"raise ValueError('boom')", "ValueError"},
		{"import os, time\nif os.fork() == 0:\n    os.setsid()\n    os.closerange(0, 4096)\n    time.sleep(600)\nOutputDataSet = InputDataSet", ""},
	}
	var next atomic.Int32
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	// Control: while jobs run, the scan below must see their cgroups, or its
	// "none left" would prove nothing.
	var seen atomic.Bool
	sampling := make(chan struct{})
	go func() {
		for {
			select {
			case <-sampling:
				return
			case <-time.After(50 * time.Millisecond):
			}
			for _, g := range jobCgroups(h.cgroupParent()) {
				if strings.Contains(g, prefix) {
					seen.Store(true)
				}
			}
		}
	}()
	for w := 0; w < parallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= jobs {
					return
				}
				s := scripts[i%len(scripts)]
				r := h.exec(t, "--language", "Python", "--format", "csv", "--job-id", fmt.Sprintf("%s%d", prefix, i),
					"--input-query", "SELECT 1 AS n", "--script", s.script)
				ok := r.code == 0
				if s.want != "" {
					ok = r.code == 1 && strings.Contains(r.stderr, s.want)
				}
				if !ok {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("job %d: exit %d: %s", i, r.code, tail(r.stderr, 500)))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(sampling)
	if len(failures) > 0 {
		t.Errorf("%d of %d jobs did not end as expected; first: %s", len(failures), jobs, failures[0])
	}
	if !seen.Load() {
		t.Errorf("never saw a job cgroup under %s while jobs ran: the leftover check below looks in the wrong place", h.cgroupParent())
	}
	waitNoProcessesIn(t, h.uidBase, 20, 10*time.Second)
	var left []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		left = left[:0]
		for _, g := range jobCgroups(h.cgroupParent()) {
			if strings.Contains(g, prefix) {
				left = append(left, "job cgroup "+g)
			}
		}
		ents, err := os.ReadDir(filepath.Join(h.state, "jobs"))
		if err != nil || len(ents) != 0 {
			left = append(left, fmt.Sprintf("state/jobs (err %v): %d entries", err, len(ents)))
		}
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("left 10 s after the jobs: %v", left)
	}
	if fdsAfter := waitStable(); fdsAfter > fdsBefore {
		t.Errorf("host holds %d file descriptors after %d jobs, %d before:\n%s", fdsAfter, jobs, fdsBefore, fdTargets(h.pid()))
	} else {
		t.Logf("host file descriptors: %d before, %d after %d jobs", fdsBefore, fdsAfter, jobs)
	}
}

// fdTargets lists a process's descriptors and what they point at.
func fdTargets(pid int) string {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, _ := os.ReadDir(dir)
	var b strings.Builder
	for _, e := range ents {
		target, _ := os.Readlink(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "%s -> %s\n", e.Name(), target)
	}
	return b.String()
}
