package job

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/satellite"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/internal/untrusted"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// Request is one job as a caller asks for it.
type Request struct {
	// ID is optional; the runner makes one when empty.
	ID string
	// Caller names who asked (the peer's user on the unix socket), for
	// logs, the audit log and job history; "" when unknown.
	Caller string
	// Identity is the authenticated caller (nil for an in-process caller);
	// Access what its grant allows with data (nil: unrestricted); Pool the
	// resource pool the classifier chose ("" : the default pool).
	Identity   *Identity
	Access     *Access
	Pool       string
	Language   string
	Script     string
	InputQuery string
	InputName  string
	OutputName string
	// Params are the declared params; ParamValues their values as text, by
	// name without "@". A declared param without a value is NULL.
	Params      []sqltype.Decl
	ParamValues map[string]string
	// DataSource is an optional SQL Server connection string (remote compute
	// context) used instead of the instance for input and write-back. It is
	// never logged; errors from it are sanitized.
	DataSource string
	// IntoTable, when set, receives the output data set in one transaction
	// instead of the caller; CreateTable makes the table first.
	IntoTable   string
	CreateTable bool
	// ResultSchema, when set, is the declared shape of the output (WITH
	// RESULT SETS); the output is checked and converted to it.
	ResultSchema []sqltype.Decl
	// NoResultSet is WITH RESULT SETS NONE: a result set from the script
	// fails the job.
	NoResultSet bool
	// RowsPerRead > 0 (@r_rowsPerRead) runs the script once per chunk of at
	// most that many input rows, in one session (chunks.go).
	RowsPerRead int64
	// PartitionBy runs the script once per group of input rows with equal
	// values in these columns, each group ordered by OrderBy; Parallel runs
	// the groups in separate sandboxes at the same time (parallel.go).
	PartitionBy, OrderBy []string
	Parallel             bool
	// Start asks for a start path: StartAuto (""), StartCold or StartWarm.
	Start string
	// ParamQueries give params the value of a scalar query, run once the
	// job holds its worker, before the input query (paramquery.go).
	ParamQueries []ParamQuery
}

// Stream names where a message came from.
type Stream int

// Message streams.
const (
	Stdout Stream = iota + 1
	Stderr
	HostNote
)

// Started tells the caller which job runs and under what conditions.
type Started struct {
	JobID    string
	Launcher string
	// Warnings repeat the operator's isolation relaxations on every job.
	Warnings []string
}

// Sink receives a job's output as it happens. Calls come from more than one
// goroutine; a Sink serialises them itself. An error from a Sink (the caller
// went away) stops the job.
type Sink interface {
	Started(Started) error
	// Schema is the result set's schema, at most once, before any Batch.
	Schema(payload []byte, s *bxl.Schema) error
	// Batch is one validated BXL batch of the result set.
	Batch(payload []byte, b *bxl.Batch) error
	Message(s Stream, text []byte) error
}

// Result is what a successful job returns besides its result set.
type Result struct {
	JobID string
	// OutputParams holds the OUTPUT params (BXL PARAMS payload and decoded).
	OutputParamsPayload []byte
	OutputParams        *bxl.Schema
	OutputValues        *bxl.Batch
	Stats               Stats
}

// Stats describe a job's run.
type Stats struct {
	RowsIn, RowsOut   uint64
	BytesIn, BytesOut uint64
	// RowsWritten counts rows committed into Request.IntoTable.
	RowsWritten     uint64
	Duration        time.Duration
	PeakMemoryBytes int64
	CPUUser         time.Duration
	CPUSystem       time.Duration
	// Start is how the job started: "warm" (a prepared runtime) or "cold";
	// StartNote says why a job started cold when warm runtimes exist.
	Start, StartNote string
}

// Limits bound one job. The host's configuration makes them once, when it
// loads (host/config), with each default taken from the package that
// enforces the limit (DefaultTimeout here, jobobject's memory and
// processes, the sandbox's disk and queue timeout).
type Limits struct {
	// Timeout is the wall-clock limit of the whole job, start to finish.
	Timeout time.Duration
	// MemoryBytes, MaxProcs, CPUQuotaMillis and CPUShares are applied by
	// the sandbox's job object; 0 means no limit (CPUShares 0: the cgroup's
	// default weight).
	MemoryBytes    int64
	MaxProcs       int64
	CPUQuotaMillis int64
	CPUShares      uint64
	// MaxOutputBytes caps the output data set's encoded size.
	MaxOutputBytes int64
	// MaxMessageBytes caps the stdout, stderr and error report a job may
	// send back: the error's text is cut to what the messages left (at
	// least minErrorBytes of it is kept).
	MaxMessageBytes int64
	// DiskBytes is the sandbox's disk limit of the job, for error messages.
	DiskBytes int64
	// Decode bounds every frame the host reads from the job's runtime
	// (zero fields: bxl's defaults). Its MaxParamsBytes is lowered to what
	// is left of MaxOutputBytes when the OUTPUT params arrive.
	Decode bxl.Limits
	// QueueTimeout is how long a job waits for a free worker account.
	QueueTimeout time.Duration
	// BatchBytes is the input batch size target (0: bxl.DefaultBatchBytes).
	BatchBytes int
	// OpenFiles is the job's open file limit (0: the sandbox's default).
	OpenFiles uint64
	// MaxFileBytes is the largest file a job may write (0: no limit).
	MaxFileBytes uint64
	// MaxQueries bounds the queries a script makes back to the instance
	// (0: DefaultMaxQueries; negative: none); MaxQueryResultBytes the
	// encoded rows of all their answers (0: DefaultMaxQueryResultBytes).
	// Decode.MaxQueryBytes bounds one query's text.
	MaxQueries          int
	MaxQueryResultBytes int64
	// Log bounds what the launcher may log (zero fields: satellite's
	// defaults).
	Log satellite.LogLimits
}

// Launcher is a verified launcher ready to start.
type Launcher struct {
	Name    string
	Version string
	// Exe holds the verified launcher bytes; the runner closes it.
	Exe *os.File
	// Settings are the operator's settings for it (e.g. "runtime").
	Settings map[string]string
	// Check, when set, compares the started launcher's own description
	// (Launcher.Info) with what was verified; an error refuses the
	// launcher (CodeUntrustedLauncher).
	Check func(*launcher.Info) error
	// Identity names the verified registration (catalog); warm runtimes
	// serve only jobs whose launcher has the identity they started with.
	Identity string
	// Admits, when set, says quietly whether the catalog still admits the
	// launcher as verified; warm runtimes of a launcher it no longer
	// admits are discarded.
	Admits func() error
}

// Resolver finds the trusted launcher for a language. It returns an error
// wrapping ErrUnknownLanguage when none is registered; any other error means
// a launcher exists but may not run (untrusted, tampered, …).
type Resolver func(language string) (*Launcher, error)

// Sandbox makes each job's isolated environment.
type Sandbox interface {
	Open(ctx context.Context, jobID string, lim Limits) (Env, error)
	// Warnings are the isolation relaxations in force, said on every job.
	Warnings() []string
}

// Env is one job's environment: worker account, job object, working folder.
type Env interface {
	satellite.Process
	// Dir is the job's private working folder.
	Dir() string
	// SocketDir is where the launcher may create its gRPC socket.
	SocketDir() string
	// Owner is the worker account the launcher runs as.
	Owner() (uid, gid int)
	// Usage reports what the job object measured so far.
	Usage() Usage
	// Close kills what is left, removes the job object and folder and frees
	// the worker account. It is idempotent.
	Close() error
}

// Usage is what a job object measured.
type Usage struct {
	PeakMemoryBytes     int64
	CPUUser, CPUSystem  time.Duration
	OOMKilled, PidsFull bool
	// DiskFull: the job's disk (folder and /tmp) is full.
	DiskFull bool
	// PoolMemoryLimitBytes is the memory limit of the job's resource pool,
	// which binds it with the pool's other jobs (0: none).
	PoolMemoryLimitBytes int64
}

// Config configures a Runner.
type Config struct {
	Resolve Resolver
	Sandbox Sandbox
	// Source is the instance database input queries run on.
	Source datasource.Source
	// OpenDataSource opens a caller's data source (Request.DataSource). Nil
	// refuses such requests.
	OpenDataSource func(ctx context.Context, dsn string) (datasource.Source, error)
	Limits         Limits
	// Parallelism is the most partitions of one @parallel job that run at
	// once, each in its own sandbox (0: one per CPU). The worker pool bounds
	// them too: a partition waits for a free worker account.
	Parallelism int
	Logger      hclog.Logger
	// Observers hear about each job's queueing, start and end.
	Observers []Observer
	// Warm asks for warm runtimes of some launchers (warm.go).
	Warm []WarmSpec
	// Pools, when set, classifies each job into a resource pool and admits
	// it through that pool's queue before it takes a worker.
	Pools Pools
}

// Runner runs jobs. It is safe for concurrent use.
type Runner struct {
	cfg Config
	log hclog.Logger
	// lim is cfg.Limits, replaced whole by SetLimits (a reload); a job
	// keeps the limits it started with.
	lim atomic.Pointer[Limits]
	// warmMu guards warm, made on the first SetWarm that asks for any.
	warmMu sync.Mutex
	warm   *warmPools
	// waiting counts jobs waiting for a worker account: warm runtimes are
	// not prepared while any does. running counts jobs in Run.
	waiting, running atomic.Int64
	// teardowns are sandboxes still being removed after their job ended.
	teardowns sync.WaitGroup
}

// NewRunner returns a runner for cfg.
func NewRunner(cfg Config) *Runner {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	r := &Runner{cfg: cfg, log: cfg.Logger.Named("job")}
	r.lim.Store(&cfg.Limits)
	r.SetWarm(cfg.Warm)
	return r
}

// SetWarm replaces the warm runtime specs (at start and on a reload).
func (r *Runner) SetWarm(specs []WarmSpec) {
	r.warmMu.Lock()
	defer r.warmMu.Unlock()
	if r.warm == nil && len(specs) == 0 {
		return
	}
	if r.warm == nil {
		r.warm = newWarmPools(r, specs)
		return
	}
	r.warm.set(specs)
}

func (r *Runner) warmPools() *warmPools {
	r.warmMu.Lock()
	defer r.warmMu.Unlock()
	return r.warm
}

// WarmStatus reports the warm runtimes of each launcher that keeps some.
func (r *Runner) WarmStatus() []WarmStatus { return r.warmPools().status() }

// Close frees every warm runtime and waits for the sandboxes of ended jobs
// to be removed; call it before the sandbox closes, once no job runs.
func (r *Runner) Close() {
	r.warmPools().close()
	r.teardowns.Wait()
}

// background runs fn after the job's result is on its way; Close waits
// for it.
func (r *Runner) background(fn func()) {
	r.teardowns.Add(1)
	go func() {
		defer r.teardowns.Done()
		fn()
	}()
}

// teardown stops a job's launcher and removes its sandbox after the job's
// result is on its way: the caller does not wait for the cgroup and disk
// to go. The worker account returns only once they are gone.
func (r *Runner) teardown(id string, env Env, warm *prepared) {
	r.background(func() {
		if warm != nil {
			env.Kill() // its launcher is done: no graceful stop to wait for
			warm.stop()
		}
		r.closeLogged(id, "job sandbox", env.Close)
	})
}

// spareWorker reports whether one more warm runtime may take a worker
// account, inflight preparations having yet to take theirs: one must stay
// free for a job, and no job may be waiting for one.
func (r *Runner) spareWorker(inflight int) bool {
	if r.waiting.Load() > 0 {
		return false
	}
	f, ok := r.cfg.Sandbox.(interface{ FreeWorkers() int })
	return !ok || f.FreeWorkers()-inflight > 1
}

// maxLoggedErrorBytes bounds a failed job's error in the host log; the
// caller gets the whole (already bounded) report.
const maxLoggedErrorBytes = 2 << 10

var jobIDRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ValidJobID reports whether id may name a job (it becomes part of paths).
func ValidJobID(id string) bool { return jobIDRe.MatchString(id) }

// NewJobID returns a fresh random job id.
func NewJobID() string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return "j-" + hex.EncodeToString(b[:])
}

// Run runs req to completion. On failure the error is an *Error.
func (r *Runner) Run(ctx context.Context, req *Request, sink Sink) (*Result, error) {
	if req.ID == "" {
		req.ID = NewJobID()
	}
	started := time.Now()
	r.Classify(req)
	r.running.Add(1)
	defer func() {
		r.running.Add(-1)
		r.warmPools().jobEnded()
	}()
	live := newLive(req, started)
	r.notify(Observer.JobQueued, live)
	res, err := r.run(ctx, req, sink, live)
	live.mark(StageTeardown)
	if err != nil {
		var jerr *Error
		if !errors.As(err, &jerr) {
			jerr = &Error{JobID: req.ID, Code: CodeHostFault, Err: err}
		}
		live.finish(nil, jerr)
		r.notify(Observer.JobEnded, live)
		r.logFailure(req, jerr, time.Since(started))
		return nil, jerr
	}
	res.Stats.Duration = time.Since(started)
	live.finish(res, nil)
	r.notify(Observer.JobEnded, live)
	r.log.Info("job done", "job_id", req.ID, "caller", req.Caller, "language", req.Language, "rows_in", res.Stats.RowsIn,
		"rows_out", res.Stats.RowsOut, "duration_ms", res.Stats.Duration.Milliseconds(),
		"peak_memory_bytes", res.Stats.PeakMemoryBytes)
	return res, nil
}

// logFailure logs a failed job at WARN with its caller and code; a cancel
// is routine (the caller asked, or went away) and logged at INFO.
func (r *Runner) logFailure(req *Request, jerr *Error, took time.Duration) {
	log := r.log.Warn
	if jerr.Code == CodeCancelled {
		log = r.log.Info
	}
	// The error may carry a runtime's text: bounded and escaped in the log.
	log("job failed", "job_id", req.ID, "caller", req.Caller, "language", untrusted.String(req.Language, 64),
		"code", jerr.Code.String(), "error", untrusted.String(jerr.Error(), maxLoggedErrorBytes),
		"duration_ms", took.Milliseconds())
}

func (r *Runner) run(ctx context.Context, req *Request, sink Sink, live *Live) (*Result, error) {
	id := req.ID
	params, values, err := r.prepare(req)
	if err != nil {
		return nil, err
	}
	lim := r.Limits()
	ctx = context.WithValue(ctx, timeoutKey{}, lim.Timeout)
	if lim.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lim.Timeout)
		defer cancel()
	}
	sink = newBoundSink(ctx, sink)

	if req.Parallel && len(req.PartitionBy) > 0 {
		return r.runParallel(ctx, req, sink, params, values, live)
	}
	l, jerr := r.launcherFor(id, req.Language, live)
	if jerr != nil {
		return nil, jerr
	}
	defer l.Exe.Close()
	live.resolved(l.Name, l.Version)
	live.mark(StageResolve)

	// Lease the worker first: input queries run only for a job that holds
	// one, so queued jobs cost the host nothing but their request. A warm
	// runtime holds one already.
	env, warm, coldWhy, jerr := r.acquire(ctx, req, l, lim)
	if jerr != nil {
		return nil, jerr
	}
	defer r.teardown(id, env, warm)
	live.mark(StageSandbox)
	live.running(env)
	defer live.release() // before env.Close: the job's last usage
	r.notify(Observer.JobRunning, live)

	src, sanitize, closeSrc, err := r.source(ctx, req)
	if err != nil {
		return nil, r.contextError(ctx, id, &Error{JobID: id, Code: CodeDataSource, Err: err})
	}
	defer closeSrc()

	// Param and input queries run before any process: a bad one costs none.
	qctx, stopInput := context.WithCancel(ctx) // stops the input once the job is over
	defer stopInput()
	if values, err = runParamQueries(qctx, src, req, params, values, lim.BatchBytes); err != nil {
		return nil, r.contextError(ctx, id, &Error{JobID: id, Code: CodeDataSource, Err: sanitize(err)})
	}
	var rows datasource.Rows
	if strings.TrimSpace(req.InputQuery) != "" {
		rows, err = src.Query(qctx, orderedQuery(req.InputQuery, req.PartitionBy, req.OrderBy), queryParams(req.Params, values), lim.BatchBytes)
		if err != nil {
			return nil, r.contextError(ctx, id, &Error{JobID: id, Code: CodeDataSource, Err: sanitize(err)})
		}
		defer r.closeLogged(id, "input query", rows.Close)
		if rows, err = chunkRows(req, rows); err != nil {
			return nil, &Error{JobID: id, Code: CodeInvalidRequest, Err: err}
		}
	}

	live.mark(StageQuery)
	if jerr := r.announce(sink, req, l); jerr != nil {
		return nil, jerr
	}

	ex := &execution{
		runner: r, req: req, inputEnded: make(chan struct{}), lim: lim, env: env, launcher: l, sink: sink,
		warm: warm, coldWhy: coldWhy,
		params: params, values: values, rows: rows, stopInput: stopInput, target: src, sanitize: sanitize,
		log: r.log.With("job_id", id, "caller", req.Caller, "launcher", l.Name), live: live,
	}
	live.attach(ex)
	return ex.run(ctx)
}

// announce tells the caller the job started, and under what conditions.
func (r *Runner) announce(sink Sink, req *Request, l *Launcher) *Error {
	if err := sink.Started(Started{JobID: req.ID, Launcher: l.Name, Warnings: r.cfg.Sandbox.Warnings()}); err != nil {
		return &Error{JobID: req.ID, Code: CodeCancelled, Err: err}
	}
	if req.Parallel {
		if err := sink.Message(HostNote, []byte(parallelWithoutPartitions)); err != nil {
			return &Error{JobID: req.ID, Code: CodeCancelled, Err: err}
		}
	}
	return nil
}

// launcherFor resolves the trusted launcher of a language. A refused one
// has its waiting warm runtimes discarded before the caller hears of it.
func (r *Runner) launcherFor(id, language string, live *Live) (*Launcher, *Error) {
	l, err := r.cfg.Resolve(language)
	if err != nil {
		code := CodeUntrustedLauncher
		switch {
		case errors.Is(err, ErrUnknownLanguage):
			code = CodeUnknownLanguage
		case errors.Is(err, ErrResolveFault):
			code = CodeHostFault
		default:
			if live != nil { // nil for a partition: its job resolved first
				live.markResolved()
			}
			r.warmPools().checkNow()
		}
		return nil, &Error{JobID: id, Code: code, Err: err}
	}
	return l, nil
}

// acquire gives the job a warm runtime when one fits, else a fresh sandbox
// in its pool; coldWhy says why it starts cold.
func (r *Runner) acquire(ctx context.Context, req *Request, l *Launcher, lim Limits) (Env, *prepared, string, *Error) {
	id := req.ID
	warm, coldWhy, err := r.warmPools().take(ctx, l, req, lim)
	if err != nil {
		return nil, nil, "", r.contextError(ctx, id, &Error{JobID: id, Code: CodeInvalidRequest, Err: err})
	}
	if warm == nil {
		env, jerr := r.openEnv(ctx, req, lim)
		return env, nil, coldWhy, jerr
	}
	env, err := r.admitWarm(ctx, req, warm)
	if err != nil {
		warm.discard(r.log)
		return nil, nil, "", r.envError(ctx, id, err)
	}
	r.log.Debug("job starts warm", "job_id", id, "sandbox", warm.id, "ready_ms", time.Since(warm.readyAt).Milliseconds())
	return env, warm, "", nil
}

// openEnv opens a job's sandbox in its pool, waiting for a slot in the
// pool and then for a worker account; a warm runtime gives its account up
// when none is free.
func (r *Runner) openEnv(ctx context.Context, req *Request, lim Limits) (Env, *Error) {
	r.waiting.Add(1)
	if f, ok := r.cfg.Sandbox.(interface{ FreeWorkers() int }); ok && f.FreeWorkers() == 0 {
		r.warmPools().evictOne()
	}
	env, err := r.openPooled(ctx, req, lim)
	r.waiting.Add(-1)
	if err != nil {
		return nil, r.envError(ctx, req.ID, err)
	}
	return env, nil
}

// envError says why a job got no sandbox.
func (r *Runner) envError(ctx context.Context, id string, err error) *Error {
	switch {
	case errors.Is(err, ErrNoWorker):
		return r.contextError(ctx, id, &Error{JobID: id, Code: CodeLimitExceeded, Limit: LimitWorkers, Err: err})
	case errors.Is(err, ErrPoolFull):
		return r.contextError(ctx, id, &Error{JobID: id, Code: CodeLimitExceeded, Limit: LimitPool, Err: err})
	case errors.Is(err, ErrUnknownPool):
		return &Error{JobID: id, Code: CodeInvalidRequest, Err: err}
	}
	return r.contextError(ctx, id, &Error{JobID: id, Code: CodeHostFault, Err: fmt.Errorf("open sandbox: %w", err)})
}

// prepare validates the request and builds the params block.
func (r *Runner) prepare(req *Request) (*bxl.Schema, *bxl.Batch, error) {
	id := req.ID
	if !ValidJobID(id) {
		return nil, nil, failf(id, CodeInvalidRequest, "job id %q: use 1-64 letters, digits, '-' or '_'", id)
	}
	if strings.TrimSpace(req.Script) == "" {
		return nil, nil, failf(id, CodeInvalidRequest, "no script")
	}
	if req.InputName == "" {
		req.InputName = "InputDataSet"
	}
	if req.OutputName == "" {
		req.OutputName = "OutputDataSet"
	}
	for _, n := range []string{req.InputName, req.OutputName} {
		if !sqltype.ValidIdentifier(n) {
			return nil, nil, failf(id, CodeInvalidRequest, "data set name %q is not a valid identifier", n)
		}
	}
	if req.CreateTable && req.IntoTable == "" {
		return nil, nil, failf(id, CodeInvalidRequest, "create table asked without a table to write into")
	}
	if err := prepareChunks(req); err != nil {
		return nil, nil, err
	}
	if err := checkInto(req); err != nil {
		return nil, nil, &Error{JobID: id, Code: CodeInvalidRequest, Err: err}
	}
	if err := checkWriteGrant(req); err != nil {
		return nil, nil, &Error{JobID: id, Code: CodeInvalidRequest, Err: err}
	}
	if _, err := bindQueries(req); err != nil {
		return nil, nil, err
	}
	if req.InputName == req.OutputName {
		return nil, nil, failf(id, CodeInvalidRequest, "input and output data sets are both named %q", req.InputName)
	}
	schema := &bxl.Schema{}
	for _, d := range req.Params {
		if d.Name == req.InputName || d.Name == req.OutputName {
			return nil, nil, failf(id, CodeInvalidRequest, "param @%s has the name of a data set", d.Name)
		}
		schema.Fields = append(schema.Fields, d.Field)
	}
	values, err := paramValues(req.Params, req.ParamValues)
	if err != nil {
		return nil, nil, &Error{JobID: id, Code: CodeInvalidRequest, Err: err}
	}
	b := bxl.NewBuilder(schema)
	if len(schema.Fields) > 0 {
		vals := make([]any, len(schema.Fields))
		for i, f := range schema.Fields {
			text, ok := values[f.Name]
			if !ok {
				continue
			}
			v, err := sqltype.ParseValue(f, text)
			if err != nil {
				return nil, nil, &Error{JobID: id, Code: CodeInvalidRequest, Err: err}
			}
			vals[i] = v
		}
		if err := b.AppendRow(vals...); err != nil {
			return nil, nil, &Error{JobID: id, Code: CodeInvalidRequest, Err: fmt.Errorf("params: %w", err)}
		}
	}
	return schema, b.Build(), nil
}

// paramValues keys the given values by declared name, matching names
// case-insensitively as T-SQL does: --param N=1 sets @n.
func paramValues(decls []sqltype.Decl, given map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(given))
	for name, text := range given {
		i := slices.IndexFunc(decls, func(d sqltype.Decl) bool { return strings.EqualFold(d.Name, name) })
		if i < 0 {
			return nil, fmt.Errorf("value given for undeclared param @%s", name)
		}
		d := decls[i].Name
		if _, dup := out[d]; dup {
			return nil, fmt.Errorf("param @%s is given two values (names are case-insensitive)", d)
		}
		out[d] = text
	}
	return out, nil
}

// queryParams are the declared params with their values, bound in the input
// query as SQL Server binds them in @input_data_1 (OUTPUT params with their
// input value).
func queryParams(decls []sqltype.Decl, values *bxl.Batch) []datasource.Param {
	out := make([]datasource.Param, len(decls))
	for i, d := range decls {
		out[i] = datasource.Param{Name: d.Name, SQLType: d.SQLType, Field: d.Field}
		if values != nil && values.Rows > 0 && !values.Columns[i].IsNull(0) {
			out[i].Value = values.Columns[i].Value(0)
		}
	}
	return out
}

// source picks the job's data source: the caller's, opened for this job,
// or the instance. sanitize strips the caller's credentials from errors.
func (r *Runner) source(ctx context.Context, req *Request) (datasource.Source, func(error) error, func(), error) {
	keep := func(err error) error { return err }
	if req.DataSource == "" {
		src, err := scopeInstance(r.cfg.Source, req.Access)
		return src, keep, func() {}, err
	}
	if r.cfg.OpenDataSource == nil {
		return nil, nil, nil, errors.New("this host does not accept a caller's data source")
	}
	dsn := req.DataSource
	sanitize := func(err error) error { return datasource.SanitizeError(err, dsn) }
	src, err := r.cfg.OpenDataSource(ctx, dsn)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("open data source: %w", sanitize(err))
	}
	return src, sanitize, func() { r.closeLogged(req.ID, "data source", src.Close) }, nil
}

// closeLogged runs a teardown step whose error cannot change the job's
// outcome any more, and logs that error instead of dropping it: a sandbox
// that failed to close may have left a cgroup or folder behind.
func (r *Runner) closeLogged(id, what string, fn func() error) {
	if err := fn(); err != nil {
		r.log.Error("teardown failed", "job_id", id, "what", what, "error", err)
	}
}

// contextError prefers the context's reason (time limit, cancel) over the
// error a dying job produced.
func (r *Runner) contextError(ctx context.Context, id string, fallback *Error) *Error {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &Error{JobID: id, Code: CodeLimitExceeded, Limit: LimitTime,
			Err: fmt.Errorf("job exceeded its time limit of %s", r.jobTimeout(ctx))}
	case errors.Is(ctx.Err(), context.Canceled):
		return &Error{JobID: id, Code: CodeCancelled, Err: errors.New("job cancelled")}
	}
	return fallback
}

// runRequest is the launcher's view of the job.
func runRequest(req *Request, env Env, l *Launcher) *launcher.RunRequest {
	return &launcher.RunRequest{JobID: req.ID, Language: req.Language, WorkingDir: env.Dir(), Settings: l.Settings}
}
