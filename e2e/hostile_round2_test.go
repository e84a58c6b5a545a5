package e2e

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Attacks from the second, outside-in round (e2e/testdata/attacks/README.md
// has each original script and what it found). These are the ones that were
// contained; the tests keep them contained.

// round2Host is a one-worker host, so consecutive jobs share a worker uid,
// with a short time limit and a small disk (16 MiB: 4,096 inodes).
func round2Host(t *testing.T) (*host, int) {
	t.Helper()
	base := extraUIDBase(2)
	h := startExtraHost(t, fmt.Sprintf(`limits {
  timeout = "15s"
  disk    = "16MiB"
}
sandbox {
  workers  = 1
  uid_base = %d
}
`, base))
	return h, base
}

// leftover_plant.py / leftover_check.py: a job leaves files in /dev/shm and
// /tmp, an abstract socket held by a setsid daemon and SysV IPC objects; the
// next job on the same worker uid finds none of them.
func TestHostile2_NothingLeftForTheNextJobOfTheSameUID(t *testing.T) {
	requireRoot(t)
	h, base := round2Host(t)
	plant := `
import os, socket, subprocess, ctypes
open('/dev/shm/planted', 'w').write('secret')
open('/tmp/planted', 'w').write('secret')
subprocess.Popen(['setsid', '/usr/bin/python3', '-c', 'import socket, time\ns = socket.socket(socket.AF_UNIX); s.bind("\\0lp-planted"); s.listen(); time.sleep(600)'],
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
libc = ctypes.CDLL(None, use_errno=True)
assert libc.shmget(0x4c505041, 4096, 0o1666) >= 0 and libc.msgget(0x4c505041, 0o1666) >= 0
import time; time.sleep(1)
print('planted by uid', os.getuid())
`
	check := `
import os, socket, ctypes
found = [p for p in ('/dev/shm/planted', '/tmp/planted') if os.path.exists(p)]
s = socket.socket(socket.AF_UNIX)
try:
    s.connect("\0lp-planted"); found.append('abstract socket')
except OSError:
    pass
libc = ctypes.CDLL(None, use_errno=True)
if libc.shmget(0x4c505041, 0, 0o666) >= 0: found.append('sysv shm')
if libc.msgget(0x4c505041, 0o666) >= 0: found.append('sysv msg')
print('uid', os.getuid(), 'found', found)
`
	r := h.exec(t, "--language", "Python", "--script", plant)
	if r.code != 0 || !strings.Contains(r.stderr, fmt.Sprintf("planted by uid %d", base)) {
		t.Fatalf("plant: exit %d\n%s", r.code, tail(r.stderr, 2000))
	}
	r = h.exec(t, "--language", "Python", "--script", check)
	if r.code != 0 || !strings.Contains(r.stderr, fmt.Sprintf("uid %d found []", base)) {
		t.Fatalf("the next job of uid %d found what the last one left: exit %d\n%s", base, r.code, tail(r.stderr, 2000))
	}
	waitNoProcessesIn(t, base, 1, 5*time.Second)
}

// timeout_blocked_signals.py: a job that blocks every signal, never sends END
// and leaves a setsid grandchild ignoring TERM and HUP is still ended at its
// time limit, with nothing left behind.
func TestHostile2_BlockedSignalsStillEndAtTheTimeLimit(t *testing.T) {
	requireRoot(t)
	h, base := round2Host(t)
	script := `
import signal, subprocess, time
signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})
subprocess.Popen(['setsid', 'sh', '-c', 'trap "" TERM HUP INT; sleep 300'], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(200)
`
	began := time.Now()
	r := h.exec(t, "--language", "Python", "--script", script)
	mustFail(t, r, "limit exceeded (time)")
	if d := time.Since(began); d > 45*time.Second {
		t.Errorf("the job ended after %v; its limit is 15s", d.Round(time.Second))
	}
	waitNoProcessesIn(t, base, 1, 5*time.Second)
	if err := healthyJob(t, h); err != nil {
		t.Error(err)
	}
}

// log_flood.py and cgroup_view.py: the launcher's stderr (the host's log
// pipe) cannot be opened through /proc/1/fd/2, and the job cannot move a
// process into another cgroup.
func TestHostile2_LauncherPipeAndCgroupFilesAreOutOfReach(t *testing.T) {
	requireRoot(t)
	script := `
import os
out = []
for path, flags in (('/proc/1/fd/2', os.O_WRONLY), ('/sys/fs/cgroup/unified/cgroup.procs', os.O_WRONLY),
                    ('/sys/fs/cgroup/memory/cgroup.procs', os.O_WRONLY)):
    try:
        os.close(os.open(path, flags)); out.append(path + ' OPEN')
    except OSError as e:
        out.append(path + ' refused')
print(';'.join(out))
`
	r := execArgs(t, "--language", "Python", "--script", script)
	if r.code != 0 || strings.Contains(r.stderr, " OPEN") || !strings.Contains(r.stderr, "/proc/1/fd/2 refused") {
		t.Fatalf("exit %d: %s", r.code, tail(r.stderr, 2000))
	}
}

// r_finalizer_after_end.R: an R finalizer that runs at quit(), after END,
// writes garbage to the data plane and spins; a system() daemon ignores TERM
// and HUP. The job ends, the caller never sees the garbage as data, and no
// process is left.
func TestHostile2_RFinalizerAfterEndIsContained(t *testing.T) {
	requireRoot(t)
	h, base := round2Host(t)
	script := `
e <- new.env()
reg.finalizer(e, function(x) {
  con <- file("/dev/fd/4", "wb"); writeBin(as.raw(rep(0xff, 64)), con); close(con)
  repeat {}
}, onexit = TRUE)
system("setsid sh -c 'trap \"\" TERM HUP; sleep 300' </dev/null >/dev/null 2>&1 &")
OutputDataSet <- data.frame(a = 1:3)
`
	r := h.exec(t, "--language", "R", "--script", script, "--format", "csv")
	if strings.Contains(r.stdout, "\xff") {
		t.Errorf("the finalizer's bytes reached the caller: %q", r.stdout)
	}
	waitNoProcessesIn(t, base, 1, 30*time.Second)
	if err := healthyJob(t, h); err != nil {
		t.Error(err)
	}
}

// inodes_tmp.py: empty files cost no bytes, so a byte quota alone would let
// a job exhaust the inodes of the filesystem the host shares. The job's disk
// bounds them too: the job gets ENOSPC, the next job runs.
func TestHostile2_EmptyFilesCannotExhaustInodes(t *testing.T) {
	requireRoot(t)
	h, base := round2Host(t)
	script := `
import os
n = 0
try:
    for i in range(200000):
        os.close(os.open('/tmp/f%06d' % i, os.O_CREAT | os.O_WRONLY, 0o600))
        n += 1
except OSError as e:
    print('stopped after', n, 'files:', e.strerror)
`
	r := h.exec(t, "--language", "Python", "--script", script)
	if !strings.Contains(r.stderr, "No space left on device") {
		t.Fatalf("200,000 empty files were not stopped: exit %d\n%s", r.code, tail(r.stderr, 2000))
	}
	waitNoProcessesIn(t, base, 1, 5*time.Second)
	if err := healthyJob(t, h); err != nil {
		t.Error(err)
	}
}

// slow_caller.sh: a caller that stops reading (Ctrl-Z, a pager) blocked the
// host's sends, and the job kept its worker account, folder and cgroup past
// its time limit. Now the job ends at its limit whatever the caller does,
// and the next job gets the worker.
func TestHostile2_StalledCallerCannotHoldTheWorker(t *testing.T) {
	requireRoot(t)
	base := extraUIDBase(4)
	h := startExtraHost(t, fmt.Sprintf(`limits {
  timeout = "10s"
}
sandbox {
  workers       = 1
  uid_base      = %d
  queue_timeout = "45s"
}
`, base))
	// 60 MB of output: far more than gRPC's flow-control window.
	script := `
import pandas as pd
OutputDataSet = pd.DataFrame({'s': ['x' * 200] * 300_000})
`
	ready := strings.Count(h.logBuf.String(), "job sandbox ready")
	stalled := exec.Command(h.bin, "exec", "--address", "unix://"+h.sock, "--language", "Python", "--script", script, "--format", "csv")
	stalled.Stdout, stalled.Stderr = io.Discard, io.Discard
	if err := stalled.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stalled.Process.Kill()
		stalled.Wait()
	}()
	if err := h.logBuf.AwaitCount("job sandbox ready", ready+1, 30*time.Second, h.proc.Exited()); err != nil {
		t.Fatalf("the stalled caller's job did not start: %v", err)
	}
	if err := stalled.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	// The host logs "job failed" once the job is torn down and its worker
	// released: at the time limit, not when the caller reads again.
	if err := h.logBuf.AwaitCount("job failed", 1, 40*time.Second, h.proc.Exited()); err != nil {
		t.Fatalf("the job did not end within 40s (limit 10s) while its caller stalled (%v); log:\n%s", err, tail(h.logBuf.String(), 3000))
	}
	t.Logf("the job ended %v after its caller stalled (limit 10s)", time.Since(began).Round(time.Second))
	if err := healthyJob(t, h); err != nil {
		t.Fatalf("the next job did not get the worker while a caller stalled: %v", err)
	}
}

// zero_column_rows.py: an output schema of no columns whose 8-byte batches
// announce ten million rows each made the caller print 90 MB from 39 bytes.
func TestHostile2_RowsWithoutColumnsAreRefused(t *testing.T) {
	requireRoot(t)
	script, err := os.ReadFile(filepath.Join("testdata", "attacks", "zero_column_rows.py"))
	if err != nil {
		t.Fatal(err)
	}
	r := execArgs(t, "--language", "Python", "--script", string(script), "--format", "csv")
	mustFail(t, r, "has 10000000 rows but no columns")
	if len(r.stdout) > 1<<10 {
		t.Errorf("the caller got %d bytes of rows of nothing", len(r.stdout))
	}
}

// output_param_precision.py: OUTPUT params were checked by name and type
// only: a decimal(5,2) param came back as decimal(38,0) = 10^37, and twice.
func TestHostile2_OutputParamsKeepTheirDeclaration(t *testing.T) {
	requireRoot(t)
	script, err := os.ReadFile(filepath.Join("testdata", "attacks", "output_param_precision.py"))
	if err != nil {
		t.Fatal(err)
	}
	r := execArgs(t, "--language", "Python", "--params", "@total decimal(5,2) OUTPUT", "--script", string(script))
	mustFail(t, r, "launcher fault", `param "total"`)
	single := strings.Replace(string(script), "sch = struct.pack('<I', 2) + s('total') + bytes([8, 3, 38, 0]) + s('total') + bytes([8, 3, 38, 0])",
		"sch = struct.pack('<I', 1) + s('total') + bytes([8, 3, 38, 0])", 1)
	single = strings.Replace(single, "nb = 4", "nb = 2", 1)
	single = strings.Replace(single, "batch = struct.pack('<II', 1, nb) + tbl + val + val2", "batch = struct.pack('<II', 1, nb) + tbl[:32] + val", 1)
	if single == string(script) {
		t.Fatal("the one-param variant of the attack was not made")
	}
	r = execArgs(t, "--language", "Python", "--params", "@total decimal(5,2) OUTPUT", "--script", single)
	mustFail(t, r, "launcher fault", `param "total" (decimal(38,0))`)
	if strings.Contains(r.stdout+r.stderr, "10000000000000000000000000000000000000") {
		t.Error("the undeclared decimal reached the caller")
	}
}

// huge_batch.py: one valid 250 MiB BATCH frame cost the host about 700 MB
// (read whole, then copied into one gRPC message). Frames are now refused on
// their header beyond limits { max_frame } (default 32 MiB).
func TestHostile2_HugeBatchFrameIsRefusedOnItsHeader(t *testing.T) {
	requireRoot(t)
	script, err := os.ReadFile(filepath.Join("testdata", "attacks", "huge_batch.py"))
	if err != nil {
		t.Fatal(err)
	}
	h := startMemHost(t)
	var r result
	boundedPeak(t, h, peakGrowthBound, func() {
		r = h.exec(t, "--language", "Python", "--script", string(script))
	})
	mustFail(t, r, "launcher fault", "exceeds the limit of 33554432 bytes")
}
