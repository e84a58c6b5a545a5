package host

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openlaunchpad/launchpad/host/config"
)

// fakeStream is a server stream with a context.
type fakeStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (f fakeStream) Context() context.Context { return f.ctx }

// Once closed, the gate refuses new jobs with Unavailable "host is
// shutting down", lets the running one go on, reports when it ends, and
// cancelJobs cancels the running job's context.
func TestGate_DrainsThenCancels(t *testing.T) {
	var g gate
	g.jobs, g.cancelJobs = context.WithCancel(context.Background())
	started, release := make(chan struct{}), make(chan struct{})
	ended := make(chan error, 1)
	go func() {
		ended <- g.stream(nil, fakeStream{ctx: context.Background()}, nil, func(_ any, ss grpc.ServerStream) error {
			close(started)
			select {
			case <-release:
				return nil
			case <-ss.Context().Done():
				return ss.Context().Err()
			}
		})
	}()
	<-started
	finished, running := g.close()
	if running != 1 {
		t.Fatalf("running = %d, want 1", running)
	}
	err := g.stream(nil, fakeStream{ctx: context.Background()}, nil, func(any, grpc.ServerStream) error {
		t.Error("a job was admitted after close")
		return nil
	})
	if st, _ := status.FromError(err); st.Code() != codes.Unavailable || st.Message() != "host is shutting down" {
		t.Fatalf("after close: %v", err)
	}
	select {
	case <-finished:
		t.Fatal("finished while a job runs")
	case <-time.After(50 * time.Millisecond):
	}
	g.cancelJobs()
	if err := <-ended; err != context.Canceled {
		t.Fatalf("running job ended with %v, want its context cancelled", err)
	}
	select {
	case <-finished:
	case <-time.After(5 * time.Second):
		t.Fatal("finished never closed")
	}
}

// A reload names every changed setting it cannot apply, and none of those
// it applies.
func TestNotReloaded_NamesWhatNeedsARestart(t *testing.T) {
	load := func(body string) *config.Config {
		t.Helper()
		p := filepath.Join(t.TempDir(), "h.hcl")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a := load("limits {\n  timeout = \"60s\"\n}\n")
	b := load("log_level = \"debug\"\nshutdown_grace = \"5s\"\nlimits {\n  timeout = \"5s\"\n  disk = \"64MiB\"\n" +
		"  cpu_shares = 512\n  max_file_size = \"1GiB\"\n  launcher_log_rate = 5\n}\n" +
		"sandbox {\n  workers = 3\n}\nsocket = \"/run/lp.sock\"\n")
	got := strings.Join(notReloaded(a, b), ",")
	if got != "socket,sandbox,limits.disk,limits.max_file_size" {
		t.Errorf("not reloaded: %s", got)
	}
	if got := notReloaded(a, a); len(got) != 0 {
		t.Errorf("unchanged: %v", got)
	}
}
