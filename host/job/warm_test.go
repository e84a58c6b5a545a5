package job

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// warmHarness is a runner keeping n warm runtimes of the fake launcher;
// optIn says whether the launcher's Info sets Warm.
func warmHarness(t *testing.T, n int, optIn bool) *harness {
	t.Helper()
	return newHarness(t, func(s *fakeSandbox, c *Config) {
		if optIn {
			s.env = append(s.env, fakeWarmEnv+"=1")
		}
		c.Warm = []WarmSpec{{Launcher: fakeName, Language: "Fake", Ready: n}}
	})
}

// waitWarm waits until the fake launcher's pool reports ready runtimes and
// returns its status.
func waitWarm(t *testing.T, h *harness, ready int) WarmStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st := h.runner.WarmStatus()
		if len(st) == 1 && st[0].Ready == ready && st[0].Preparing == 0 {
			return st[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("warm pool never reached %d ready: %+v", ready, st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func runEcho(t *testing.T, h *harness, id, start string) (*Result, *recordSink) {
	t.Helper()
	sink := &recordSink{}
	res, err := h.runner.Run(context.Background(), &Request{ID: id, Language: "Fake", Script: "echo",
		InputQuery: "SELECT n, s FROM t", Start: start}, sink)
	if err != nil {
		t.Fatal(err)
	}
	return res, sink
}

// A job takes a prepared runtime, is served by it alone, and the pool
// prepares another; no runtime ever sees a second job.
func TestWarm_EachPreparedRuntimeServesOneJob(t *testing.T) {
	t.Parallel()
	h := warmHarness(t, 1, true)
	for _, id := range []string{"j-w1", "j-w2", "j-w3"} {
		waitWarm(t, h, 1)
		res, sink := runEcho(t, h, id, StartAuto)
		if res.Stats.Start != StartWarm || res.Stats.StartNote != "" {
			t.Fatalf("%s started %q (%s), want warm", id, res.Stats.Start, res.Stats.StartNote)
		}
		// The runtime learnt the job's id from the JOB frame, after it was ready.
		if got := sink.messages[Stdout]; got != "hello from "+id+"\n" || res.Stats.RowsOut != 3 {
			t.Fatalf("%s: stdout %q, rows out %d", id, got, res.Stats.RowsOut)
		}
	}
	st := waitWarm(t, h, 1)
	if st.Served != 3 {
		t.Fatalf("served %d, want 3", st.Served)
	}
	h.runner.Close()
	h.sandbox.mu.Lock()
	defer h.sandbox.mu.Unlock()
	if len(h.sandbox.ids) != 4 {
		t.Fatalf("sandboxes %v, want 3 served and 1 waiting", h.sandbox.ids)
	}
	for i, id := range h.sandbox.ids {
		if !strings.HasPrefix(id, "w-") {
			t.Fatalf("sandbox %q is not a warm one", id)
		}
		if c := h.sandbox.envs[i].closed; c != 1 {
			t.Fatalf("sandbox %s closed %d times, want once", id, c)
		}
	}
}

// A launcher that does not opt in keeps working, cold, and says why.
func TestWarm_LauncherWithoutOptInStartsCold(t *testing.T) {
	t.Parallel()
	h := warmHarness(t, 1, false)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(h.runner.WarmStatus()[0].Note, "does not support warm starts") {
		if time.Now().After(deadline) {
			t.Fatalf("pool status: %+v", h.runner.WarmStatus())
		}
		time.Sleep(10 * time.Millisecond)
	}
	res, _ := runEcho(t, h, "j-c1", StartAuto)
	if res.Stats.Start != StartCold || !strings.Contains(res.Stats.StartNote, "does not support warm starts") {
		t.Fatalf("start %q (%s), want cold naming the reason", res.Stats.Start, res.Stats.StartNote)
	}
	_, err := h.runner.Run(context.Background(), &Request{ID: "j-c2", Language: "Fake", Script: "echo", Start: StartWarm}, &recordSink{})
	var jerr *Error
	if !errors.As(err, &jerr) || jerr.Code != CodeInvalidRequest || !strings.Contains(err.Error(), "warm start was asked") {
		t.Fatalf("warm start asked of a launcher without: %v", err)
	}
}

// Waiting runtimes of a launcher the catalog stops admitting are discarded
// at once, and a changed identity is never served.
func TestWarm_TrustChangeDiscardsWaitingRuntimes(t *testing.T) {
	t.Parallel()
	h := warmHarness(t, 1, true)
	h.identity = "v1"
	waitWarm(t, h, 1)
	h.mu.Lock()
	h.refuse = errors.New("key revoked")
	h.mu.Unlock()
	// A check every watchInterval; the bound allows for a loaded machine.
	deadline := time.Now().Add(12 * watchInterval)
	for h.sandbox.closes() < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("waiting runtime not discarded within %s: %+v", 12*watchInterval, h.runner.WarmStatus())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st := h.runner.WarmStatus()[0]; !strings.Contains(st.Note, "key revoked") {
		t.Fatalf("status note %q does not say why", st.Note)
	}
	// Trusted again under a new registration: runtimes of the old one
	// (none left) or the new one serve; the job never runs on a stale one.
	h.mu.Lock()
	h.refuse, h.identity = nil, "v2"
	h.mu.Unlock()
	waitWarm(t, h, 1)
	h.mu.Lock()
	h.identity = "v3"
	h.mu.Unlock()
	res, _ := runEcho(t, h, "j-t1", StartAuto)
	if res.Stats.Start != StartCold {
		t.Fatalf("a runtime of identity v2 served a job resolved as v3")
	}
}

// A job whose limits differ from those the runtimes were prepared with
// starts cold; a cold start asked for is cold.
func TestWarm_DifferentLimitsOrAskedColdStartCold(t *testing.T) {
	t.Parallel()
	h := warmHarness(t, 1, true)
	waitWarm(t, h, 1)
	if res, _ := runEcho(t, h, "j-l0", StartCold); res.Stats.Start != StartCold || res.Stats.StartNote != "a cold start was asked" {
		t.Fatalf("asked cold: %q (%s)", res.Stats.Start, res.Stats.StartNote)
	}
	lim := h.runner.Limits()
	lim.MemoryBytes = 123 << 20
	h.runner.SetLimits(lim)
	res, _ := runEcho(t, h, "j-l1", StartAuto)
	if res.Stats.Start != StartCold {
		t.Fatalf("a job with other limits started %q", res.Stats.Start)
	}
	// The pool prepares again, with the new limits.
	waitWarm(t, h, 1)
	if res, _ := runEcho(t, h, "j-l2", StartAuto); res.Stats.Start != StartWarm {
		t.Fatalf("after re-preparing: %q (%s)", res.Stats.Start, res.Stats.StartNote)
	}
}
