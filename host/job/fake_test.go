package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// The fakes of this file stand in for the host's own interfaces, as Nomad's
// DriverHarness does: a sandbox that runs the launcher unconfined, a
// launcher (this test binary, started again) whose Run is a runtime
// speaking BXL on the real data plane, and a data source of fixed rows.

// fakeLauncherEnv makes the test binary serve fakeLauncher; fakeNameEnv
// overrides the name its Info reports.
const (
	fakeLauncherEnv = "LAUNCHPAD_JOB_TEST_LAUNCHER"
	fakeNameEnv     = "LAUNCHPAD_JOB_TEST_NAME"
	fakeWarmEnv     = "LAUNCHPAD_JOB_TEST_WARM"
	fakeName        = "FakeLauncher"
)

func TestMain(m *testing.M) {
	if os.Getenv(fakeLauncherEnv) == "1" {
		launcher.Serve(fakeLauncher{})
		return
	}
	os.Exit(m.Run())
}

type fakeLauncher struct{}

func (fakeLauncher) Info(context.Context) (*launcher.Info, error) {
	name := fakeName
	if n := os.Getenv(fakeNameEnv); n != "" {
		name = n
	}
	return &launcher.Info{Name: name, Version: "1", Languages: []string{"Fake"}, APIVersion: launcher.APIVersion,
		Warm: os.Getenv(fakeWarmEnv) == "1"}, nil
}

// Run is the runtime: it reads the job and the input, then does what the
// script names (see runScript).
func (fakeLauncher) Run(ctx context.Context, req *launcher.RunRequest, stdout, stderr io.Writer) (*launcher.ExitStatus, error) {
	if rt := os.Getenv(realRuntimeEnv); rt != "" {
		return runRealRuntime(ctx, rt, req, stdout, stderr)
	}
	data := req.DataPlane
	w := bxl.NewWriter(data)
	if err := w.WriteHello(); err != nil {
		return nil, err
	}
	in, err := readInput(data, w)
	if err != nil {
		return nil, err
	}
	if in.job.Script == "linger" {
		return linger(ctx, in, w, stdout, stderr)
	}
	return runScript(ctx, in, w, data, stdout)
}

// linger is a runtime that closes its output, ends the data plane, and
// then takes its time to exit (an interpreter unmapping its libraries).
func linger(ctx context.Context, in *fakeInput, w *bxl.Writer, stdout, stderr io.Writer) (*launcher.ExitStatus, error) {
	fmt.Fprintln(stdout, "bye")
	stdout.(io.Closer).Close()
	stderr.(io.Closer).Close()
	if err := w.WriteParams(&bxl.Schema{}, nil); err != nil {
		return nil, err
	}
	if err := w.WriteEnd(in.rows); err != nil {
		return nil, err
	}
	<-ctx.Done() // the host's teardown
	return &launcher.ExitStatus{Code: 0}, nil
}

// fakeInput is what the runtime read; echoed input goes straight back.
type fakeInput struct {
	job    bxl.JobHeader
	params *bxl.Schema
	rows   uint64
	rd     *bxl.Reader // the host's stream, for answers to queries
}

// readInput reads the host's frames; for the "echo" script it writes the
// input data set back as the output, batch by batch, as it arrives.
func readInput(data io.Reader, w *bxl.Writer) (*fakeInput, error) {
	rd := bxl.NewReader(data, 0)
	in := &fakeInput{rd: rd}
	var schema *bxl.Schema
	for {
		t, p, err := rd.Next()
		if err != nil {
			return nil, err
		}
		switch t {
		case bxl.FrameJob:
			if in.job, err = bxl.DecodeJob(p); err != nil {
				return nil, err
			}
		case bxl.FrameParams:
			if in.params, _, err = bxl.DecodeParams(p); err != nil {
				return nil, err
			}
		case bxl.FrameSchema:
			if schema, err = bxl.DecodeSchema(p); err == nil && in.job.Script == "echo" {
				err = w.WriteSchema(schema)
			}
		case bxl.FrameBatch:
			b, err := bxl.DecodeBatch(p, schema)
			if err == nil && in.job.Script == "echo" {
				in.rows += uint64(b.Rows)
				err = w.WriteBatch(b)
			}
			if err != nil {
				return nil, err
			}
		case bxl.FrameEnd:
			return in, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// runScript does what the job's script says.
func runScript(ctx context.Context, in *fakeInput, w *bxl.Writer, data io.Writer, stdout io.Writer) (*launcher.ExitStatus, error) {
	done := func(code int) (*launcher.ExitStatus, error) {
		if err := w.WriteParams(&bxl.Schema{}, nil); err != nil {
			return nil, err
		}
		return &launcher.ExitStatus{Code: code}, w.WriteEnd(in.rows)
	}
	if strings.HasPrefix(in.job.Script, "query") {
		return queryScript(in, w, data)
	}
	switch in.job.Script {
	case "echo":
		fmt.Fprintf(stdout, "hello from %s\n", in.job.JobID)
		return done(0)
	case "exit 7":
		return done(7)
	case "error":
		return &launcher.ExitStatus{Code: 1}, w.WriteError(&bxl.ScriptError{Kind: bxl.ErrorKindScript,
			Type: "ZeroDivisionError", Message: "division by zero", Line: 2})
	case "garbage":
		_, err := data.Write([]byte{0, 0, 0, 0, 250}) // a frame of an unknown type
		return &launcher.ExitStatus{}, err
	case "die":
		os.Exit(3)
	case "sleep":
		<-ctx.Done()
		return nil, ctx.Err()
	case "flood":
		stdout.Write(make([]byte, 64<<10))
		return done(0)
	case "output param":
		return outputParam(in, w)
	}
	return nil, fmt.Errorf("fake runtime: unknown script %q", in.job.Script)
}

// outputParam answers every declared OUTPUT param (bigint) with 42.
func outputParam(in *fakeInput, w *bxl.Writer) (*launcher.ExitStatus, error) {
	out := &bxl.Schema{}
	var vals []any
	for _, f := range in.params.Fields {
		if f.Output {
			out.Fields = append(out.Fields, f)
			vals = append(vals, int64(42))
		}
	}
	b := bxl.NewBuilder(out)
	if err := b.AppendRow(vals...); err != nil {
		return nil, err
	}
	if err := w.WriteParams(out, b.Build()); err != nil {
		return nil, err
	}
	return &launcher.ExitStatus{}, w.WriteEnd(0)
}

// fakeSandbox opens fakeEnvs: the launcher runs as the test's own user,
// unconfined, in a fresh folder.
type fakeSandbox struct {
	t        *testing.T
	openErr  error
	usage    Usage
	env      []string // extra environment of the launcher
	closeErr error

	mu   sync.Mutex
	envs []*fakeEnv
	ids  []string // the sandbox ids, in the order opened
}

func (s *fakeSandbox) Open(_ context.Context, id string, _ Limits) (Env, error) {
	if s.openErr != nil {
		return nil, s.openErr
	}
	// Short: go-plugin's socket path below it must fit a sockaddr_un.
	dir, err := os.MkdirTemp("", "lpj")
	if err != nil {
		return nil, err
	}
	s.t.Cleanup(func() { os.RemoveAll(dir) })
	e := &fakeEnv{dir: dir, usage: s.usage, extraEnv: s.env, closeErr: s.closeErr}
	s.mu.Lock()
	s.envs = append(s.envs, e)
	s.ids = append(s.ids, id)
	s.mu.Unlock()
	return e, nil
}

func (s *fakeSandbox) Warnings() []string { return []string{"fake sandbox: no isolation"} }

// closes counts Close calls over every env the sandbox opened.
func (s *fakeSandbox) closes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.envs {
		e.mu.Lock()
		n += e.closed
		e.mu.Unlock()
	}
	return n
}

type fakeEnv struct {
	dir      string
	usage    Usage
	extraEnv []string
	closeErr error

	// mu guards the fields below: Kill comes from several goroutines.
	mu     sync.Mutex
	cmd    *exec.Cmd
	closed int
}

func (e *fakeEnv) Command(_ *os.File, _, env []string, extra []*os.File) (*exec.Cmd, error) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(env, fakeLauncherEnv+"=1"), e.extraEnv...)
	cmd.ExtraFiles = extra
	e.mu.Lock()
	e.cmd = cmd
	e.mu.Unlock()
	return cmd, nil
}

func (e *fakeEnv) Started(int) error { return nil }

func (e *fakeEnv) Kill() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cmd != nil && e.cmd.Process != nil {
		if err := e.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return err
		}
	}
	return nil
}

func (e *fakeEnv) Dir() string           { return e.dir }
func (e *fakeEnv) SocketDir() string     { return e.dir }
func (e *fakeEnv) Owner() (uid, gid int) { return os.Getuid(), os.Getgid() }
func (e *fakeEnv) Usage() Usage          { return e.usage }

func (e *fakeEnv) Close() error {
	err := e.Kill()
	e.mu.Lock()
	e.closed++
	e.mu.Unlock()
	return errors.Join(err, e.closeErr)
}

// fakeSource serves every query with the same batches.
type fakeSource struct {
	schema  *bxl.Schema
	batches []*bxl.Batch
}

func (s *fakeSource) Query(context.Context, string, []datasource.Param, int) (datasource.Rows, error) {
	return &fakeRows{src: s}, nil
}

func (s *fakeSource) TableColumns(context.Context, string) ([]datasource.TableColumn, error) {
	return nil, errors.New("fake source: no tables")
}

func (s *fakeSource) BeginWrite(context.Context, string, bool, *bxl.Schema) (datasource.TableWriter, error) {
	return nil, errors.New("fake source: no writes")
}

func (s *fakeSource) Close() error { return nil }

type fakeRows struct {
	src  *fakeSource
	next int
}

func (r *fakeRows) Schema() *bxl.Schema { return r.src.schema }

func (r *fakeRows) Next() (*bxl.Batch, error) {
	if r.next == len(r.src.batches) {
		return nil, io.EOF
	}
	r.next++
	return r.src.batches[r.next-1], nil
}

func (r *fakeRows) Close() error { return nil }

// recordSink keeps what a job sent its caller.
type recordSink struct {
	mu       sync.Mutex
	started  Started
	schema   *bxl.Schema
	rows     [][]any
	messages map[Stream]string
}

func (s *recordSink) Started(st Started) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started = st
	return nil
}

func (s *recordSink) Schema(_ []byte, sc *bxl.Schema) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.schema = sc
	return nil
}

func (s *recordSink) Batch(_ []byte, b *bxl.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range b.Rows {
		s.rows = append(s.rows, b.Row(i))
	}
	return nil
}

func (s *recordSink) Message(st Stream, text []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.messages == nil {
		s.messages = map[Stream]string{}
	}
	s.messages[st] += string(text)
	return nil
}
