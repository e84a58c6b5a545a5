package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// The verdict picks the one reason a job is reported with: the context's
// (time, cancel), then a failure the host recorded, then a limit the job
// object saw (memory before processes before disk) — but only for a job
// that failed — then the runtime's own report, then the data plane, then
// the launcher.
func TestVerdict_PicksTheMostTellingReason(t *testing.T) {
	t.Parallel()
	scriptErr := &bxl.ScriptError{Kind: bxl.ErrorKindScript, Type: "ZeroDivisionError", Message: "division by zero"}
	ok := runOutcome{exit: &launcher.ExitStatus{}}
	exited := func(code int) runOutcome { return runOutcome{exit: &launcher.ExitStatus{Code: code}} }
	recorded := &Error{JobID: "j-1", Code: CodeLimitExceeded, Limit: LimitOutput, Err: errors.New("output too big")}
	tests := map[string]struct {
		ctx      string // "", "deadline" or "cancel"
		recorded *Error
		end      outputEnd
		readErr  error
		run      runOutcome
		usage    Usage
		code     Code // 0: success
		limit    string
		text     string
	}{
		"success":                       {run: ok},
		"oom that did not fail the job": {run: ok, usage: Usage{OOMKilled: true}},
		"time limit beats everything":   {ctx: "deadline", readErr: io.EOF, usage: Usage{OOMKilled: true}, code: CodeLimitExceeded, limit: LimitTime, text: "time limit of 1m0s"},
		"cancel":                        {ctx: "cancel", run: ok, code: CodeCancelled, text: "job cancelled"},
		"recorded failure beats oom":    {recorded: recorded, readErr: io.EOF, usage: Usage{OOMKilled: true}, code: CodeLimitExceeded, limit: LimitOutput, text: "output too big"},
		"oom on a failed job":           {readErr: io.EOF, run: exited(-1), usage: Usage{OOMKilled: true, PeakMemoryBytes: 2048}, code: CodeLimitExceeded, limit: LimitMemory, text: "memory limit of 1048576 bytes (peak 2048 bytes)"},
		"oom below its own limit, in a pool": {readErr: io.EOF, usage: Usage{OOMKilled: true, PeakMemoryBytes: 4096, PoolMemoryLimitBytes: 8192},
			code: CodeLimitExceeded, limit: LimitMemory, text: `memory limit of its pool "small": 8192 bytes for all of the pool's jobs together (this job's peak 4096 bytes)`},
		"oom at its own limit, in a pool": {readErr: io.EOF, usage: Usage{OOMKilled: true, PeakMemoryBytes: 1 << 20, PoolMemoryLimitBytes: 8 << 20},
			code: CodeLimitExceeded, limit: LimitMemory, text: "its memory limit of 1048576 bytes"},
		"memory before processes":           {readErr: io.EOF, usage: Usage{OOMKilled: true, PidsFull: true, DiskFull: true}, code: CodeLimitExceeded, limit: LimitMemory},
		"processes before disk":             {end: outputEnd{script: scriptErr}, usage: Usage{PidsFull: true, DiskFull: true}, code: CodeLimitExceeded, limit: LimitProcesses, text: "limit of 5 processes"},
		"disk on a nonzero exit":            {run: exited(1), usage: Usage{DiskFull: true}, code: CodeLimitExceeded, limit: LimitDisk, text: "disk limit of 100 bytes"},
		"script error":                      {end: outputEnd{script: scriptErr}, run: exited(1), code: CodeScript, text: "ZeroDivisionError"},
		"output error from the runtime":     {end: outputEnd{script: &bxl.ScriptError{Kind: bxl.ErrorKindOutput, Message: "bad column"}}, code: CodeOutput, text: "bad column"},
		"input error from the runtime":      {end: outputEnd{script: &bxl.ScriptError{Kind: bxl.ErrorKindInput, Message: "bad input"}}, code: CodeDataSource, text: "bad input"},
		"protocol error from the runtime":   {end: outputEnd{script: &bxl.ScriptError{Kind: bxl.ErrorKindProtocol, Message: "frames"}}, code: CodeLauncherFault, text: "frames"},
		"runtime ended early":               {readErr: io.ErrUnexpectedEOF, run: exited(3), code: CodeLauncherFault, text: "ended before finishing its output (runtime exited with code 3)"},
		"runtime killed by a signal":        {readErr: io.EOF, run: runOutcome{exit: &launcher.ExitStatus{Code: -1, Signal: "killed"}}, code: CodeLauncherFault, text: "killed by signal: killed"},
		"runtime ended, launcher exited":    {readErr: io.EOF, run: runOutcome{err: fmt.Errorf("launcher run: %w", launcher.ErrPluginExited)}, code: CodeLauncherFault, text: "(the launcher process exited)"},
		"garbage on the data plane":         {readErr: fmt.Errorf("%w: junk", bxl.ErrProtocol), run: ok, code: CodeLauncherFault, text: "junk"},
		"launcher exited after the output":  {run: runOutcome{err: fmt.Errorf("launcher run: %w", launcher.ErrPluginExited)}, code: CodeLauncherFault, text: "the launcher process exited during the job"},
		"launcher error":                    {run: runOutcome{err: errors.New("no runtime binary")}, code: CodeLauncherFault, text: "no runtime binary"},
		"nonzero exit after a whole output": {run: exited(2), code: CodeLauncherFault, text: "finished its output but runtime exited with code 2"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			lim := Limits{Timeout: time.Minute, MemoryBytes: 1 << 20, MaxProcs: 5, DiskBytes: 100}
			ex := &execution{runner: NewRunner(Config{Limits: lim}), req: &Request{ID: "j-1", Pool: "small"}, lim: lim, failure: tc.recorded}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			switch tc.ctx {
			case "deadline":
				var c2 context.CancelFunc
				ctx, c2 = context.WithDeadline(ctx, time.Now().Add(-time.Second))
				defer c2()
			case "cancel":
				cancel()
			}
			got := ex.verdict(ctx, tc.end, tc.readErr, tc.run, tc.usage)
			if tc.code == 0 {
				if got != nil {
					t.Fatalf("verdict = %v, want success", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("verdict = success, want %s", tc.code)
			}
			if got.Code != tc.code || got.Limit != tc.limit || got.JobID != "j-1" || !strings.Contains(got.Error(), tc.text) {
				t.Fatalf("verdict = %q (code %s, limit %q), want code %s, limit %q, text %q",
					got.Error(), got.Code, got.Limit, tc.code, tc.limit, tc.text)
			}
		})
	}
}

// A limit's error keeps the runtime's report, so the caller still sees
// the traceback of the process that could not fork.
func TestVerdict_LimitKeepsTheRuntimeReport(t *testing.T) {
	t.Parallel()
	se := &bxl.ScriptError{Kind: bxl.ErrorKindScript, Type: "BlockingIOError", Message: "fork failed"}
	ex := &execution{runner: NewRunner(Config{}), req: &Request{ID: "j-1"}, lim: Limits{MaxProcs: 5}}
	got := ex.verdict(context.Background(), outputEnd{script: se}, nil, runOutcome{}, Usage{PidsFull: true})
	if got == nil || got.Script != se {
		t.Fatalf("verdict = %v, want the runtime's report kept", got)
	}
}
