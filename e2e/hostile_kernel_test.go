package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Hostile scripts against kernel state shared across the sandbox boundary
// (issue 11, findings 4-7): keyrings, tracing the launcher, new namespaces,
// the kernel's riskier interfaces, and jobs outliving a killed host.

// kernelHostBase is the first worker uid of this file's extra hosts: above
// the main host's range (1_892_000_000 + up to 899_900) and per test process.
func kernelHostBase(slot int) int { return extraUIDBase(14 + slot) }

// pyErrno is a Python prelude: call(name, nr, *args) makes a raw system
// call and raises OSError naming it on failure, RuntimeError never.
const pyErrno = `import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def call(name, nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *[a if isinstance(a, (bytes, ctypes.Array)) else ctypes.c_long(a) for a in args])
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, name + ": " + os.strerror(e))
    return r
`

// startHostWithSessionKey starts an extra host whose session keyring (the
// one a login or a systemd service gives it) holds a user key: a fresh
// session keyring is joined on a thread of this test process that starts
// the host and then exits, so nothing else of the test sees it.
func startHostWithSessionKey(t *testing.T, hcl, desc, secret string) *host {
	t.Helper()
	type started struct {
		h   *host
		err error
	}
	ch := make(chan started, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with its changed keyring
		if _, err := unix.KeyctlJoinSessionKeyring("launchpad-e2e"); err != nil {
			ch <- started{err: fmt.Errorf("join session keyring: %w", err)}
			return
		}
		if _, err := unix.AddKey("user", desc, []byte(secret), unix.KEY_SPEC_SESSION_KEYRING); err != nil {
			ch <- started{err: fmt.Errorf("add key: %w", err)}
			return
		}
		var h *host
		defer func() { ch <- started{h: h} }()
		h = startExtraHost(t, hcl) // exec.Cmd forks from this thread
	}()
	s := <-ch
	if s.err != nil {
		t.Fatal(s.err)
	}
	if s.h == nil {
		t.FailNow() // startExtraHost reported why
	}
	return s.h
}

// TestHostile_KernelKeyrings: a job cannot see or read the keys of the
// session the host runs in, and keys cannot be left in the worker uid's
// keyrings for the next job of the same uid.
func TestHostile_KernelKeyrings(t *testing.T) {
	requireRoot(t)
	nonce := time.Now().UnixNano()
	desc := fmt.Sprintf("launchpad-e2e-host-key-%d", nonce)
	secret := fmt.Sprintf("host-secret-%d", nonce)
	// One worker: both jobs below run as the same uid.
	h := startHostWithSessionKey(t, fmt.Sprintf("sandbox {\n  workers = 1\n  uid_base = %d\n}\n", kernelHostBase(0)), desc, secret)

	userDesc := fmt.Sprintf("launchpad-e2e-job-key-%d", nonce)
	cases := []struct {
		name   string
		script string
		wants  []string
	}{
		{"ProcKeysHidesHostSession", `keys = open('/proc/keys').read()
if 'launchpad-e2e' in keys:
    raise RuntimeError('a key of the host session or another job is listed:\n' + keys)
raise OSError(0, 'host key not listed')`, []string{"host key not listed"}},
		{"SearchHostSessionKey", pyErrno + fmt.Sprintf(`
kid = call('keyctl search', 250, 10, -3, b'user', b%q, 0)  # KEYCTL_SEARCH @s
buf = ctypes.create_string_buffer(256)
n = call('keyctl read', 250, 11, kid, buf, 256)
raise RuntimeError('read the host key: %%r' %% buf.raw[:n])`, desc+"\x00"), []string{"keyctl search: Operation not permitted"}},
		{"AddKeyToUserKeyring", pyErrno + fmt.Sprintf(`
call('add_key', 248, b'user', b%q, b'left-behind', 11, -4)  # @u
raise RuntimeError('added a key to the worker uid keyring')`, userDesc+"\x00"), []string{"add_key: Operation not permitted"}},
		{"NextJobReadsUserKeyring", pyErrno + fmt.Sprintf(`
if %q in open('/proc/keys').read():
    raise RuntimeError('a key left by the previous job is listed')
call('keyctl search', 250, 10, -4, b'user', b%q, 0)  # @u
raise RuntimeError('found the previous job key')`, userDesc, userDesc+"\x00"), []string{"keyctl search: Operation not permitted"}},
		{"JoinSessionKeyringByName", pyErrno + `
call('keyctl join', 250, 1, b'launchpad-e2e\x00')  # KEYCTL_JOIN_SESSION_KEYRING
raise RuntimeError('joined a named session keyring')`, []string{"keyctl join: Operation not permitted"}},
	}
	// The same run-each-case loop as hostile_test's: a few lines, each file's cases read alone.
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := h.exec(t, "--language", "Python", "--script", c.script)
			mustFail(t, r, append([]string{"script error"}, c.wants...)...)
			if strings.Contains(r.stderr, secret) {
				t.Errorf("the job read the host's key:\n%s", r.stderr)
			}
		})
	}
	if err := healthyJob(t, h); err != nil {
		t.Error(err)
	}
}

// TestHostile_LauncherIsNotTraceable: the script's parent is its launcher,
// same uid, holding the host's log pipe and the go-plugin channel. The
// script must not read its memory or environment, trace it or take its
// descriptors.
func TestHostile_LauncherIsNotTraceable(t *testing.T) {
	requireRoot(t)
	cases := []struct {
		name   string
		script string
		wants  []string
	}{
		{"ReadLauncherEnviron", `import os
print(open('/proc/%d/environ' % os.getppid(), 'rb').read()[:200])`, []string{"PermissionError"}},
		{"ReadLauncherMaps", `import os
print(open('/proc/%d/maps' % os.getppid()).read()[:200])`, []string{"PermissionError"}},
		{"ReadLauncherMem", `import os
f = open('/proc/%d/mem' % os.getppid(), 'rb')
f.seek(0x400000)
print(f.read(64))`, []string{"PermissionError"}},
		{"PtraceLauncher", pyErrno + `
call('ptrace attach', 101, 16, os.getppid(), 0, 0)
raise RuntimeError('attached to the launcher')`, []string{"ptrace attach: Operation not permitted"}},
		{"ProcessVMReadvLauncher", pyErrno + `
buf = ctypes.create_string_buffer(64)
local = (ctypes.c_void_p * 2)(ctypes.cast(buf, ctypes.c_void_p), 64)
remote = (ctypes.c_void_p * 2)(0x400000, 64)
call('process_vm_readv', 310, os.getppid(), local, 1, remote, 1, 0)
raise RuntimeError('read the launcher memory')`, []string{"process_vm_readv: Operation not permitted"}},
		{"PidfdGetfdLauncherStderr", pyErrno + `
pfd = call('pidfd_open', 434, os.getppid(), 0)
fd = call('pidfd_getfd', 438, pfd, 2, 0)
os.write(fd, b'[ERROR] forged host line\n')
raise RuntimeError('took the launcher stderr')`, []string{"pidfd_getfd: Operation not permitted"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := execArgs(t, "--language", "Python", "--script", c.script)
			mustFail(t, r, append([]string{"script error"}, c.wants...)...)
		})
	}
}

// TestHostile_SeccompDeniesKernelAttackSurface: new namespaces (which gave
// full capabilities and a raw AF_PACKET socket), and the kernel interfaces
// Docker's default profile keeps from containers, fail with EPERM.
func TestHostile_SeccompDeniesKernelAttackSurface(t *testing.T) {
	requireRoot(t)
	attempt := func(desc string) string {
		return pyErrno + desc + "\nraise RuntimeError('the call succeeded')"
	}
	cases := []struct {
		name   string
		script string
		want   string
	}{
		{"UnshareUserAndNet", attempt(`call('unshare', 272, 0x10000000 | 0x40000000)
import socket
socket.socket(17, socket.SOCK_RAW)  # AF_PACKET`), "unshare: Operation not permitted"},
		{"CloneNewUser", attempt(`if call('clone', 56, 0x10000000 | 17, 0, 0, 0, 0) == 0:
    os._exit(0)  # the child, in its own user namespace`), "clone: Operation not permitted"},
		{"SocketAFPacket", attempt(`call('socket', 41, 17, 3, 0)`), "socket: Operation not permitted"},
		{"SocketAFAlg", attempt(`call('socket', 41, 38, 5, 0)`), "socket: Operation not permitted"},
		{"Setns", attempt(`call('setns', 308, os.open('/proc/self/ns/net', os.O_RDONLY), 0)`), "setns: Operation not permitted"},
		{"Bpf", attempt(`call('bpf', 321, 0, ctypes.create_string_buffer(128), 128)`), "bpf: Operation not permitted"},
		{"PerfEventOpen", attempt(`attr = ctypes.create_string_buffer(128)
attr[4] = 128  # size
call('perf_event_open', 298, attr, 0, -1, -1, 0)`), "perf_event_open: Operation not permitted"},
		{"Userfaultfd", attempt(`call('userfaultfd', 323, 1)  # UFFD_USER_MODE_ONLY`), "userfaultfd: Operation not permitted"},
		{"IoUringSetup", attempt(`call('io_uring_setup', 425, 4, ctypes.create_string_buffer(120))`), "io_uring_setup: Operation not permitted"},
		{"KexecLoad", attempt(`call('kexec_load', 246, 0, 0, 0, 0)`), "kexec_load: Operation not permitted"},
		{"PersonalityNoASLR", attempt(`call('personality', 135, 0x0040000)`), "personality: Operation not permitted"},
		{"OpenByHandleAt", attempt(`call('open_by_handle_at', 304, -100, ctypes.create_string_buffer(16), 0)`), "open_by_handle_at: Operation not permitted"},
		{"Syslog", attempt(`call('syslog', 103, 3, ctypes.create_string_buffer(64), 64)`), "syslog: Operation not permitted"},
		// Found attacking it ourselves: each is denied by the filter, some
		// also by missing capabilities.
		{"RequestKey", attempt(`call('request_key', 249, b'user\x00', b'launchpad-e2e\x00', 0, -4)`), "request_key: Operation not permitted"},
		{"TerminalInputInjection", attempt(`call('ioctl', 16, 1, 0x5412, b'x')  # TIOCSTI`), "ioctl: Operation not permitted"},
		{"MountTmpfs", attempt(`call('mount', 165, b'none\x00', b'/tmp\x00', b'tmpfs\x00', 0, 0)`), "mount: Operation not permitted"},
		{"NewMountAPI", attempt(`call('fsopen', 430, b'tmpfs\x00', 0)`), "fsopen: Operation not permitted"},
		{"I386SyscallABI", `import subprocess
# int 0x80 with eax=20 (getpid in the 32-bit table): another ABI must not slip past the filter.
code = bytes([0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xc3])
import mmap, ctypes
m = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
m.write(code)
f = ctypes.CFUNCTYPE(ctypes.c_long)(ctypes.addressof(ctypes.c_char.from_buffer(m)))
print('int 0x80 returned', f())
raise RuntimeError('32-bit system call ran')`, "killed by signal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := execArgs(t, "--language", "Python", "--script", c.script)
			mustFail(t, r, c.want)
		})
	}
	t.Run("FilterIsInstalled", func(t *testing.T) {
		r := execArgs(t, "--language", "Python", "--format", "csv", "--script", `import pandas as pd, threading, subprocess
st = dict(l.split(':\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\t' in l)
t = threading.Thread(target=lambda: None); t.start(); t.join()
out = subprocess.run(['/bin/echo', 'child ran'], capture_output=True, text=True).stdout.strip()
OutputDataSet = pd.DataFrame({'seccomp': [st['Seccomp'].strip()], 'child': [out]})`)
		if r.code != 0 || !strings.Contains(r.stdout, "2,child ran") {
			t.Fatalf("want seccomp mode 2 and threads/subprocesses working; exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, tail(r.stderr, 2000))
		}
	})
}

// TestHostile_JobsDieWithTheirHost: after kill -9 of the host, no process
// of its worker range survives (the launcher gets SIGKILL as the host dies,
// and it is pid 1 of the job's PID namespace), and the next start of the
// host removes the cgroups and folders the dead one left.
func TestHostile_JobsDieWithTheirHost(t *testing.T) {
	requireRoot(t)
	base := kernelHostBase(1)
	hcl := fmt.Sprintf("sandbox {\n  workers = 2\n  uid_base = %d\n}\n", base)
	h := startExtraHost(t, hcl)
	done := make(chan result, 2)
	for _, lang := range []string{"Python", "R"} {
		script := "import time\ntime.sleep(300)"
		if lang == "R" {
			script = "Sys.sleep(300)"
		}
		go func() { done <- h.exec(t, "--language", lang, "--script", script) }()
	}
	deadline := time.Now().Add(30 * time.Second)
	for !runtimesRunning(base) {
		if time.Now().After(deadline) {
			t.Fatalf("the jobs' runtimes never started:\n%s", strings.Join(uidRangeProcesses(base, 2), "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.proc.Kill()
	killed := time.Now()
	for left := uidRangeProcesses(base, 2); len(left) != 0; left = uidRangeProcesses(base, 2) {
		if time.Since(killed) > 5*time.Second {
			// Not fatal: the restart below sweeps them, so none outlives the test.
			t.Errorf("processes of the killed host's worker uids survive it:\n%s", strings.Join(left, "\n"))
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("worker processes gone %v after the host was killed", time.Since(killed).Round(time.Millisecond))
	for range 2 {
		<-done // the callers saw their host go away
	}
	restartHost(t, h)
	waitNoProcessesIn(t, base, 2, 10*time.Second)
	if left := jobCgroups(h.cgroupParent()); len(left) != 0 {
		t.Errorf("job cgroups of the killed host left after restart: %v", left)
	}
	if ents, err := os.ReadDir(filepath.Join(h.state, "jobs")); err == nil && len(ents) != 0 {
		t.Errorf("job folders of the killed host left after restart: %d", len(ents))
	}
	if err := healthyJob(t, h); err != nil {
		t.Error(err)
	}
}

// runtimesRunning reports whether a python3 and an R process run in the
// two-worker range at base.
func runtimesRunning(base int) bool {
	procs := strings.Join(uidRangeProcesses(base, 2), "\n")
	return strings.Contains(procs, "python3") && strings.Contains(procs, "/R")
}

// restartHost starts h again on its state folder and configuration, as an
// operator would after a crash; the start-up sweep runs before it listens.
func restartHost(t *testing.T, h *host) {
	t.Helper()
	os.Remove(h.sock)
	args := []string{"dev", "--state", h.state, "--isolation", isolation(), "--log-level", "debug"}
	if cfg := filepath.Join(h.dir, "launchpad.hcl"); fileExists(cfg) {
		args = append(args, "--config", cfg)
	}
	h.launch(t, args)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
