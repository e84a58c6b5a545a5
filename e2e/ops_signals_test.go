package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitLog waits until the host's log holds want.
func waitLog(t *testing.T, h *host, want string) {
	t.Helper()
	if err := h.logBuf.AwaitCount(want, 1, 30*time.Second, h.proc.Exited()); err != nil {
		t.Fatalf("host log never said %q (%v):\n%s", want, err, tail(h.logBuf.String(), 4000))
	}
}

// waitExit waits for the host process to end and returns its exit code.
func waitExit(t *testing.T, h *host, within time.Duration) int {
	t.Helper()
	select {
	case <-h.proc.Exited():
		code := h.proc.Cmd.ProcessState.ExitCode()
		h.proc = nil // ended here: h.stop has nothing left to stop
		return code
	case <-time.After(within):
		t.Fatalf("host did not exit within %s of SIGTERM:\n%s", within, tail(h.logBuf.String(), 4000))
		return -1
	}
}

// SIGTERM: the host takes no new job (its callers read "host is shutting
// down", not gRPC's words), lets the running job finish within the grace
// and exits cleanly.
func TestOps_SIGTERMLetsRunningJobsFinish(t *testing.T) {
	h := startExtraHost(t, fmt.Sprintf("shutdown_grace = \"60s\"\nsandbox {\n  uid_base = %d\n  workers = 2\n}\n", extraUIDBase(17)))
	job := startJob(t, h, sleepyScript(4))
	if err := h.proc.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLog(t, h, "host stopping: no new jobs")
	r := h.exec(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet", "--input-query", "SELECT 1 AS x")
	if r.code == 0 || !strings.Contains(r.stderr, "host is shutting down") || strings.Contains(r.stderr, "rpc error") {
		t.Errorf("a job asked for during shutdown: exit %d\n%s", r.code, r.stderr)
	}
	job.wait(t).mustSucceed(t, "the job running at SIGTERM")
	if code := waitExit(t, h, 30*time.Second); code != 0 {
		t.Errorf("host exit %d:\n%s", code, tail(h.logBuf.String(), 3000))
	}
}

// SIGTERM with a job that outlives the grace: the job is cancelled (its
// caller told so) and the host exits soon after the grace, leaving no job
// process behind.
func TestOps_SIGTERMCancelsJobsAfterTheGrace(t *testing.T) {
	h := startExtraHost(t, fmt.Sprintf("shutdown_grace = \"1s\"\nsandbox {\n  uid_base = %d\n  workers = 2\n}\n", extraUIDBase(17)))
	job := startJob(t, h, sleepyScript(120))
	start := time.Now()
	if err := h.proc.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	r := job.wait(t)
	if r.code == 0 || !strings.Contains(r.stderr, "cancelled") {
		t.Errorf("job past the grace: exit %d\n%s", r.code, r.stderr)
	}
	if code := waitExit(t, h, 30*time.Second); code != 0 {
		t.Errorf("host exit %d", code)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("host took %s to stop with a 1s grace", d)
	}
	waitNoWorkerProcess(t, extraUIDBase(17), 2)
}

// waitNoWorkerProcess waits up to 5s for no process of the uid range.
func waitNoWorkerProcess(t *testing.T, base, count int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := workerPIDs(base, count)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker processes left: %v", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// workerPIDs lists processes whose real uid lies in [base, base+count).
func workerPIDs(base, count int) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
				var uid int
				fmt.Sscan(f[1], &uid)
				if uid >= base && uid < base+count {
					out = append(out, e.Name())
				}
			}
		}
	}
	return out
}

// SIGHUP reloads the limits for new jobs and says which changed settings
// need a restart; a configuration with problems changes nothing and the
// host keeps serving.
func TestOps_SIGHUPReloads(t *testing.T) {
	base := fmt.Sprintf("sandbox {\n  uid_base = %d\n  workers = 2\n}\n", extraUIDBase(17))
	h := startExtraHost(t, base+"limits {\n  timeout = \"60s\"\n}\n")
	conf := filepath.Join(h.dir, "launchpad.hcl")
	hup := func(hcl, want string) {
		t.Helper()
		if err := os.WriteFile(conf, []byte(hcl), 0o600); err != nil {
			t.Fatal(err)
		}
		mark := len(h.logBuf.String())
		if err := h.proc.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(h.logBuf.String()[mark:], want) {
			if time.Now().After(deadline) {
				t.Fatalf("after SIGHUP the log never said %q:\n%s", want, tail(h.logBuf.String(), 3000))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Bad: nothing changes.
	hup(base+"limits {\n  timeout = \"1ms\"\n}\n", "reload refused")
	if err := healthyJob(t, h); err != nil {
		t.Fatalf("after a refused reload: %v", err)
	}
	// Good: a 2s time limit for new jobs; workers needs a restart.
	hup(fmt.Sprintf("sandbox {\n  uid_base = %d\n  workers = 3\n}\nlimits {\n  timeout = \"2s\"\n}\n", extraUIDBase(17)),
		"configuration reloaded")
	if !strings.Contains(h.logBuf.String(), "take effect only at the next start: settings=sandbox") {
		t.Errorf("the log does not say sandbox was not reloaded:\n%s", tail(h.logBuf.String(), 3000))
	}
	r := h.exec(t, "--language", "Python", "--script", "import time\ntime.sleep(30)", "--format", "csv")
	mustFail(t, r, "time limit of 2s")
}
