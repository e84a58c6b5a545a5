package launcher

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"golang.org/x/sys/unix"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openlaunchpad/launchpad/sdk/launcher/proto"
)

// fakeLauncher answers Info with info and runs run.
type fakeLauncher struct {
	info    *Info
	infoErr error
	run     func(ctx context.Context, req *RunRequest, stdout, stderr io.Writer) (*ExitStatus, error)
}

func (f *fakeLauncher) Info(context.Context) (*Info, error) { return f.info, f.infoErr }

func (f *fakeLauncher) Run(ctx context.Context, req *RunRequest, stdout, stderr io.Writer) (*ExitStatus, error) {
	return f.run(ctx, req, stdout, stderr)
}

// testPlugin is LauncherPlugin with the data plane at another descriptor:
// the test process's own descriptor 3 is not ours to hand out.
type testPlugin struct {
	LauncherPlugin
	dataFD int
}

func (p *testPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	proto.RegisterLauncherServer(s, &server{impl: p.Impl, inheritedFD: p.dataFD})
	return nil
}

// pair serves impl through go-plugin's in-process gRPC connection and
// returns the host's client and the host's end of the data plane.
func pair(t *testing.T, impl Launcher) (*Client, *os.File) {
	t.Helper()
	fd, host := socketFD(t)
	return dial(t, &testPlugin{LauncherPlugin: LauncherPlugin{Impl: impl}, dataFD: fd}), host
}

func dial(t *testing.T, p plugin.Plugin) *Client {
	t.Helper()
	// Close also stops the server (go-plugin's Shutdown call); stopping it
	// here as well would race with that inside go-plugin.
	c, _ := plugin.TestPluginGRPCConn(t, false, plugin.PluginSet{PluginName: p})
	t.Cleanup(func() { c.Close() })
	raw, err := c.Dispense(PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(*Client)
}

func TestClient_InfoRoundTrip(t *testing.T) {
	t.Parallel()
	want := &Info{Name: "L", Version: "1.2", Languages: []string{"Python", "Py"}, APIVersion: APIVersion}
	c, _ := pair(t, &fakeLauncher{info: want})
	got, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != want.Name || got.Version != want.Version || got.APIVersion != want.APIVersion ||
		strings.Join(got.Languages, ",") != "Python,Py" {
		t.Fatalf("Info = %+v, want %+v", got, want)
	}
}

// The launcher's own error comes back with its gRPC code still readable.
func TestClient_InfoErrorKeepsCode(t *testing.T) {
	t.Parallel()
	c, _ := pair(t, &fakeLauncher{infoErr: errors.New("no info today")})
	_, err := c.Info(context.Background())
	if status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "launcher info: Internal: no info today") {
		t.Fatalf("Info error = %v (code %v), want Internal with the launcher's text", err, status.Code(err))
	}
	if errors.Is(err, ErrPluginExited) {
		t.Fatalf("a launcher that answered is not an exited one: %v", err)
	}
}

// Run carries the request in, stdout and stderr out in bounded events, the
// exit status back, and hands the launcher the data plane socket.
func TestClient_RunCarriesRequestOutputAndExit(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), 3*MaxEventChunk+5)
	var seen *RunRequest
	impl := &fakeLauncher{run: func(_ context.Context, req *RunRequest, stdout, stderr io.Writer) (*ExitStatus, error) {
		seen = req
		if _, err := req.DataPlane.Write([]byte("bxl")); err != nil {
			return nil, err
		}
		stdout.Write(big)
		stderr.Write([]byte("warn"))
		return &ExitStatus{Code: -1, Signal: "killed"}, nil
	}}
	c, host := pair(t, impl)
	var out, errOut chunkRecorder
	exit, err := c.Run(context.Background(), &RunRequest{JobID: "j-1", Language: "Python", WorkingDir: "/w",
		Settings: map[string]string{"runtime": "/usr/bin/python3"}}, &out, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	if exit.Code != -1 || exit.Signal != "killed" || exit.Success() {
		t.Fatalf("exit = %+v", exit)
	}
	if seen.JobID != "j-1" || seen.Language != "Python" || seen.WorkingDir != "/w" || seen.Setting("runtime", "") != "/usr/bin/python3" {
		t.Fatalf("launcher saw %+v", seen)
	}
	if !bytes.Equal(out.all(), big) || string(errOut.all()) != "warn" {
		t.Fatalf("stdout %d bytes, stderr %q", len(out.all()), errOut.all())
	}
	if out.max > MaxEventChunk {
		t.Fatalf("an event carried %d bytes, limit %d", out.max, MaxEventChunk)
	}
	buf := make([]byte, 3)
	if _, err := io.ReadFull(host, buf); err != nil || string(buf) != "bxl" {
		t.Fatalf("data plane: %q %v", buf, err)
	}
}

// A launcher that closes both writers has the host's writers closed, after
// all of the output and before Run returns: the host may answer the job
// then. Closing only one says nothing.
func TestClient_OutputClosedReachesTheHostBeforeTheExit(t *testing.T) {
	t.Parallel()
	for name, closeBoth := range map[string]bool{"Both": true, "StdoutOnly": false} {
		t.Run(name, func(t *testing.T) {
			closed := make(chan struct{})
			impl := &fakeLauncher{run: func(_ context.Context, _ *RunRequest, stdout, stderr io.Writer) (*ExitStatus, error) {
				stdout.Write([]byte("out"))
				stdout.(io.Closer).Close()
				if closeBoth {
					stderr.(io.Closer).Close()
					<-closed // the host heard it while Run still runs
				}
				return &ExitStatus{}, nil
			}}
			c, _ := pair(t, impl)
			out := &closeRecorder{onClose: func() { close(closed) }}
			errOut := &closeRecorder{}
			if _, err := c.Run(context.Background(), &RunRequest{JobID: "j-1"}, out, errOut); err != nil {
				t.Fatal(err)
			}
			if out.closed != closeBoth || errOut.closed != closeBoth || out.String() != "out" {
				t.Errorf("stdout %q closed %v, stderr closed %v; want closed %v", out.String(), out.closed, errOut.closed, closeBoth)
			}
		})
	}
}

// closeRecorder is a buffer that records its Close.
type closeRecorder struct {
	bytes.Buffer
	closed  bool
	onClose func()
}

func (c *closeRecorder) Close() error {
	c.closed = true
	if c.onClose != nil {
		c.onClose()
	}
	return nil
}

// A satellite serves one job: a second Run is refused before the launcher
// sees it, and the refusal keeps its gRPC code.
func TestClient_SecondRunRefused(t *testing.T) {
	t.Parallel()
	impl := &fakeLauncher{run: func(context.Context, *RunRequest, io.Writer, io.Writer) (*ExitStatus, error) {
		return &ExitStatus{}, nil
	}}
	c, _ := pair(t, impl)
	if _, err := c.Run(context.Background(), &RunRequest{JobID: "j-1"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	_, err := c.Run(context.Background(), &RunRequest{JobID: "j-2"}, io.Discard, io.Discard)
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "already handed") {
		t.Fatalf("second Run = %v (code %v), want FailedPrecondition", err, status.Code(err))
	}
}

// A descriptor that is not a socket is never used as the data plane.
func TestServer_DataPlaneMustBeASocket(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ran := false
	impl := &fakeLauncher{run: func(context.Context, *RunRequest, io.Writer, io.Writer) (*ExitStatus, error) {
		ran = true
		return &ExitStatus{}, nil
	}}
	c := dial(t, &testPlugin{LauncherPlugin: LauncherPlugin{Impl: impl}, dataFD: int(w.Fd())})
	_, err = c.Run(context.Background(), &RunRequest{JobID: "j-1"}, io.Discard, io.Discard)
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "not a socket") || ran {
		t.Fatalf("Run with a pipe = %v (ran %v), want FailedPrecondition before the launcher runs", err, ran)
	}
}

// The launcher's Run error is Internal; a launcher process that goes away
// mid-run is ErrPluginExited, which callers tell apart with errors.Is.
func TestClient_RunErrorsAreClassified(t *testing.T) {
	t.Parallel()
	t.Run("launcher error", func(t *testing.T) {
		t.Parallel()
		impl := &fakeLauncher{run: func(context.Context, *RunRequest, io.Writer, io.Writer) (*ExitStatus, error) {
			return nil, errors.New("no runtime")
		}}
		c, _ := pair(t, impl)
		_, err := c.Run(context.Background(), &RunRequest{JobID: "j-1"}, io.Discard, io.Discard)
		if status.Code(err) != codes.Internal || errors.Is(err, ErrPluginExited) || !strings.Contains(err.Error(), "no runtime") {
			t.Fatalf("Run = %v (code %v), want Internal, not ErrPluginExited", err, status.Code(err))
		}
	})
	t.Run("plugin exits", func(t *testing.T) {
		t.Parallel()
		started := make(chan struct{})
		impl := &fakeLauncher{run: func(ctx context.Context, _ *RunRequest, _, _ io.Writer) (*ExitStatus, error) {
			close(started)
			<-ctx.Done()
			return nil, ctx.Err()
		}}
		fd, _ := socketFD(t)
		c, s := plugin.TestPluginGRPCConn(t, false, plugin.PluginSet{PluginName: &testPlugin{
			LauncherPlugin: LauncherPlugin{Impl: impl}, dataFD: fd}})
		defer c.Close()
		raw, err := c.Dispense(PluginName)
		if err != nil {
			t.Fatal(err)
		}
		go func() { <-started; s.Stop() }() // the launcher process goes away
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err = raw.(*Client).Run(ctx, &RunRequest{JobID: "j-1"}, io.Discard, io.Discard)
		if !errors.Is(err, ErrPluginExited) || status.Code(err) != codes.Unavailable {
			t.Fatalf("Run = %v (code %v), want ErrPluginExited", err, status.Code(err))
		}
	})
}

// socketFD makes a socketpair: the launcher's end as a bare descriptor,
// which the server closes after Run (a test without Run leaves it to the
// process's exit: closing it here could hit a reused number), and the
// host's end, closed when the test ends.
func socketFD(t *testing.T) (int, *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	host := os.NewFile(uintptr(fds[0]), "host-end")
	t.Cleanup(func() { host.Close() })
	return fds[1], host
}

// chunkRecorder keeps what was written and the largest single write.
type chunkRecorder struct {
	b   bytes.Buffer
	max int
}

func (c *chunkRecorder) Write(p []byte) (int, error) {
	c.max = max(c.max, len(p))
	return c.b.Write(p)
}

func (c *chunkRecorder) all() []byte { return c.b.Bytes() }
