package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Hostile scripts through the real host (issue 4): every attack must end
// with a clear error (the script's own exception, or a typed limit error
// naming the figure) while the host keeps serving other jobs.

// workerUIDFloor is the bottom of every worker uid range the e2e hosts use.
const workerUIDFloor = 1890000000

// limitsHostHCL is an extra host with small limits so limit tests are quick.
// Its uid range sits above the main host's (default 20 from 1890000000).
const limitsHostHCL = `
limits {
  memory        = "256MiB"
  max_processes = 64
  timeout       = "10s"
  max_messages  = "1MiB"
}
sandbox {
  workers  = 4
  uid_base = 1890100000
}
`

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

// whileServing runs attack and, overlapping it, a healthy job on the same
// host: the attack must not stop the host from serving others.
func whileServing(t *testing.T, h *host, attack func()) {
	t.Helper()
	var wg sync.WaitGroup
	var healthyErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(700 * time.Millisecond) // let the attack get going
		healthyErr = healthyJob(t, h)
	}()
	attack()
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

// waitNoWorkerProcesses waits up to d for every worker process to be gone.
func waitNoWorkerProcesses(t *testing.T, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		left := workerProcesses()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker processes survive their jobs:\n%s", strings.Join(left, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// jobCgroups lists the job groups under every hierarchy's launchpad parent.
func jobCgroups() []string {
	var out []string
	for _, pat := range []string{"/sys/fs/cgroup/*/launchpad/*", "/sys/fs/cgroup/launchpad/*"} {
		m, _ := filepath.Glob(pat)
		for _, p := range m {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
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
		{"PtraceHost", ptrace, []string{"ptrace attach: No such process"}},
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
