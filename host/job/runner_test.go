package job

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// errNotFake is what the test's launcher check says of a launcher that
// does not describe itself as fakeName.
var errNotFake = errors.New("not the verified launcher")

// harness is one runner over the fakes.
type harness struct {
	runner  *Runner
	sandbox *fakeSandbox
	logPath string
	exes    []*os.File
	mu      sync.Mutex
	// identity and refuse stand in for the catalog's trust state.
	identity string
	refuse   error
}

// newHarness builds a runner whose launcher is this test binary. tune may
// change the sandbox and config before the runner is made.
func newHarness(t *testing.T, tune func(*fakeSandbox, *Config)) *harness {
	t.Helper()
	h := &harness{sandbox: &fakeSandbox{t: t}, logPath: filepath.Join(t.TempDir(), "host.log")}
	// A file, not a buffer: writes to it are safe from every job goroutine.
	logFile, err := os.Create(h.logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	cfg := Config{
		Resolve: h.resolve,
		Sandbox: h.sandbox,
		Source:  intSource(t),
		Limits:  Limits{Timeout: time.Minute},
		Logger:  hclog.New(&hclog.LoggerOptions{Output: logFile, Level: hclog.Debug}),
	}
	if tune != nil {
		tune(h.sandbox, &cfg)
	}
	h.runner = NewRunner(cfg)
	t.Cleanup(h.runner.Close)
	return h
}

// resolve opens this test binary as the "verified" launcher bytes; the
// fake sandbox runs os.Args[0] rather than these, but the runner must
// close them.
func (h *harness) resolve(language string) (*Launcher, error) {
	switch language {
	case "Fake":
	case "HostFault":
		return nil, fmt.Errorf("%w: memfd_create: %w", ErrResolveFault, errors.New("cannot allocate memory"))
	case "Untrusted":
		return nil, errors.New("signed by a revoked key")
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownLanguage, language)
	}
	exe, err := os.Open(os.Args[0])
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.exes = append(h.exes, exe)
	h.mu.Unlock()
	check := func(info *launcher.Info) error {
		if info.Name != fakeName {
			return fmt.Errorf("%w: it says it is %q", errNotFake, info.Name)
		}
		return nil
	}
	h.mu.Lock()
	identity := h.identity
	h.mu.Unlock()
	admits := func() error {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.refuse
	}
	return &Launcher{Name: fakeName, Version: "1", Exe: exe, Check: check, Identity: identity, Admits: admits}, nil
}

// exesClosed reports whether the runner closed every launcher file it got.
func (h *harness) exesClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.exes {
		if _, err := f.Stat(); !errors.Is(err, os.ErrClosed) {
			return false
		}
	}
	return true
}

// intSource serves "n bigint, s nvarchar" rows 1..3 in two batches.
func intSource(t *testing.T) *fakeSource {
	t.Helper()
	s := &bxl.Schema{Fields: []bxl.Field{{Name: "n", Type: bxl.TypeInt64, Nullable: true}, {Name: "s", Type: bxl.TypeString, Nullable: true}}}
	src := &fakeSource{schema: s}
	for _, rows := range [][]int64{{1, 2}, {3}} {
		b := bxl.NewBuilder(s)
		for _, n := range rows {
			if err := b.AppendRow(n, fmt.Sprintf("row %d", n)); err != nil {
				t.Fatal(err)
			}
		}
		src.batches = append(src.batches, b.Build())
	}
	return src
}

func TestRunner_RunsAJobEndToEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	sink := &recordSink{}
	res, err := h.runner.Run(context.Background(), &Request{ID: "j-echo", Language: "Fake", Script: "echo",
		InputQuery: "SELECT n, s FROM t"}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if sink.started.JobID != "j-echo" || sink.started.Launcher != fakeName || len(sink.started.Warnings) != 1 {
		t.Errorf("started = %+v", sink.started)
	}
	if sink.schema == nil || len(sink.schema.Fields) != 2 || sink.schema.Fields[1].Name != "s" {
		t.Errorf("schema = %+v", sink.schema)
	}
	want := "[[1 row 1] [2 row 2] [3 row 3]]"
	if got := fmt.Sprint(sink.rows); got != want {
		t.Errorf("rows = %s, want %s", got, want)
	}
	if got := sink.messages[Stdout]; got != "hello from j-echo\n" {
		t.Errorf("stdout = %q", got)
	}
	if res.JobID != "j-echo" || res.Stats.RowsIn != 3 || res.Stats.RowsOut != 3 || res.Stats.BytesIn == 0 {
		t.Errorf("result = %+v", res)
	}
	h.runner.Close() // sandboxes are removed after the result
	if n := h.sandbox.closes(); n != 1 {
		t.Errorf("sandbox closed %d times, want 1", n)
	}
	if !h.exesClosed() {
		t.Error("the launcher's verified bytes were not closed")
	}
}

// Each way a job fails reaches the caller as one typed error with the job
// id, and the sandbox is closed whatever happened.
func TestRunner_FailuresAreTyped(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		req   Request
		tune  func(*fakeSandbox, *Config)
		code  Code
		limit string
		text  string
		is    error
	}{
		"no script": {req: Request{Language: "Fake"}, code: CodeInvalidRequest, text: "no script"},
		"unknown language": {req: Request{Language: "Cobol", Script: "echo"}, code: CodeUnknownLanguage,
			text: `"Cobol"`, is: ErrUnknownLanguage},
		"launcher could not be verified": {req: Request{Language: "HostFault", Script: "echo"}, code: CodeHostFault,
			text: "memfd_create", is: ErrResolveFault},
		"launcher refused": {req: Request{Language: "Untrusted", Script: "echo"}, code: CodeUntrustedLauncher, text: "revoked"},
		"no worker free": {req: Request{Language: "Fake", Script: "echo"}, code: CodeLimitExceeded, limit: LimitWorkers,
			tune: func(s *fakeSandbox, _ *Config) { s.openErr = fmt.Errorf("%w: 3 busy", ErrNoWorker) }},
		"script error":  {req: Request{Language: "Fake", Script: "error"}, code: CodeScript, text: "ZeroDivisionError: division by zero"},
		"nonzero exit":  {req: Request{Language: "Fake", Script: "exit 7"}, code: CodeLauncherFault, text: "exited with code 7"},
		"garbage frame": {req: Request{Language: "Fake", Script: "garbage"}, code: CodeLauncherFault, is: bxl.ErrProtocol},
		"launcher dies": {req: Request{Language: "Fake", Script: "die"}, code: CodeLauncherFault,
			text: "the launcher process exited"},
		"launcher dies, memory full": {req: Request{Language: "Fake", Script: "die"}, code: CodeLimitExceeded, limit: LimitMemory,
			tune: func(s *fakeSandbox, c *Config) { s.usage.OOMKilled = true; c.Limits.MemoryBytes = 1 << 20 }},
		"time limit": {req: Request{Language: "Fake", Script: "sleep"}, code: CodeLimitExceeded, limit: LimitTime,
			tune: func(_ *fakeSandbox, c *Config) { c.Limits.Timeout = 2 * time.Second }},
		"message limit": {req: Request{Language: "Fake", Script: "flood"}, code: CodeLimitExceeded, limit: LimitMessages,
			tune: func(_ *fakeSandbox, c *Config) { c.Limits.MaxMessageBytes = 1000 }},
		"launcher not the verified one": {req: Request{Language: "Fake", Script: "echo"}, code: CodeUntrustedLauncher,
			tune: func(s *fakeSandbox, _ *Config) { s.env = []string{fakeNameEnv + "=Impostor"} }, text: `"Impostor"`, is: errNotFake},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tc.tune)
			req := tc.req
			req.ID = "j-fail"
			_, err := h.runner.Run(context.Background(), &req, &recordSink{})
			var jerr *Error
			if !errors.As(err, &jerr) {
				t.Fatalf("Run = %v, want a *job.Error", err)
			}
			if jerr.JobID != "j-fail" || jerr.Code != tc.code || jerr.Limit != tc.limit || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("Run = %q (code %s, limit %q), want code %s, limit %q, text %q", err, jerr.Code, jerr.Limit, tc.code, tc.limit, tc.text)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("Run = %v, want it to wrap %v", err, tc.is)
			}
			h.runner.Close()
			if opened := len(h.sandbox.envs); h.sandbox.closes() != opened {
				t.Fatalf("%d sandboxes opened, %d closed", opened, h.sandbox.closes())
			}
			if !h.exesClosed() {
				t.Fatal("the launcher's verified bytes were not closed")
			}
		})
	}
}

// A runtime that closed its output and ended the data plane is answered
// at once, not when it exits: its result is complete, and its exit is
// teardown. (Without the answer at close, this job waits out exitGrace.)
func TestRunner_AnsweredWhenTheOutputCloses(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	sink := &recordSink{}
	began := time.Now()
	res, err := h.runner.Run(context.Background(), &Request{ID: "j-linger", Language: "Fake", Script: "linger"}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took >= exitGrace/2 {
		t.Errorf("answered after %v: the host waited for the exit", took)
	}
	if sink.messages[Stdout] != "bye\n" || res.JobID != "j-linger" {
		t.Errorf("stdout %q, result %+v", sink.messages[Stdout], res)
	}
	h.runner.Close()
	if opened := len(h.sandbox.envs); h.sandbox.closes() != opened {
		t.Fatalf("%d sandboxes opened, %d closed", opened, h.sandbox.closes())
	}
}

// OUTPUT params come back decoded; a value for an undeclared param is
// refused before anything starts.
func TestRunner_OutputParams(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	decls, err := sqltype.ParseParams("@n bigint OUTPUT, @m int")
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.runner.Run(context.Background(), &Request{ID: "j-out", Language: "Fake", Script: "output param",
		Params: decls, ParamValues: map[string]string{"m": "5"}}, &recordSink{})
	if err != nil {
		t.Fatal(err)
	}
	if res.OutputValues == nil || res.OutputValues.Rows != 1 || fmt.Sprint(res.OutputValues.Row(0)) != "[42]" ||
		res.OutputParams.Fields[0].Name != "n" {
		t.Fatalf("output params %+v %+v", res.OutputParams, res.OutputValues)
	}
	_, err = h.runner.Run(context.Background(), &Request{ID: "j-bad", Language: "Fake", Script: "output param",
		Params: decls, ParamValues: map[string]string{"x": "1"}}, &recordSink{})
	var jerr *Error
	if !errors.As(err, &jerr) || jerr.Code != CodeInvalidRequest || !strings.Contains(err.Error(), "undeclared param @x") {
		t.Fatalf("undeclared param: %v", err)
	}
	if len(h.sandbox.envs) != 1 {
		t.Fatalf("%d sandboxes opened, want 1 (the refused job opens none)", len(h.sandbox.envs))
	}
}

// A sandbox that fails to close cannot change a finished job's outcome,
// but the host's log says so.
func TestRunner_TeardownErrorIsLogged(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(s *fakeSandbox, _ *Config) { s.closeErr = errors.New("cgroup busy") })
	if _, err := h.runner.Run(context.Background(), &Request{ID: "j-td", Language: "Fake", Script: "echo"}, &recordSink{}); err != nil {
		t.Fatal(err)
	}
	h.runner.Close() // the teardown runs after the result
	b, err := os.ReadFile(h.logPath)
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	if !strings.Contains(log, "teardown failed") || !strings.Contains(log, "cgroup busy") || !strings.Contains(log, "job_id=j-td") {
		t.Fatalf("host log does not report the failed teardown:\n%s", log)
	}
}
