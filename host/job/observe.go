package job

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/openlaunchpad/launchpad/internal/untrusted"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// Observer hears about every job the runner takes: host/history keeps the
// recent ones, host/telemetry counts them, the host audits their starts.
// Calls come from the job's goroutine and must not block for long.
type Observer interface {
	// JobQueued: the request is taken; the job waits for its launcher and
	// a worker account.
	JobQueued(*Live)
	// JobRunning: the job holds a worker and a verified launcher.
	JobRunning(*Live)
	// JobEnded: the job is over; its Info is final.
	JobEnded(*Live)
}

// Job states as Info.State names them.
// Plain string constants: like catalog's audit results in shape only, no shared logic.
const (
	StateQueued    = "queued"
	StateRunning   = "running"
	StateSucceeded = "succeeded"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// Info is one job as an operator sees it (`launchpad jobs`), like a row of
// sys.dm_external_script_execution_stats. Durations are in milliseconds so
// the JSON form is stable.
type Info struct {
	ID       string `json:"id"`
	Caller   string `json:"caller"`
	Language string `json:"language"`
	// Pool is the resource pool the job runs in ("" outside pools).
	Pool string `json:"pool,omitempty"`
	// Launcher and LauncherVersion are empty when none was resolved.
	Launcher        string    `json:"launcher,omitempty"`
	LauncherVersion string    `json:"launcher_version,omitempty"`
	ScriptSHA256    string    `json:"script_sha256"`
	State           string    `json:"state"`
	Submitted       time.Time `json:"submitted"`
	// Started is when the job got its worker (zero while queued).
	Started time.Time `json:"started,omitzero"`
	Ended   time.Time `json:"ended,omitzero"`
	// QueueWaitMs is submitted to started (or to now while queued);
	// ElapsedMs is started to ended (or to now while running).
	QueueWaitMs     int64  `json:"queue_wait_ms"`
	ElapsedMs       int64  `json:"elapsed_ms"`
	CPUUserMs       int64  `json:"cpu_user_ms"`
	CPUSystemMs     int64  `json:"cpu_system_ms"`
	PeakMemoryBytes int64  `json:"peak_memory_bytes"`
	RowsIn          uint64 `json:"rows_in"`
	BytesIn         uint64 `json:"bytes_in"`
	// RowsOut and BytesOut are counted when the job ends; OutputKnown says
	// they are (a running job's are not yet).
	RowsOut     uint64 `json:"rows_out"`
	BytesOut    uint64 `json:"bytes_out"`
	OutputKnown bool   `json:"output_known"`
	// ExitCode is the runtime's exit code; nil when it did not exit on its
	// own (killed, never started) or the job still runs.
	ExitCode *int `json:"exit_code,omitempty"`
	// Start is how the job started ("warm" or "cold"), once it did.
	Start string `json:"start,omitempty"`
	// Stages is where the job's time went, step by step, as it happened.
	Stages     []Stage `json:"stages,omitempty"`
	ExitSignal string  `json:"exit_signal,omitempty"`
	// ErrorCode is the failure class ("script error", "cancelled", …) and
	// Error its message, bounded; both empty on success.
	ErrorCode string `json:"error_code,omitempty"`
	Error     string `json:"error,omitempty"`
	// Resolved says the language was looked up in the catalog (found, or
	// refused as untrusted), so it names a registered language: metrics
	// label only these, a caller's made-up language goes under "unknown".
	Resolved bool `json:"-"`
}

// maxInfoErrorBytes bounds the error kept in a job's Info (history is
// kept for many jobs and may be listed often).
const maxInfoErrorBytes = 512

// maxInfoNameBytes bounds a job's id, caller and language in its Info.
const maxInfoNameBytes = 128

// Live is a job the runner is running, as observers see it. Its Info is
// read at any time; usage and input counters are live while it runs.
type Live struct {
	// mu guards the fields below.
	mu       sync.Mutex
	info     Info
	lastMark time.Time
	env      Env        // while the job holds a worker
	ex       *execution // once its launcher started
	exit     *launcher.ExitStatus
	err      *Error
	finished bool
	// usageFinal: info holds the use read as the runtime finished.
	usageFinal bool
}

func newLive(req *Request, now time.Time) *Live {
	sum := sha256.Sum256([]byte(req.Script))
	// The id and language are the caller's text, kept before they are
	// checked: bounded, so no request can make a history line large.
	return &Live{info: Info{
		ID: untrusted.String(req.ID, maxInfoNameBytes), Caller: untrusted.String(req.Caller, maxInfoNameBytes),
		Language: untrusted.String(req.Language, maxInfoNameBytes), Pool: untrusted.String(req.Pool, maxInfoNameBytes),
		ScriptSHA256: hex.EncodeToString(sum[:]),
		State:        StateQueued, Submitted: now,
	}, lastMark: now}
}

// Stage is one step of a job and how long it took.
type Stage struct {
	Name string  `json:"name"`
	Ms   float64 `json:"ms"`
}

// Job stages, in order; a job that fails early has only the first ones.
const (
	StageResolve  = "resolve"  // find and check the launcher (catalog)
	StageSandbox  = "sandbox"  // take a warm runtime or make a sandbox
	StageQuery    = "query"    // param and input queries opened
	StageLaunch   = "launch"   // start the launcher and its runtime (cold)
	StageRun      = "run"      // input sent, script run, output read
	StageExit     = "exit"     // the runtime's exit reported
	StageTeardown = "teardown" // the launcher stopped, the sandbox removed
)

// mark ends a stage now.
func (l *Live) mark(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.info.Stages = append(l.info.Stages, Stage{Name: name, Ms: float64(now.Sub(l.lastMark).Microseconds()) / 1000})
	l.lastMark = now
}

func (l *Live) startedAs(path string) {
	l.mu.Lock()
	l.info.Start = path
	l.mu.Unlock()
}

// Info returns the job's state now; a running job's resource use is read
// from its job object.
func (l *Live) Info() Info { return l.snapshot(true) }

// Record is Info without reading the job object (a cgroup v1 read is
// several files): observers take it, on the job's own path. An ended job's
// record holds its final use.
func (l *Live) Record() Info { return l.snapshot(false) }

func (l *Live) snapshot(readUsage bool) Info {
	l.mu.Lock()
	defer l.mu.Unlock()
	in := l.info
	now := time.Now()
	if in.Started.IsZero() {
		in.QueueWaitMs = ms(now.Sub(in.Submitted))
	}
	if readUsage && l.env != nil && !l.usageFinal {
		l.applyUsage(&in, l.env.Usage())
	}
	if l.ex != nil {
		in.RowsIn, in.BytesIn = uint64(l.ex.rowsIn.Load()), uint64(l.ex.bytesIn.Load())
	}
	if !in.Started.IsZero() && in.Ended.IsZero() {
		in.ElapsedMs = ms(now.Sub(in.Started))
	}
	return in
}

// Error is how the job failed (nil while it runs or when it succeeded).
func (l *Live) Error() *Error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *Live) applyUsage(in *Info, u Usage) {
	in.PeakMemoryBytes, in.CPUUserMs, in.CPUSystemMs = u.PeakMemoryBytes, ms(u.CPUUser), ms(u.CPUSystem)
}

func (l *Live) resolved(launcherName, version string) {
	l.mu.Lock()
	l.info.Resolved, l.info.Launcher, l.info.LauncherVersion = true, launcherName, version
	l.mu.Unlock()
}

func (l *Live) markResolved() {
	l.mu.Lock()
	l.info.Resolved = true
	l.mu.Unlock()
}

// running records that the job holds env.
func (l *Live) running(env Env) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.env = env
	l.info.State, l.info.Started = StateRunning, time.Now()
	l.info.QueueWaitMs = ms(l.info.Started.Sub(l.info.Submitted))
}

func (l *Live) attach(ex *execution) {
	l.mu.Lock()
	l.ex = ex
	l.mu.Unlock()
}

func (l *Live) exited(exit *launcher.ExitStatus) {
	l.mu.Lock()
	l.exit = exit
	l.mu.Unlock()
}

// used records the job's resource use as its runtime finished: the
// figures its result and record report.
func (l *Live) used(u Usage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.applyUsage(&l.info, u)
	l.usageFinal = true
}

// release takes the job's final usage before its environment is closed,
// unless the run recorded it.
func (l *Live) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.env != nil && !l.usageFinal {
		l.applyUsage(&l.info, l.env.Usage())
	}
	l.env = nil // closed next: nothing may read it any more
}

// finish records how the job ended; res is nil when it failed.
func (l *Live) finish(res *Result, jerr *Error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	in := &l.info
	in.Ended = time.Now()
	if !in.Started.IsZero() {
		in.ElapsedMs = ms(in.Ended.Sub(in.Started))
	} else {
		in.QueueWaitMs = ms(in.Ended.Sub(in.Submitted))
	}
	if ex := l.ex; ex != nil {
		in.RowsIn, in.BytesIn = uint64(ex.rowsIn.Load()), uint64(ex.bytesIn.Load())
		in.RowsOut, in.BytesOut, in.OutputKnown = uint64(ex.rowsOut), uint64(ex.bytesOut), true
	}
	if e := l.exit; e != nil {
		if e.Signal != "" {
			in.ExitSignal = e.Signal
		} else {
			code := e.Code
			in.ExitCode = &code
		}
	}
	l.err, l.finished = jerr, true
	switch {
	case jerr == nil:
		in.State = StateSucceeded
	case jerr.Code == CodeCancelled:
		in.State = StateCancelled
	default:
		in.State = StateFailed
	}
	if jerr != nil {
		in.ErrorCode = jerr.Code.String()
		in.Error = untrusted.String(jerr.Error(), maxInfoErrorBytes)
	}
}

// LanguageLabel is the job's language for metrics: lower case when the
// catalog knows it, else "unknown", so callers cannot grow label sets.
func (in Info) LanguageLabel() string {
	if !in.Resolved {
		return "unknown"
	}
	return strings.ToLower(in.Language)
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

func (r *Runner) notify(f func(Observer, *Live), l *Live) {
	for _, o := range r.cfg.Observers {
		f(o, l)
	}
}
