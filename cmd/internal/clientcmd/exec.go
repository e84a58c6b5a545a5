package clientcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/openlaunchpad/launchpad/client"
	"github.com/openlaunchpad/launchpad/host/api/proto"
)

// Exit codes of exec.
const (
	exitOK      = 0
	exitJob     = 1 // the job failed
	exitUsage   = 2
	exitConnect = 3 // the host could not be reached
)

type paramFlags map[string]string

func (p paramFlags) String() string { return "" }

func (p paramFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	name = strings.TrimPrefix(strings.TrimSpace(name), "@")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	p[name] = value
	return nil
}

// Exec is `launchpad exec`: it runs a script on a host and returns the
// process's exit code.
func Exec(args []string) int {
	return execMain(args, os.Stdout, os.Stderr)
}

// execMain is exec writing to stdout and stderr (files, so it can tell a
// terminal from a pipe).
func execMain(args []string, stdout, stderr *os.File) int {
	fs := execFlagSet(stderr)
	address := fs.String("address", defaultAddress(), addressUsage)
	tlsFiles := tlsFlags(fs)
	language := fs.String("language", "", "script language, e.g. Python or R (case-insensitive)")
	script := fs.String("script", "", "script text")
	scriptFile := fs.String("script-file", "", "file holding the script")
	inputQuery := fs.String("input-query", "", "query on the instance database whose rows become the input data set")
	inputName := fs.String("input-name", "InputDataSet", "variable name of the input data set")
	outputName := fs.String("output-name", "OutputDataSet", "variable name of the output data set")
	params := fs.String("params", "", "param declarations: '@n int, @msg nvarchar(100) OUTPUT'")
	format := fs.String("format", "table", "result format: table, csv or json")
	jobID := fs.String("job-id", "", "job id to use (default: the host makes one)")
	dataSource := fs.String("data-source", "", "SQL Server connection string to use instead of the host's instance (remote compute context)")
	intoTable := fs.String("into-table", "", "write the output data set into this table, \"T\" or \"T (a, b)\": by position into its (or the listed) columns, as INSERT INTO T EXEC; one transaction: all rows or none")
	createTable := fs.Bool("create-table", false, "create --into-table from the output's schema first")
	resultSchema := fs.String("result-schema", "", "declared result schema, like WITH RESULT SETS: 'id int, score float'")
	tsqlFile := fs.String("tsql", "", "T-SQL batch file (- for stdin) whose sp_execute_external_script call gives the job")
	escape := fs.String("escape", "auto", "show control characters of script output and errors as \\xNN: auto (when writing to a terminal), always or never")
	chunks := addChunkFlags(fs)
	values := paramFlags{}
	fs.Var(values, "param", "param value NAME=VALUE (repeatable); an undeclared-value param is NULL")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return 0 // fs printed the usage the caller asked for
	} else if err != nil {
		return exitUsage
	}
	mode, err := parseEscapeMode(*escape)
	if err != nil {
		fmt.Fprintf(stderr, "launchpad exec: %v\n", err)
		return exitUsage
	}
	errw, outw, cell := execWriters(mode, stdout, stderr)
	defer flushEscaped(errw, outw)
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(errw, "launchpad exec: "+format+"\n", a...)
		return code
	}
	if fs.NArg() > 0 {
		return fail(exitUsage, "unexpected argument %q", fs.Arg(0))
	}
	shape, err := applyTSQL(fs, *tsqlFile)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	if *script, err = jobScript(*language, *script, *scriptFile); err != nil {
		return fail(exitUsage, "%v", err)
	}
	out, err := client.NewResultWriter(*format, outw, errw, cell)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	out = shape.wrap(out)

	c, err := client.Dial(*address, client.WithTLS(*tlsFiles))
	if err != nil {
		return fail(exitConnect, "%v", err)
	}
	defer c.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	job, err := c.Exec(ctx, &client.Request{
		Language: *language, Script: *script, InputQuery: *inputQuery,
		InputName: *inputName, OutputName: *outputName,
		Params: *params, ParamValues: values, JobId: *jobID,
		DataSource: *dataSource, IntoTable: *intoTable, CreateTable: *createTable, ResultSchema: *resultSchema,
		RowsPerRead: *chunks.rowsPerRead, PartitionBy: columnList(*chunks.partitionBy), OrderBy: columnList(*chunks.orderBy), Parallel: *chunks.parallel,
		ParamQueries: shape.paramQueries(), Start: *chunks.start,
	})
	if err != nil {
		return fail(exitConnect, "host at %s: %v", *address, hostError(*address, err))
	}

	started, stop := cancelOnSignal(c, cancel)
	defer stop()
	return streamJob(job, out, errw, started, func(err error) int {
		return fail(exitConnect, "host at %s: %v", *address, hostError(*address, err))
	}, fail)
}

// execFlagSet is exec's flag set: -h prints the usage and every flag.
func execFlagSet(stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("exec", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: launchpad exec --language L (--script S | --script-file F) [flags] | launchpad exec --tsql FILE [flags]")
		fs.PrintDefaults()
	}
	fs.SetOutput(stderr)
	return fs
}

// chunkFlags are exec's streaming, partition and start flags.
type chunkFlags struct {
	rowsPerRead          *int64
	partitionBy, orderBy *string
	parallel             *bool
	start                *string
}

func addChunkFlags(fs *flag.FlagSet) chunkFlags {
	return chunkFlags{
		rowsPerRead: fs.Int64("rows-per-read", 0, "run the script once per chunk of N input rows, in one session (@r_rowsPerRead)"),
		partitionBy: fs.String("partition-by", "", "run the script once per group of input rows with equal values in these columns: 'a,b' (@input_data_1_partition_by_columns)"),
		orderBy:     fs.String("order-by", "", "order each partition's rows by these columns: 'c DESC,d' (@input_data_1_order_by_columns)"),
		parallel:    fs.Bool("parallel", false, "run the partitions in separate sandboxes at the same time (@parallel = 1)"),
		start:       fs.String("start", "", "start path: cold (a fresh sandbox) or warm (wait for a prepared runtime); default: warm when one is ready"),
	}
}

// columnList splits "a, b" into its names; "" is none.
func columnList(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// jobScript checks the language is given and returns the script, from
// --script or --script-file (exactly one).
func jobScript(language, script, file string) (string, error) {
	if language == "" {
		return "", errors.New("--language is required")
	}
	if (script == "") == (file == "") {
		return "", errors.New("give exactly one of --script and --script-file")
	}
	if file == "" {
		return script, nil
	}
	b, err := os.ReadFile(file)
	return string(b), err
}

// cancelOnSignal makes Ctrl-C (or SIGTERM) cancel the job on the host once
// its id arrives on started (before that, the request itself); exec then
// reports the job's final status. stop ends the watch.
func cancelOnSignal(c *client.Client, cancel context.CancelFunc) (started chan string, stop func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	started = make(chan string, 1)
	go func() {
		if _, ok := <-sigs; !ok {
			return
		}
		select {
		case id := <-started:
			cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer ccancel()
			_, _ = c.Cancel(cctx, id) // the job's stream reports how it ended
		default:
			cancel()
		}
	}()
	return started, func() { signal.Stop(sigs); close(sigs) }
}

// streamJob prints a job's events as they arrive and returns exec's exit
// code once its status came. lost reports a lost stream (the host went
// away); a stream that breaks the protocol fails the job.
func streamJob(job *client.Job, out client.ResultWriter, errw io.Writer, started chan<- string,
	lost func(error) int, fail func(code int, format string, a ...any) int) int {
	for {
		ev, err := job.Recv()
		if errors.Is(err, client.ErrBadStream) {
			return fail(exitJob, "%v", err)
		}
		if err != nil {
			return lost(err)
		}
		switch {
		case ev.Started != nil:
			started <- ev.Started.GetJobId()
			for _, w := range ev.Started.GetWarnings() {
				fmt.Fprintf(errw, "launchpad: warning: job %s: %s\n", ev.Started.GetJobId(), w)
			}
		case ev.Message != nil:
			if ev.Message.GetStream() == proto.Message_STREAM_HOST {
				fmt.Fprintf(errw, "launchpad: %s\n", ev.Message.GetText())
			} else {
				errw.Write(ev.Message.GetText())
			}
		case ev.Schema != nil:
			err = out.Schema(ev.Schema)
		case ev.Batch != nil:
			err = out.Batch(ev.Batch)
		case ev.Status != nil:
			return finish(out, ev.Status, errw)
		}
		if err != nil {
			return fail(exitJob, "%v", err)
		}
	}
}

// execWriters picks where exec writes: stderr and stdout escaped when mode
// says so for that stream (a terminal, by default), and how a table cell is
// rendered (escaped before its width is measured).
func execWriters(mode escapeMode, stdout, stderr *os.File) (errw, outw io.Writer, cell func(string) string) {
	errw, outw, cell = stderr, stdout, func(s string) string { return s }
	if mode.escapes(stderr) {
		errw = &escapeWriter{w: stderr}
	}
	if mode.escapes(stdout) {
		outw, cell = &escapeWriter{w: stdout}, escapeText
	}
	return errw, outw, cell
}

// flushEscaped writes out what an escaping writer still holds.
func flushEscaped(ws ...io.Writer) {
	for _, w := range ws {
		if e, ok := w.(*escapeWriter); ok {
			_ = e.Flush() // the stream is ending; nothing left to report to
		}
	}
}

// finish prints the output params and the outcome.
func finish(out client.ResultWriter, st *client.Status, stderr io.Writer) int {
	if err := out.Close(st.ParamSchema, st.Params, st.Status); err != nil {
		fmt.Fprintf(stderr, "launchpad exec: %v\n", err)
		return exitJob
	}
	e := st.GetError()
	if e == nil {
		if t := st.GetStats(); t.GetRowsWritten() > 0 {
			fmt.Fprintf(stderr, "launchpad: %d rows written\n", t.GetRowsWritten())
		}
		return exitOK
	}
	fmt.Fprintf(stderr, "launchpad exec: job %s failed: %s\n", st.GetJobId(), strings.TrimPrefix(e.GetMessage(), "job "+st.GetJobId()+": "))
	if tb := strings.TrimRight(e.GetTraceback(), "\n"); tb != "" {
		fmt.Fprintln(stderr, tb)
	}
	return exitJob
}
