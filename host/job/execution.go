package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/resultset"
	"github.com/openlaunchpad/launchpad/host/satellite"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// exitGrace is how long a runtime may take to exit after it finished the data
// plane (or after its job was killed) before the host stops waiting.
const exitGrace = 10 * time.Second

// dataPlaneBuffer is the socket buffer size of the data plane: large enough
// that a multi-MiB batch crosses in a few system calls.
const dataPlaneBuffer = 4 << 20

// execution is one running job after its sandbox is open.
type execution struct {
	runner   *Runner
	req      *Request
	lim      Limits
	env      Env
	launcher *Launcher
	sink     Sink
	params   *bxl.Schema
	values   *bxl.Batch
	rows     datasource.Rows
	// stopInput cancels the input query, which may be blocked in Next when
	// the job ends early; inputStopped says the host did it.
	stopInput    context.CancelFunc
	inputStopped atomic.Bool
	// target receives the output when the request names a table; sanitize
	// strips a caller's credentials from its errors.
	target   datasource.Source
	sanitize func(error) error
	log      hclog.Logger
	live     *Live
	// warm is the prepared runtime the job took, nil on a cold start;
	// coldWhy says why it started cold.
	warm    *prepared
	coldWhy string

	launched

	// inputEnded is closed once the input's END is written: answers to a
	// script's queries follow it (query.go). queries and queryBytes are
	// the readOutput goroutine's own.
	inputEnded chan struct{}
	queries    int
	queryBytes int64

	// outputClosed is closed once the launcher said the runtime closed its
	// stdout and stderr (both messageWriters closed: outputCloses is 2).
	outputClosed chan struct{}
	outputCloses atomic.Int32

	// mu guards failure: the first failure any goroutine saw.
	mu      sync.Mutex
	failure *Error

	rowsIn, bytesIn, msgBytes atomic.Int64
	rowsOut, bytesOut         int64
	rowsWritten               uint64

	// Set by readOutput when the output has a declared shape or a table.
	shaper *resultset.Shaper
	writer datasource.TableWriter
	// into converts the output to an existing table's columns (by position).
	into *resultset.Shaper
}

type runOutcome struct {
	exit *launcher.ExitStatus
	err  error
}

// outputEnd is how the runtime's side of the data plane ended.
type outputEnd struct {
	script  *bxl.ScriptError // an ERROR frame
	params  []byte           // PARAMS payload, after END
	pschema *bxl.Schema
	pbatch  *bxl.Batch
}

func (ex *execution) run(ctx context.Context) (*Result, error) {
	id := ex.req.ID
	if jerr := ex.launch(ctx); jerr != nil {
		return nil, jerr
	}
	conn, sat := ex.conn, ex.sat
	defer conn.Close()
	defer ex.runner.background(sat.Stop) // with the sandbox, after the result

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Time limit or cancel: kill the job object, and unblock the data plane.
	stop := context.AfterFunc(ctx, func() {
		ex.env.Kill()
		conn.Close()
	})
	defer stop()

	runDone := ex.runDone
	inDone := make(chan struct{})
	go func() {
		defer close(inDone)
		ex.writeInput()
	}()

	end, readErr := ex.readOutput(ctx)
	ex.endAnswers()
	ex.live.mark(StageRun)
	var run runOutcome
	if readErr != nil || end.script != nil {
		// The job is over. A runtime that merely ended (EOF, or an ERROR it
		// sent) gets a moment for its launcher to report how it exited;
		// garbage on the data plane does not.
		if end.script != nil || isEOF(readErr) {
			run = waitRunFor(runDone, runtimeExitWait)
		}
		ex.env.Kill()
		conn.Close()
	}
	if run == (runOutcome{}) {
		run = waitRun(runDone, ex.outputClosed, ex.env)
	}
	ex.inputStopped.Store(true)
	ex.stopInput()
	<-inDone

	ex.live.exited(run.exit)
	ex.live.mark(StageExit)
	usage := ex.env.Usage()
	ex.live.used(usage)
	verdict := ex.verdict(ctx, end, readErr, run, usage)
	if verdict == nil {
		verdict = ex.finishOutput()
	}
	if verdict != nil {
		if ex.writer != nil {
			ex.runner.closeLogged(id, "rollback of "+ex.req.IntoTable, ex.writer.Rollback)
		}
		return nil, verdict
	}
	return &Result{
		JobID:               id,
		OutputParamsPayload: end.params,
		OutputParams:        end.pschema,
		OutputValues:        end.pbatch,
		Stats: Stats{
			RowsIn: uint64(ex.rowsIn.Load()), RowsOut: uint64(ex.rowsOut),
			BytesIn: uint64(ex.bytesIn.Load()), BytesOut: uint64(ex.bytesOut), RowsWritten: ex.rowsWritten,
			PeakMemoryBytes: usage.PeakMemoryBytes, CPUUser: usage.CPUUser, CPUSystem: usage.CPUSystem,
			Start: ex.startPath(), StartNote: ex.coldWhy,
		},
	}, nil
}

// launch starts the job's launcher and its Run, or takes over the warm
// runtime the job was given.
func (ex *execution) launch(ctx context.Context) *Error {
	ex.outputClosed = make(chan struct{})
	if ex.warm == nil {
		if jerr := ex.startLauncher(ctx); jerr != nil {
			return jerr
		}
		ex.runDone = ex.startRun(ctx, ex.sat)
	} else {
		ex.adopt(ctx)
	}
	ex.live.startedAs(ex.startPath())
	ex.live.mark(StageLaunch)
	return nil
}

// startRun calls the launcher's Run; its outcome arrives on the channel.
// The call carries no deadline of its own, only the host's cancel once the
// job's context ended: with the deadline sent along, a launcher could stop
// its runtime a moment before the host's limit fired, and the job was
// reported as a launcher fault instead of the time limit.
func (ex *execution) startRun(ctx context.Context, sat *satellite.Satellite) <-chan runOutcome {
	runCtx, stopRunCtx := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, stopRunCtx)
	runDone := make(chan runOutcome, 1)
	go func() {
		defer stopRunCtx()
		defer stop()
		exit, err := sat.Launcher.Run(runCtx, runRequest(ex.req, ex.env, ex.launcher),
			messageWriter{ex, Stdout}, messageWriter{ex, Stderr})
		runDone <- runOutcome{exit, err}
	}()
	return runDone
}

// startLauncher makes the data plane and starts the job's launcher with
// the satellite's end of it.
func (ex *execution) startLauncher(ctx context.Context) *Error {
	id := ex.req.ID
	conn, satEnd, err := NewDataPlane()
	if err != nil {
		return &Error{JobID: id, Code: CodeHostFault, Err: fmt.Errorf("data plane: %w", err)}
	}
	uid, gid := ex.env.Owner()
	sat, err := satellite.Start(satellite.Config{
		Name: ex.launcher.Name, Exe: ex.launcher.Exe, DataPlane: satEnd,
		SocketDir: ex.env.SocketDir(), UID: uid, GID: gid,
		Process: ex.env, Logger: ex.log.Named("launcher"), Log: ex.lim.Log,
	})
	satEnd.Close()
	if err != nil {
		conn.Close()
		return ex.runner.contextError(ctx, id, &Error{JobID: id, Code: CodeLauncherFault, Err: err})
	}
	if jerr := ex.checkLauncher(ctx, sat); jerr != nil {
		sat.Stop()
		conn.Close()
		return jerr
	}
	ex.conn, ex.sat = conn, sat
	return nil
}

func (ex *execution) startPath() string {
	if ex.warm != nil {
		return StartWarm
	}
	return StartCold
}

// adopt takes over a warm runtime: its output goes to the job from now on
// (with what it wrote while it waited), and the job's end stops its Run.
func (ex *execution) adopt(ctx context.Context) {
	w := ex.warm
	ex.launched = w.launched
	w.out[0].attach(messageWriter{ex, Stdout})
	w.out[1].attach(messageWriter{ex, Stderr})
	context.AfterFunc(ctx, w.stopRun)
}

// infoTimeout bounds the launcher's answer to Info.
const infoTimeout = 10 * time.Second

// checkLauncher asks the started launcher to describe itself and has
// Launcher.Check compare that with what was verified.
func (ex *execution) checkLauncher(ctx context.Context, sat *satellite.Satellite) *Error {
	if ex.launcher.Check == nil {
		return nil
	}
	id := ex.req.ID
	ictx, cancel := context.WithTimeout(ctx, infoTimeout)
	defer cancel()
	info, err := sat.Launcher.Info(ictx)
	if err != nil {
		return ex.runner.contextError(ctx, id, &Error{JobID: id, Code: CodeLauncherFault, Err: err})
	}
	if err := ex.launcher.Check(info); err != nil {
		return &Error{JobID: id, Code: CodeUntrustedLauncher, Err: err}
	}
	return nil
}

// finishOutput commits the output table, or says what the request wanted
// but the script did not give.
func (ex *execution) finishOutput() *Error {
	id, req := ex.req.ID, ex.req
	if ex.writer == nil && req.IntoTable != "" {
		return failf(id, CodeOutput, "the script set no %s to write into %s", req.OutputName, req.IntoTable)
	}
	if ex.shaper == nil && len(req.ResultSchema) > 0 {
		return failf(id, CodeOutput, "the result schema declares %d columns but the script set no %s",
			len(req.ResultSchema), req.OutputName)
	}
	if ex.writer != nil {
		n, err := ex.writer.Commit()
		ex.writer = nil
		if err != nil {
			return &Error{JobID: id, Code: CodeDataSource, Err: fmt.Errorf("write %s: %w", req.IntoTable, ex.sanitize(err))}
		}
		ex.rowsWritten = uint64(n)
	}
	return nil
}

// runtimeExitWait is how long a runtime that ended its data plane early may
// take to exit before the host kills its job.
const runtimeExitWait = 2 * time.Second

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, unix.ECONNRESET)
}

// waitRunFor waits up to d for the launcher's Run to return.
func waitRunFor(done <-chan runOutcome, d time.Duration) runOutcome {
	select {
	case r := <-done:
		return r
	case <-time.After(d):
		return runOutcome{}
	}
}

// waitRun waits for the launcher's Run to return, or for the runtime to
// close its output (its exit is then teardown: unmapping an interpreter
// takes 10–25 ms), killing the job object if the runtime lingers past the
// grace period.
func waitRun(done <-chan runOutcome, outputClosed <-chan struct{}, env Env) runOutcome {
	select {
	case r := <-done:
		return r
	case <-outputClosed:
		return runOutcome{} // exit unknown: teardown
	case <-time.After(exitGrace):
		env.Kill()
	}
	select {
	case r := <-done:
		return r
	case <-time.After(exitGrace):
		return runOutcome{err: errors.New("launcher did not report the runtime's exit")}
	}
}

// verdict decides how the job ended, most telling reason first.
func (ex *execution) verdict(ctx context.Context, end outputEnd, readErr error, run runOutcome, usage Usage) *Error {
	id := ex.req.ID
	if ctx.Err() != nil {
		return ex.runner.contextError(ctx, id, &Error{JobID: id, Code: CodeCancelled, Err: ctx.Err()})
	}
	ex.mu.Lock()
	failure := ex.failure
	ex.mu.Unlock()
	if failure != nil {
		return failure
	}
	failed := readErr != nil || end.script != nil || run.err != nil || (run.exit != nil && !run.exit.Success())
	if usage.OOMKilled && failed {
		return ex.memoryError(usage)
	}
	if usage.PidsFull && failed {
		err := &Error{JobID: id, Code: CodeLimitExceeded, Limit: LimitProcesses, Script: end.script,
			Err: fmt.Errorf("job reached its limit of %d processes", ex.lim.MaxProcs)}
		return err
	}
	if usage.DiskFull && failed {
		return &Error{JobID: id, Code: CodeLimitExceeded, Limit: LimitDisk, Script: end.script,
			Err: fmt.Errorf("job filled its disk limit of %d bytes (its folder and /tmp)", ex.lim.DiskBytes)}
	}
	if end.script != nil {
		return scriptError(id, end.script)
	}
	if readErr != nil {
		if isEOF(readErr) || errors.Is(readErr, net.ErrClosed) {
			return &Error{JobID: id, Code: CodeLauncherFault, Err: fmt.Errorf("runtime ended before finishing its output (%s)", describeExit(run))}
		}
		return &Error{JobID: id, Code: CodeLauncherFault, Err: readErr}
	}
	if errors.Is(run.err, launcher.ErrPluginExited) {
		return &Error{JobID: id, Code: CodeLauncherFault, Err: fmt.Errorf("the launcher process exited during the job: %w", run.err)}
	}
	if run.err != nil {
		return &Error{JobID: id, Code: CodeLauncherFault, Err: run.err}
	}
	if run.exit != nil && !run.exit.Success() {
		return &Error{JobID: id, Code: CodeLauncherFault, Err: fmt.Errorf("runtime finished its output but %s", describeExit(run))}
	}
	return nil
}

func describeExit(r runOutcome) string {
	switch {
	case errors.Is(r.err, launcher.ErrPluginExited):
		return "the launcher process exited"
	case r.err != nil:
		return r.err.Error()
	case r.exit == nil:
		return "exit unknown"
	case r.exit.Signal != "":
		return "runtime killed by signal: " + r.exit.Signal
	}
	return fmt.Sprintf("runtime exited with code %d", r.exit.Code)
}

func scriptError(id string, se *bxl.ScriptError) *Error {
	code := CodeScript
	switch se.Kind {
	case bxl.ErrorKindOutput:
		code = CodeOutput
	case bxl.ErrorKindInput:
		code = CodeDataSource
	case bxl.ErrorKindProtocol, bxl.ErrorKindInternal:
		code = CodeLauncherFault
	}
	return &Error{JobID: id, Code: code, Script: se, Err: se}
}

// fail records the job's first failure and stops the job.
func (ex *execution) fail(e *Error) {
	ex.mu.Lock()
	if ex.failure == nil {
		ex.failure = e
	}
	ex.mu.Unlock()
	ex.env.Kill()
	ex.conn.Close()
}

// writeInput sends the job header, params and input rows. Write errors are
// left to the reader's side to explain (a runtime that failed early closes
// its end); data source errors fail the job.
func (ex *execution) writeInput() {
	w := bxl.NewWriter(ex.conn)
	req := ex.req
	err := w.WriteHello()
	if err == nil {
		err = w.WriteJob(bxl.JobHeader{JobID: req.ID, Language: req.Language, Script: req.Script,
			InputName: req.InputName, OutputName: req.OutputName, Chunked: req.chunked()})
	}
	if err == nil {
		err = w.WriteParams(ex.params, ex.values)
	}
	schema := &bxl.Schema{}
	if ex.rows != nil {
		schema = ex.rows.Schema()
	}
	if err == nil {
		err = w.WriteSchema(schema)
	}
	for err == nil && ex.rows != nil {
		b, qerr := ex.rows.Next()
		if qerr == io.EOF {
			break
		}
		if errors.Is(qerr, context.Canceled) || (qerr != nil && ex.inputStopped.Load()) {
			return // the job is over (or cancelled): the verdict says why
		}
		if qerr != nil {
			ex.fail(&Error{JobID: req.ID, Code: CodeDataSource, Err: ex.sanitize(qerr)})
			return
		}
		err = w.WriteBatch(b)
		ex.rowsIn.Add(int64(b.Rows))
		ex.bytesIn.Add(int64(b.Bytes()))
	}
	if err == nil {
		err = w.WriteEnd(uint64(ex.rowsIn.Load()))
	}
	if err == nil {
		close(ex.inputEnded)
		if !ex.queriesAllowed() {
			ex.conn.CloseWrite()
		}
		return
	}
	ex.log.Debug("input not fully sent", "error", err)
}

// outputReader is the reader of the runtime's stream, past its HELLO (a
// warm runtime's was read when it became ready).
func (ex *execution) outputReader() (*bxl.Reader, error) {
	if rd := ex.rd; rd != nil {
		rd.SetLimits(ex.decodeLimits())
		return rd, nil
	}
	rd := bxl.NewReaderLimits(ex.conn, ex.decodeLimits())
	t, p, err := rd.Next()
	if err != nil {
		return nil, err
	}
	if t != bxl.FrameHello {
		return nil, fmt.Errorf("%w: runtime sent %s before HELLO", bxl.ErrProtocol, t)
	}
	return rd, bxl.CheckHello(p)
}

// readOutput reads the runtime's side of the data plane until END or ERROR.
func (ex *execution) readOutput(ctx context.Context) (outputEnd, error) {
	var end outputEnd
	rd, err := ex.outputReader()
	if err != nil {
		return end, err
	}
	var schema *bxl.Schema
	dl := rd.Limits()
	for {
		dl.MaxParamsBytes = ex.paramsBudget(dl.MaxFrameBytes)
		rd.SetLimits(dl)
		t, p, err := rd.Next()
		if ex.paramsOverBudget(err, dl) {
			return end, nil
		}
		if err != nil {
			return end, err
		}
		switch t {
		case bxl.FrameSchema:
			if schema != nil || end.params != nil {
				return end, fmt.Errorf("%w: unexpected second SCHEMA", bxl.ErrProtocol)
			}
			if schema, err = dl.DecodeSchema(p); err != nil {
				return end, err
			}
			if e := ex.openOutput(ctx, p, schema); e != nil {
				ex.fail(e)
				return end, nil
			}
		case bxl.FrameBatch:
			if schema == nil || end.params != nil {
				return end, fmt.Errorf("%w: BATCH outside a result set", bxl.ErrProtocol)
			}
			if stop, err := ex.outputBatch(dl, p, schema); stop || err != nil {
				return end, err
			}
		case bxl.FrameParams:
			if end.params != nil {
				return end, fmt.Errorf("%w: unexpected second PARAMS", bxl.ErrProtocol)
			}
			if err := ex.outputParams(dl, p, &end); err != nil {
				return end, err
			}
		case bxl.FrameQuery:
			if err := ex.answerQuery(ctx, dl, p, schema != nil || end.params != nil); err != nil {
				return end, err
			}
		case bxl.FrameEnd:
			n, err := bxl.DecodeEnd(p)
			if err != nil {
				return end, err
			}
			if n != uint64(ex.rowsOut) {
				return end, fmt.Errorf("%w: END says %d rows, batches carried %d", bxl.ErrProtocol, n, ex.rowsOut)
			}
			if end.params == nil {
				return end, fmt.Errorf("%w: END without PARAMS", bxl.ErrProtocol)
			}
			return end, nil
		case bxl.FrameError:
			se, err := dl.DecodeError(p)
			if err != nil {
				return end, err
			}
			end.script = ex.boundError(se)
			return end, nil
		default:
			return end, fmt.Errorf("%w: runtime sent unexpected %s frame", bxl.ErrProtocol, t)
		}
	}
}

// outputBatch decodes one output batch, counts it against the output limit
// and delivers it; stop says the job failed (ex.fail said why).
func (ex *execution) outputBatch(dl bxl.Limits, p []byte, schema *bxl.Schema) (stop bool, err error) {
	b, err := dl.DecodeBatch(p, schema)
	if err != nil {
		return true, err
	}
	if len(schema.Fields) == 0 && b.Rows > 0 {
		// Rows of nothing cost the frame 8 bytes and the caller a line each.
		ex.fail(&Error{JobID: ex.req.ID, Code: CodeOutput,
			Err: fmt.Errorf("the output data set has %d rows but no columns", b.Rows)})
		return true, nil
	}
	ex.bytesOut += int64(len(p))
	if ex.lim.MaxOutputBytes > 0 && ex.bytesOut > ex.lim.MaxOutputBytes {
		ex.fail(&Error{JobID: ex.req.ID, Code: CodeLimitExceeded, Limit: LimitOutput,
			Err: fmt.Errorf("output data set exceeded its limit of %d bytes", ex.lim.MaxOutputBytes)})
		return true, nil
	}
	ex.rowsOut += int64(b.Rows)
	if e := ex.deliver(p, b); e != nil {
		ex.fail(e)
		return true, nil
	}
	return false, nil
}

// outputParams decodes the OUTPUT params, which count as output.
func (ex *execution) outputParams(dl bxl.Limits, p []byte, end *outputEnd) error {
	s, b, err := dl.DecodeParams(p)
	if err != nil {
		return err
	}
	ex.bytesOut += int64(len(p))
	if err := ex.checkOutputParams(s); err != nil {
		return err
	}
	end.params, end.pschema, end.pbatch = p, s, b
	return nil
}

// paramsOverBudget fails the job with an output limit error when the
// reader refused a PARAMS frame for what is left of the output budget.
func (ex *execution) paramsOverBudget(err error, dl bxl.Limits) bool {
	var big *bxl.FrameSizeError
	if !errors.As(err, &big) || big.Type != bxl.FrameParams || big.Limit >= dl.MaxFrameBytes {
		return false
	}
	ex.fail(&Error{JobID: ex.req.ID, Code: CodeLimitExceeded, Limit: LimitOutput,
		Err: fmt.Errorf("OUTPUT params of %d bytes exceed what is left of the output limit of %d bytes (%d bytes)",
			big.Length, ex.lim.MaxOutputBytes, big.Limit)})
	return true
}

// decodeLimits are the job's limits on what it reads from its runtime: an
// ERROR value never longer than the job's message budget.
func (ex *execution) decodeLimits() bxl.Limits {
	l := ex.lim.Decode
	if l.MaxErrorValueBytes <= 0 {
		l.MaxErrorValueBytes = bxl.DefaultMaxErrorValueBytes
	}
	if m := ex.lim.MaxMessageBytes; m > 0 && m < int64(l.MaxErrorValueBytes) {
		l.MaxErrorValueBytes = int(max(m, minErrorBytes))
	}
	return l
}

// paramsBudget is the most bytes the OUTPUT params may take: what is left
// of the output budget, within the frame limit. A larger PARAMS frame is
// refused on its header, before it is read.
func (ex *execution) paramsBudget(frame int) int {
	if ex.lim.MaxOutputBytes <= 0 {
		return frame
	}
	left := ex.lim.MaxOutputBytes - ex.bytesOut
	return int(max(min(left, int64(frame)), 1))
}

// minErrorBytes is how much of a runtime's error report is kept even when
// stdout and stderr used up the message budget: enough to say what failed.
const minErrorBytes = 4 << 10

// boundError cuts an error report to what the job's message budget left
// (half for the message, half for the traceback, which repeats it) and
// counts it against that budget: error text is a message like the others.
func (ex *execution) boundError(se *bxl.ScriptError) *bxl.ScriptError {
	budget := int64(bxl.DefaultMaxErrorValueBytes) * 2
	if m := ex.lim.MaxMessageBytes; m > 0 {
		budget = max(m-ex.msgBytes.Load(), minErrorBytes)
	}
	half := int(budget / 2)
	se.Message = bxl.Truncated(se.Message, half)
	se.Traceback = bxl.Truncated(se.Traceback, half)
	se.Type = bxl.Truncated(se.Type, minErrorBytes/4)
	se.Column = bxl.Truncated(se.Column, minErrorBytes/4)
	ex.msgBytes.Add(int64(len(se.Message) + len(se.Traceback)))
	return se
}

// openOutput prepares where the output data set goes: its declared shape,
// then the table or the caller.
func (ex *execution) openOutput(ctx context.Context, payload []byte, schema *bxl.Schema) *Error {
	id, req := ex.req.ID, ex.req
	if req.NoResultSet {
		return &Error{JobID: id, Code: CodeOutput,
			Err: fmt.Errorf("%w: the script returned a result set (%d columns), but WITH RESULT SETS NONE declares none",
				resultset.ErrMismatch, len(schema.Fields))}
	}
	if len(req.ResultSchema) > 0 {
		sh, err := resultset.New(req.ResultSchema, schema)
		if err != nil {
			return &Error{JobID: id, Code: CodeOutput, Err: err}
		}
		ex.shaper, schema, payload = sh, sh.Schema(), bxl.AppendSchema(nil, sh.Schema())
	}
	if req.IntoTable != "" {
		return ex.openTable(ctx, schema)
	}
	if err := ex.sink.Schema(payload, schema); err != nil {
		return &Error{JobID: id, Code: CodeCancelled, Err: err}
	}
	return nil
}

// deliver sends one output batch on: shaped, into the table or to the caller.
func (ex *execution) deliver(payload []byte, b *bxl.Batch) *Error {
	if ex.shaper == nil {
		return ex.send(payload, b)
	}
	if !ex.shaper.Identity() {
		payload = nil // the shaped batches are new
	}
	var sendErr *Error
	err := ex.shaper.Convert(b, func(shaped *bxl.Batch) error {
		if sendErr = ex.send(payload, shaped); sendErr != nil {
			return sendErr
		}
		return nil
	})
	if sendErr != nil {
		return sendErr
	}
	if err != nil {
		return &Error{JobID: ex.req.ID, Code: CodeOutput, Err: err}
	}
	return nil
}

// send writes one batch into the table or streams it to the caller;
// payload is b's encoded form when the runtime's frame can be forwarded.
func (ex *execution) send(payload []byte, b *bxl.Batch) *Error {
	if ex.writer != nil {
		return ex.write(b)
	}
	if payload == nil {
		payload = bxl.AppendBatch(nil, b)
	}
	if err := ex.sink.Batch(payload, b); err != nil {
		return &Error{JobID: ex.req.ID, Code: CodeCancelled, Err: err}
	}
	return nil
}

// checkOutputParams makes sure the runtime answered only declared OUTPUT
// params, with their declared types.
func (ex *execution) checkOutputParams(s *bxl.Schema) error {
	seen := map[string]bool{}
	for _, f := range s.Fields {
		if seen[f.Name] {
			return fmt.Errorf("%w: runtime returned param %q twice", bxl.ErrProtocol, f.Name)
		}
		seen[f.Name] = true
		ok := false
		for _, d := range ex.params.Fields {
			// A decimal must come back with its declared precision and
			// scale: decimal(38,0) for a decimal(5,2) param would be read
			// as another number.
			if d.Name == f.Name && d.Output && d.Type == f.Type && d.Precision == f.Precision && d.Scale == f.Scale {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("%w: runtime returned param %q (%s), which is not a declared OUTPUT param of that type",
				bxl.ErrProtocol, f.Name, sqltype.Name(f))
		}
	}
	return nil
}

// messageWriter forwards a runtime's stdout or stderr to the sink, within the
// job's message budget. It never returns an error: the launcher must keep
// draining the runtime's pipes while the host stops the job.
type messageWriter struct {
	ex     *execution
	stream Stream
}

// Close is the launcher saying the runtime's stream ended; once both did,
// the job has all of its output.
func (w messageWriter) Close() error {
	if w.ex.outputCloses.Add(1) == 2 {
		close(w.ex.outputClosed)
	}
	return nil
}

func (w messageWriter) Write(p []byte) (int, error) {
	ex := w.ex
	total := ex.msgBytes.Add(int64(len(p)))
	limit := ex.lim.MaxMessageBytes
	if limit > 0 && total > limit {
		// Deliver what still fits, say how much did not, and stop the job.
		if fit := limit - (total - int64(len(p))); fit > 0 {
			ex.sink.Message(w.stream, p[:fit])
			ex.sink.Message(HostNote, []byte(fmt.Sprintf(bxl.TruncatedMarker, int64(len(p))-fit)))
		}
		ex.fail(&Error{JobID: ex.req.ID, Code: CodeLimitExceeded, Limit: LimitMessages,
			Err: fmt.Errorf("stdout and stderr exceeded their limit of %d bytes", limit)})
		return len(p), nil
	}
	if err := ex.sink.Message(w.stream, p); err != nil {
		ex.fail(&Error{JobID: ex.req.ID, Code: CodeCancelled, Err: err})
	}
	return len(p), nil
}

// NewDataPlane makes a job's data plane (bxl.Socketpair) with large
// buffers, the host's end as a connection, the satellite's as a file to hand
// down. Benchmarks use it to measure the same path.
func NewDataPlane() (*net.UnixConn, *os.File, error) {
	conn, child, err := bxl.Socketpair()
	if err != nil {
		return nil, nil, err
	}
	for _, end := range []syscall.Conn{conn, child} {
		// Best effort: a smaller buffer is slower, not wrong.
		if rc, err := end.SyscallConn(); err == nil {
			rc.Control(func(fd uintptr) {
				unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, dataPlaneBuffer)
				unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, dataPlaneBuffer)
			})
		}
	}
	return conn, child, nil
}
