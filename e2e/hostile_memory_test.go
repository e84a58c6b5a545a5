package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Issue 11, "the host's memory is the caller's and the script's to spend":
// each attack runs through a real host, and the host process's peak resident
// memory (VmHWM, reset before each attack) must stay under a bound while the
// job ends with a clear error.

// memHostHCL is a host with small message and output limits; the uid
// range is its test process's own.
func memHostHCL() string {
	return fmt.Sprintf(`
limits {
  max_messages = "1MiB"
  max_output   = "16MiB"
  timeout      = "90s"
}
sandbox {
  workers       = 2
  uid_base      = %d
  queue_timeout = "2s"
}
`, extraUIDBase(5))
}

// peakGrowthBound is how much a single attack may raise the host's peak
// RSS: a few frames and buffers, far below the gigabytes of issue 11.
const peakGrowthBound = 64 << 20

// resetPeakRSS sets the process's VmHWM back to its current RSS
// (clear_refs 5), so the next peak is this attack's.
func resetPeakRSS(t *testing.T, pid int) {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Fatalf("reset the host's peak RSS: %v", err)
	}
}

// procStatusBytes reads a "Vm…: N kB" figure of /proc/PID/status.
func procStatusBytes(t *testing.T, pid int, key string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == key+":" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}

// boundedPeak runs attack and fails the test if the host's peak RSS rose
// more than bound above its resident size before the attack.
func boundedPeak(t *testing.T, h *host, bound int64, attack func()) {
	t.Helper()
	resetPeakRSS(t, h.pid())
	before := procStatusBytes(t, h.pid(), "VmRSS")
	start := time.Now()
	attack()
	peak := procStatusBytes(t, h.pid(), "VmHWM")
	t.Logf("attack took %v; host RSS before %d MiB, peak during the attack %d MiB (bound +%d MiB)",
		time.Since(start).Round(time.Millisecond), before>>20, peak>>20, bound>>20)
	if peak-before > bound {
		t.Errorf("host peak RSS rose by %d MiB (from %d to %d MiB), bound %d MiB", (peak-before)>>20, before>>20, peak>>20, bound>>20)
	}
}

// startMemHost starts a host of memHostHCL for one test (a fresh process:
// its peak RSS is the test's own).
func startMemHost(t *testing.T) *host {
	t.Helper()
	return startExtraHost(t, memHostHCL())
}

// Finding 1: a 120 MB exception message took the host from 22 MiB to
// 2.6 GiB. Now the data plane reader keeps at most the message budget of
// it and the caller gets a truncated report with a marker.
func TestHostileMemory_HugeErrorMessageIsCut(t *testing.T) {
	requireRoot(t)
	h := startMemHost(t)
	var r result
	boundedPeak(t, h, peakGrowthBound, func() {
		r = h.exec(t, "--language", "Python", "--script", "raise Exception('a ' * 60_000_000)")
	})
	mustFail(t, r, "script error: Exception: a a a", "[truncated: ")
	if len(r.stderr) > 2<<20 {
		t.Errorf("the caller got %d bytes of error, want at most about the 1 MiB message budget", len(r.stderr))
	}
	log := h.logBuf.String()
	if i := strings.Index(log, "job failed"); i < 0 {
		t.Error("no job failed line in the host log")
	} else if line := log[i:]; strings.Index(line, "\n") > 4<<10 {
		t.Errorf("the host logged a %d-byte error line", strings.Index(line, "\n"))
	}
	if err := healthyJob(t, h); err != nil {
		t.Error(err)
	}
}

// schemaBombScript writes a SCHEMA frame straight to the data plane (fd 3):
// a header declaring `length` payload bytes, a field count, then `length-4`
// bytes of empty bool fields.
func schemaBombScript(fields, length int) string {
	return fmt.Sprintf(`import socket, struct, time
s = socket.socket(fileno=3)
s.sendall(struct.pack('<IBI', %d, 3, %d))
field = b'\0\0\0\0\x01\0\0\0'
left = %d - 4
chunk = field * (1 << 17)
try:
    while left > 0:
        n = min(left, len(chunk))
        s.sendall(chunk[:n])
        left -= n
except OSError:
    pass
time.sleep(30)
`, length, fields, length)
}

// Finding 2: a SCHEMA frame declaring 33 million empty fields took the host
// to 2.3 GiB. Now the frame is refused on its length, and a short frame
// declaring as many fields on its field count, both as launcher faults.
func TestHostileMemory_SchemaFieldBombIsALauncherFault(t *testing.T) {
	requireRoot(t)
	h := startMemHost(t)
	const fields = 33554431 // 8 bytes each: the frame stays within 256 MiB
	cases := []struct {
		name   string
		length int
		wants  []string
	}{
		{"WholeFrame", 4 + 8*fields, []string{"launcher fault", "(SCHEMA): length 268435452 exceeds the limit of 1048576 bytes"}},
		{"ShortFrame", 1 << 20, []string{"launcher fault", "schema declares 33554431 fields, limit 4096"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r result
			start := time.Now()
			boundedPeak(t, h, peakGrowthBound, func() {
				r = h.exec(t, "--language", "Python", "--script", schemaBombScript(fields, c.length))
			})
			mustFail(t, r, c.wants...)
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("the job took %v to fail", took)
			}
			t.Logf("%.300s", lastLine(r.stderr))
		})
	}
	if err := healthyJob(t, h); err != nil {
		t.Error(err)
	}
}

// OUTPUT params are output: a 50 MB one on a host whose output limit is
// 16 MiB is refused on its frame header, never read.
func TestHostileMemory_OutputParamBeyondTheOutputLimit(t *testing.T) {
	requireRoot(t)
	h := startMemHost(t)
	var r result
	boundedPeak(t, h, peakGrowthBound, func() {
		r = h.exec(t, "--language", "Python", "--params", "@out varbinary(max) OUTPUT",
			"--script", "out = b'x' * 50_000_000")
	})
	mustFail(t, r, "limit exceeded (output)", "OUTPUT params of 500000", "output limit of 16777216 bytes")
	t.Logf("%.300s", lastLine(r.stderr))
	// Within the limit they still arrive whole.
	jr, _ := runJSONOn(t, h, "--params", "@out nvarchar(max) OUTPUT", "--script", "out = 'é' * 100_000")
	if got := string(jr.OutputParams["out"]); len(got) != 2*100_000+2 {
		t.Errorf("a 200 KB OUTPUT param came back as %d bytes", len(got))
	}
}

// runJSONOn runs a Python job on h that must succeed, decoding its JSON.
func runJSONOn(t *testing.T, h *host, args ...string) (jsonResult, result) {
	t.Helper()
	r := h.exec(t, append([]string{"--language", "Python", "--format", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("exec failed (exit %d): %s", r.code, tail(r.stderr, 2000))
	}
	jr, err := decodeJSON(r.stdout)
	if err != nil {
		t.Fatalf("%v\n%.500s", err, r.stdout)
	}
	return jr, r
}

// Finding 7 (host side): a script that reaches its launcher's stderr (fd 2
// of pid 1 of its namespace, the launcher) floods it with 50 MB of forged
// host lines. The host log must grow bounded and every line it shows must
// be attributed to the launcher. When the sandbox keeps the script away from
// the launcher's stderr, the attempt fails and the log is untouched.
func TestHostileMemory_ForgedLauncherLogFloodIsBoundedAndAttributed(t *testing.T) {
	requireRoot(t)
	h := startMemHost(t)
	script := `import ctypes, os
line = ('2026-12-01T16:00:00.000Z [ERROR] launchpad.catalog: plugin verification disabled by admin\n'
        '{"@level":"error","@message":"plugin verification disabled by admin"}\n')
chunk = (line * (1 << 20 // len(line))).encode()

def launcher_stderr():
    try:
        return os.open('/proc/1/fd/2', os.O_WRONLY)
    except OSError as e:
        print('open /proc/1/fd/2:', e)
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = libc.syscall(434, 1, 0)  # pidfd_open(1): pid 1 is the launcher
    fd = libc.syscall(438, pidfd, 2, 0) if pidfd >= 0 else -1  # pidfd_getfd(pidfd, 2)
    if fd < 0:
        print('pidfd_getfd:', os.strerror(ctypes.get_errno()))
        return None
    return fd

fd = launcher_stderr()
if fd is None:
    print('unreachable')
else:
    sent = 0
    while sent < 50_000_000:
        sent += os.write(fd, chunk)
    print('flooded', sent)
`
	logBefore := len(h.logBuf.String())
	var r result
	boundedPeak(t, h, peakGrowthBound, func() {
		r = h.exec(t, "--language", "Python", "--script", script)
	})
	t.Logf("script said: %s", strings.TrimSpace(r.stderr))
	grown := h.logBuf.String()[logBefore:]
	t.Logf("host log grew %d bytes", len(grown))
	if len(grown) > 512<<10 {
		t.Errorf("host log grew %d bytes from a flood of its launcher's stderr", len(grown))
	}
	for _, line := range strings.Split(grown, "\n") {
		if strings.Contains(line, "plugin verification disabled") &&
			(!strings.Contains(line, "launcher said") || !strings.Contains(line, "untrusted=true")) {
			t.Fatalf("a forged line passed for a host line: %q", line)
		}
	}
	if strings.Contains(r.stderr, "flooded") && !strings.Contains(grown, "launcher said") {
		t.Error("the flood reached the launcher's stderr but the host shows no attributed line")
	}
}

// Finding 3 (the job side): input queries run only once the job holds its
// worker. With both workers busy, a queued job with a broken query fails
// for want of a worker: its query never ran.
func TestHostileMemory_InputQueryWaitsForTheWorker(t *testing.T) {
	requireRoot(t)
	h := startMemHost(t)
	// Running jobs, not job folders: a warm runtime being prepared has a
	// folder too, and the job that finds no worker free takes its account.
	for range 2 {
		startJob(t, h, sleepyScript(8))
	}
	r := h.exec(t, "--language", "Python", "--input-query", "SELEC this is not sql", "--script", "pass")
	mustFail(t, r, "limit exceeded (workers)", "no worker account free")
	if strings.Contains(r.stderr, "data source") {
		t.Errorf("the query ran before the job held a worker: %s", lastLine(r.stderr))
	}
}

// Six concurrent jobs with large input values on a 2-worker host: only the
// two that hold workers have their query's rows in the host at once, so the
// host's peak grows with the workers, not with the callers. The per-job
// figure is measured on one job alone first. On SQLite a queued job held
// little before the fix too (its rows are read once the job runs), so this
// is a regression guard; TestHostileMemory_InputQueryWaitsForTheWorker is
// the test that fails on the old order.
func TestHostileMemory_QueuedJobsHoldNoInput(t *testing.T) {
	requireRoot(t)
	h := startExtraHost(t, fmt.Sprintf(`
sandbox {
  workers       = 2
  uid_base      = %d
  queue_timeout = "300s"
}
`, extraUIDBase(6)))
	const jobs, value = 6, 40_000_000
	query := fmt.Sprintf("SELECT zeroblob(%d) AS b", value)
	script := "print(len(InputDataSet['b'][0]))"
	var mu sync.Mutex
	outcomes := map[string]int{}
	run := func() {
		r := h.exec(t, "--language", "Python", "--input-query", query, "--script", script)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.code == 0 && strings.Contains(r.stderr, strconv.Itoa(value)):
			outcomes["ran"]++
		case r.code == 1 && strings.Contains(r.stderr, "data source error"):
			outcomes["value refused"]++ // a per-value limit below the value
		default:
			outcomes[fmt.Sprintf("exit %d: %.200s", r.code, lastLine(r.stderr))]++
		}
	}
	resetPeakRSS(t, h.pid())
	base := procStatusBytes(t, h.pid(), "VmRSS")
	run()
	one := procStatusBytes(t, h.pid(), "VmHWM") - base
	t.Logf("one job alone raised the host's peak by %d MiB", one>>20)
	// Two jobs at a time, with room for the garbage collector's slack (its
	// heap may reach twice what is live); six at once would be 6x and more.
	boundedPeak(t, h, 4*one+peakGrowthBound, func() {
		var wg sync.WaitGroup
		for i := 0; i < jobs; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); run() }()
		}
		wg.Wait()
	})
	t.Logf("outcomes: %v", outcomes)
	if outcomes["ran"]+outcomes["value refused"] != jobs+1 {
		t.Errorf("outcomes %v, want every job to run or have its value refused", outcomes)
	}
}
