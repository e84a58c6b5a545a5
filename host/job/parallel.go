package job

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// parallelWithoutPartitions is said on a @parallel job without partition
// columns: SQL Server would split its input among parallel plan threads,
// which is right only for scripts that can be split; Launchpad runs it once.
const parallelWithoutPartitions = "@parallel without partition columns: the script runs once, in one sandbox, on all rows; " +
	"give partition columns to run partitions at the same time\n"

// partQueue is how many input batches wait for a partition's job while it
// starts: enough that small partitions are handed over at once, a bound on
// what the host holds per partition.
const partQueue = 2

// parallelJob runs each partition of a job's input as a job of its own, in
// its own sandbox, at most limit at once; their outputs form one result set
// and the first failure cancels the others.
type parallelJob struct {
	runner   *Runner
	req      *Request
	params   *bxl.Schema
	values   *bxl.Batch
	sink     *mergeSink
	sanitize func(error) error
	cancel   context.CancelFunc
	slots    chan struct{}
	wg       sync.WaitGroup

	// mu guards the fields below.
	mu      sync.Mutex
	failure *Error
	stats   Stats
	payload []byte // the OUTPUT params block (no OUTPUT params: an empty one)
	pschema *bxl.Schema
	pbatch  *bxl.Batch
}

// runParallel is run for a partitioned job with Parallel set.
func (r *Runner) runParallel(ctx context.Context, req *Request, sink Sink, params *bxl.Schema, values *bxl.Batch, live *Live) (*Result, error) {
	id := req.ID
	if jerr := parallelAllowed(req, params); jerr != nil {
		return nil, jerr
	}
	// ctx carries the job's time limit (run set it); cancel stops every
	// partition at the first failure.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bound := newBoundSink(ctx, sink)
	// The launcher is checked before any query runs; each partition
	// resolves its own (a verified file is used once).
	l, jerr := r.launcherFor(id, req.Language, live)
	if jerr != nil {
		return nil, jerr
	}
	name := l.Name
	live.resolved(l.Name, l.Version)
	l.Exe.Close()
	src, sanitize, closeSrc, err := r.source(ctx, req)
	if err != nil {
		return nil, r.contextError(ctx, id, &Error{JobID: id, Code: CodeDataSource, Err: err})
	}
	defer closeSrc()
	if values, err = runParamQueries(ctx, src, req, params, values, r.cfg.Limits.BatchBytes); err != nil {
		return nil, r.contextError(ctx, id, &Error{JobID: id, Code: CodeDataSource, Err: sanitize(err)})
	}
	rows, err := src.Query(ctx, orderedQuery(req.InputQuery, req.PartitionBy, req.OrderBy), queryParams(req.Params, values), r.cfg.Limits.BatchBytes)
	if err != nil {
		return nil, r.contextError(ctx, id, &Error{JobID: id, Code: CodeDataSource, Err: sanitize(err)})
	}
	defer rows.Close()
	keys, err := columnIndexes(rows.Schema(), req.PartitionBy)
	if err != nil {
		return nil, &Error{JobID: id, Code: CodeInvalidRequest, Err: err}
	}
	if err := bound.Started(Started{JobID: id, Launcher: name, Warnings: r.cfg.Sandbox.Warnings()}); err != nil {
		return nil, &Error{JobID: id, Code: CodeCancelled, Err: err}
	}
	merged := &mergeSink{Sink: bound, maxOutput: r.cfg.Limits.MaxOutputBytes, maxMessages: r.cfg.Limits.MaxMessageBytes}
	if req.IntoTable != "" {
		merged.table = &tableTarget{ctx: ctx, src: src, name: req.IntoTable, create: req.CreateTable, sanitize: sanitize}
	}
	pj := &parallelJob{runner: r, req: req, params: params, values: values, sink: merged,
		sanitize: sanitize, cancel: cancel, slots: make(chan struct{}, r.parallelism())}
	return pj.run(ctx, newChunker(rows, 0, keys))
}

// parallelAllowed refuses what separate sessions cannot give.
func parallelAllowed(req *Request, params *bxl.Schema) *Error {
	for _, f := range params.Fields {
		if f.Output {
			return failf(req.ID, CodeInvalidRequest, "OUTPUT param @%s with parallel partitions: each partition runs in a session of its own, so there is no one final value", f.Name)
		}
	}
	return nil
}

func (r *Runner) parallelism() int {
	if n := r.cfg.Parallelism; n > 0 {
		return n
	}
	return runtime.NumCPU()
}

// run hands each partition's rows to a job of its own as the partitions
// come from the sorted input, then waits for them all.
func (pj *parallelJob) run(ctx context.Context, in *chunker) (*Result, error) {
	var cur *partRows
	part := 0
	finish := func() {
		if cur != nil {
			close(cur.ch)
			cur = nil
		}
	}
	defer func() {
		finish()
		pj.wg.Wait()
	}()
	for {
		b, err := in.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			pj.fail(pj.runner.contextError(ctx, pj.req.ID, &Error{JobID: pj.req.ID, Code: CodeDataSource, Err: pj.sanitize(err)}))
			break
		}
		if b.Rows == 0 {
			finish()
			continue
		}
		if cur == nil {
			part++
			if cur = pj.start(ctx, part, in.Schema()); cur == nil {
				break
			}
		}
		select {
		case cur.ch <- b:
		case <-cur.done: // the partition's job is over: the rest of its rows are not needed
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	if part == 0 && ctx.Err() == nil {
		// No rows: the script runs once on the empty input, as without parallel.
		part++
		cur = pj.start(ctx, part, in.Schema())
	}
	finish()
	pj.wg.Wait()
	return pj.result(ctx)
}

// start waits for a slot and starts partition part's job; nil when the job
// ended meanwhile. The job reads the rows sent on the returned input.
func (pj *parallelJob) start(ctx context.Context, part int, schema *bxl.Schema) *partRows {
	select {
	case pj.slots <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	rows := &partRows{schema: schema, ch: make(chan *bxl.Batch, partQueue), done: make(chan struct{})}
	rows.ctx, rows.stop = context.WithCancel(ctx)
	pj.wg.Add(1)
	go func() {
		defer pj.wg.Done()
		defer func() { <-pj.slots }()
		defer close(rows.done)
		defer rows.stop()
		pj.runPart(ctx, part, rows)
	}()
	return rows
}

// runPart runs one partition as a job of its own: own worker account,
// job object and runtime.
func (pj *parallelJob) runPart(ctx context.Context, part int, rows *partRows) {
	r, parent := pj.runner, pj.req
	sub := *parent
	sub.ID = partJobID(parent.ID, part)
	sub.PartitionBy, sub.OrderBy, sub.Parallel = nil, nil, false
	// The partitions' outputs go into the job's one table through the sink.
	sub.IntoTable, sub.CreateTable = "", false
	res, jerr := r.runRows(ctx, &sub, rows, rows.stop, pj.sink.part(part), pj.params, pj.values)
	if jerr != nil {
		// A partition cancelled because another failed says nothing new.
		switch {
		case errors.Is(jerr.Err, errOtherColumns):
			jerr.Code = CodeOutput
		case errors.Is(jerr.Err, errJobOutput):
			jerr.Code, jerr.Limit = CodeLimitExceeded, LimitOutput
		case errors.Is(jerr.Err, errJobMessages):
			jerr.Code, jerr.Limit = CodeLimitExceeded, LimitMessages
		case errors.Is(jerr.Err, errTableWrite):
			jerr.Code = CodeDataSource
		}
		if jerr.Code != CodeCancelled || ctx.Err() == nil {
			pj.fail(&Error{JobID: parent.ID, Code: jerr.Code, Limit: jerr.Limit, Script: jerr.Script,
				Err: fmt.Errorf("partition %d (job %s): %w", part, sub.ID, jerr.Err)})
		}
		return
	}
	pj.mu.Lock()
	defer pj.mu.Unlock()
	s := &pj.stats
	s.RowsIn += res.Stats.RowsIn
	s.RowsOut += res.Stats.RowsOut
	s.BytesIn += res.Stats.BytesIn
	s.BytesOut += res.Stats.BytesOut
	s.CPUUser += res.Stats.CPUUser
	s.CPUSystem += res.Stats.CPUSystem
	s.PeakMemoryBytes = max(s.PeakMemoryBytes, res.Stats.PeakMemoryBytes)
	if pj.payload == nil {
		pj.payload, pj.pschema, pj.pbatch = res.OutputParamsPayload, res.OutputParams, res.OutputValues
	}
}

// partJobID names partition part's job after its parent, within the
// length a job id may have.
func partJobID(parent string, part int) string {
	suffix := fmt.Sprintf("-p%d", part)
	if len(parent)+len(suffix) > 64 {
		parent = parent[:64-len(suffix)]
	}
	return parent + suffix
}

// fail records the first failure and cancels the other partitions.
func (pj *parallelJob) fail(e *Error) {
	pj.mu.Lock()
	if pj.failure == nil {
		pj.failure = e
	}
	pj.mu.Unlock()
	pj.cancel()
}

func (pj *parallelJob) result(ctx context.Context) (*Result, error) {
	pj.mu.Lock()
	defer pj.mu.Unlock()
	id := pj.req.ID
	if pj.failure == nil && ctx.Err() != nil {
		pj.failure = pj.runner.contextError(ctx, id, &Error{JobID: id, Code: CodeCancelled, Err: ctx.Err()})
	}
	if t := pj.sink.table; t != nil {
		if pj.failure != nil {
			t.rollback()
			return nil, pj.failure
		}
		n, err := t.commit(pj.req.OutputName)
		if err != nil {
			return nil, &Error{JobID: id, Code: CodeDataSource, Err: err}
		}
		pj.stats.RowsWritten = uint64(n)
	}
	if pj.failure != nil {
		return nil, pj.failure
	}
	return &Result{JobID: id, OutputParamsPayload: pj.payload, OutputParams: pj.pschema, OutputValues: pj.pbatch,
		Stats: pj.stats}, nil
}

// runRows runs req in a sandbox of its own with rows as its input.
func (r *Runner) runRows(ctx context.Context, req *Request, rows datasource.Rows, stop context.CancelFunc, sink Sink,
	params *bxl.Schema, values *bxl.Batch) (*Result, *Error) {
	l, jerr := r.launcherFor(req.ID, req.Language, nil)
	if jerr != nil {
		return nil, jerr
	}
	defer l.Exe.Close()
	env, jerr := r.openEnv(ctx, req, r.cfg.Limits)
	if jerr != nil {
		return nil, jerr
	}
	defer r.closeLogged(req.ID, "job sandbox", env.Close)
	// A partition's own record; the parent job is the one observers see.
	live := newLive(req, time.Now())
	live.running(env)
	defer live.release()
	rows, err := chunkRows(req, rows)
	if err != nil {
		return nil, &Error{JobID: req.ID, Code: CodeInvalidRequest, Err: err}
	}
	ex := &execution{
		runner: r, req: req, inputEnded: make(chan struct{}), lim: r.cfg.Limits, env: env, launcher: l, sink: sink,
		params: params, values: values, rows: rows, stopInput: stop,
		sanitize: func(err error) error { return err }, log: r.log.With("job_id", req.ID, "caller", req.Caller, "launcher", l.Name), live: live,
	}
	live.attach(ex)
	res, err := ex.run(ctx)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, e
		}
		return nil, &Error{JobID: req.ID, Code: CodeHostFault, Err: err}
	}
	return res, nil
}

// partRows is one partition's input, handed over batch by batch. stop
// ends its reader's wait; done is closed when its job is over.
type partRows struct {
	schema *bxl.Schema
	ch     chan *bxl.Batch
	ctx    context.Context
	stop   context.CancelFunc
	done   chan struct{}
}

func (p *partRows) Schema() *bxl.Schema { return p.schema }
func (p *partRows) Close() error        { return nil }
func (p *partRows) Next() (*bxl.Batch, error) {
	select {
	case b, ok := <-p.ch:
		if !ok {
			return nil, io.EOF
		}
		return b, nil
	case <-p.ctx.Done():
		return nil, p.ctx.Err()
	}
}

// errTableWrite: the job's table refused the partitions' rows.
var errTableWrite = errors.New("write the output table")

// tableTarget is the one table a parallel job writes, in one transaction
// opened by the first partition's result set.
type tableTarget struct {
	ctx      context.Context
	src      datasource.Source
	name     string
	create   bool
	sanitize func(error) error
	// w is set by the first SCHEMA (mergeSink.mu guards it and the writes).
	w datasource.TableWriter
}

func (t *tableTarget) begin(s *bxl.Schema) error {
	w, err := t.src.BeginWrite(t.ctx, t.name, t.create, s)
	if err != nil {
		return fmt.Errorf("%w %s: %w", errTableWrite, t.name, t.sanitize(err))
	}
	t.w = w
	return nil
}

func (t *tableTarget) write(b *bxl.Batch) error {
	if t.w == nil { // the first partition's could not open it
		return fmt.Errorf("%w %s: not open", errTableWrite, t.name)
	}
	if err := t.w.Write(b); err != nil {
		return fmt.Errorf("%w %s: %w", errTableWrite, t.name, t.sanitize(err))
	}
	return nil
}

func (t *tableTarget) rollback() {
	if t.w != nil {
		t.w.Rollback()
	}
}

// commit makes the rows visible; without any result set there is nothing
// to write, which fails the job as it does without parallel.
func (t *tableTarget) commit(output string) (int64, error) {
	if t.w == nil {
		return 0, fmt.Errorf("the script set no %s to write into %s", output, t.name)
	}
	n, err := t.w.Commit()
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", t.name, t.sanitize(err))
	}
	return n, nil
}

// errOtherColumns: partitions returned result sets of different shapes.
var errOtherColumns = errors.New("every partition must return the same columns")

// Limits of the whole job, over all its partitions (each partition's job
// also has the job's limits of its own).
var (
	errJobOutput   = errors.New("the partitions' output data sets together exceeded the job's output limit")
	errJobMessages = errors.New("the partitions' stdout and stderr together exceeded the job's message limit")
)

// mergeSink makes the partitions' result sets one: the first SCHEMA goes
// to the caller, every other must be the same. It holds the job's output
// and message limits over all partitions.
type mergeSink struct {
	Sink
	maxOutput, maxMessages int64
	output, messages       atomic.Int64
	// table, when set, receives the rows instead of the caller.
	table *tableTarget

	mu        sync.Mutex
	schema    []byte
	firstPart int
}

// part is the sink of partition part's job.
func (m *mergeSink) part(part int) Sink { return &partSink{mergeSink: m, part: part} }

type partSink struct {
	*mergeSink
	part int
}

// Started is the parent's: a partition's job says nothing more.
func (p *partSink) Started(Started) error { return nil }

func (p *partSink) Batch(payload []byte, b *bxl.Batch) error {
	m := p.mergeSink
	if n := m.output.Add(int64(len(payload))); m.maxOutput > 0 && n > m.maxOutput {
		return fmt.Errorf("%w of %d bytes", errJobOutput, m.maxOutput)
	}
	if m.table != nil {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.table.write(b)
	}
	return m.Sink.Batch(payload, b)
}

func (p *partSink) Message(st Stream, text []byte) error {
	m := p.mergeSink
	if n := m.messages.Add(int64(len(text))); m.maxMessages > 0 && n > m.maxMessages {
		return fmt.Errorf("%w of %d bytes", errJobMessages, m.maxMessages)
	}
	return m.Sink.Message(st, text)
}

func (p *partSink) Schema(payload []byte, s *bxl.Schema) error {
	m := p.mergeSink
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.schema == nil {
		m.schema, m.firstPart = bytes.Clone(payload), p.part
		if m.table != nil {
			return m.table.begin(s)
		}
		return m.Sink.Schema(payload, s)
	}
	if !bytes.Equal(m.schema, payload) {
		return fmt.Errorf("%w: partition %d returned other columns than partition %d", errOtherColumns, p.part, m.firstPart)
	}
	return nil
}
