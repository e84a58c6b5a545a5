package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// blockingSandbox holds every job at its sandbox until the job's context
// ends, so a test can see a job running and cancel it.
type blockingSandbox struct{ opened chan string }

func (s *blockingSandbox) Open(ctx context.Context, id string, _ job.Limits) (job.Env, error) {
	s.opened <- id
	<-ctx.Done()
	return nil, ctx.Err()
}

func (s *blockingSandbox) Warnings() []string { return nil }

// serve runs the API over an in-memory connection on a runner whose only
// language is "Fake" and whose jobs wait in blockingSandbox.
func serve(t *testing.T) (proto.LaunchpadClient, *blockingSandbox) {
	t.Helper()
	sb := &blockingSandbox{opened: make(chan string, 4)}
	runner := job.NewRunner(job.Config{
		Sandbox: sb,
		Resolve: func(language string) (*job.Launcher, error) {
			if language != "Fake" {
				return nil, fmt.Errorf("%w %q", job.ErrUnknownLanguage, language)
			}
			exe, err := os.Open(os.DevNull)
			return &job.Launcher{Name: "FakeLauncher", Exe: exe}, err
		},
	})
	ln := bufconn.Listen(1 << 20)
	g := grpc.NewServer()
	NewServer(runner, hclog.NewNullLogger()).Register(g)
	go g.Serve(ln)
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); g.Stop() })
	return proto.NewLaunchpadClient(conn), sb
}

// finalStatus reads an Execute stream to its status.
func finalStatus(t *testing.T, stream proto.Launchpad_ExecuteClient) *proto.Status {
	t.Helper()
	for {
		r, err := stream.Recv()
		if err == io.EOF {
			t.Fatal("stream ended without a status")
		}
		if err != nil {
			t.Fatal(err)
		}
		if st := r.GetStatus(); st != nil {
			return st
		}
	}
}

// A request the host refuses ends with a status naming the job and a
// typed error, not with a gRPC error.
func TestServer_RefusedRequestsGetTypedStatus(t *testing.T) {
	t.Parallel()
	c, _ := serve(t)
	tests := map[string]struct {
		req  *proto.ExecuteRequest
		id   string
		code proto.ErrorCode
		text string
	}{
		"bad job id":            {&proto.ExecuteRequest{JobId: "../x", Language: "Fake", Script: "s"}, "../x", proto.ErrorCode_ERROR_CODE_INVALID_REQUEST, "job id"},
		"bad param declaration": {&proto.ExecuteRequest{JobId: "j-p", Language: "Fake", Script: "s", Params: "@n nosuchtype"}, "j-p", proto.ErrorCode_ERROR_CODE_INVALID_REQUEST, "nosuchtype"},
		"bad result schema":     {&proto.ExecuteRequest{JobId: "j-r", Language: "Fake", Script: "s", ResultSchema: "a int,"}, "j-r", proto.ErrorCode_ERROR_CODE_INVALID_REQUEST, "result schema"},
		"no script":             {&proto.ExecuteRequest{JobId: "j-s", Language: "Fake"}, "j-s", proto.ErrorCode_ERROR_CODE_INVALID_REQUEST, "no script"},
		"unknown language":      {&proto.ExecuteRequest{JobId: "j-l", Language: "Cobol", Script: "s"}, "j-l", proto.ErrorCode_ERROR_CODE_UNKNOWN_LANGUAGE, `"Cobol"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			stream, err := c.Execute(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			st := finalStatus(t, stream)
			e := st.GetError()
			if st.GetJobId() != tc.id || e.GetCode() != tc.code || !strings.Contains(e.GetMessage(), tc.text) {
				t.Fatalf("status = %v, want job %s, code %s, text %q", st, tc.id, tc.code, tc.text)
			}
		})
	}
}

// A running job can be cancelled by id; its id is taken while it runs and
// free again after.
func TestServer_CancelAndDuplicateID(t *testing.T) {
	t.Parallel()
	c, sb := serve(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stream, err := c.Execute(ctx, &proto.ExecuteRequest{JobId: "j-run", Language: "Fake", Script: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if id := <-sb.opened; id != "j-run" {
		t.Fatalf("sandbox opened for %q", id)
	}
	dup, err := c.Execute(ctx, &proto.ExecuteRequest{JobId: "j-run", Language: "Fake", Script: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if st := finalStatus(t, dup); !strings.Contains(st.GetError().GetMessage(), "a job with this id is running") {
		t.Fatalf("duplicate id: %v", st)
	}
	if r, err := c.Cancel(ctx, &proto.CancelRequest{JobId: "j-run"}); err != nil || !r.GetFound() {
		t.Fatalf("Cancel = %v, %v", r, err)
	}
	st := finalStatus(t, stream)
	if st.GetError().GetCode() != proto.ErrorCode_ERROR_CODE_CANCELLED {
		t.Fatalf("cancelled job: %v", st)
	}
	if r, err := c.Cancel(ctx, &proto.CancelRequest{JobId: "j-run"}); err != nil || r.GetFound() {
		t.Fatalf("Cancel after the end = %v, %v; want not found", r, err)
	}
}

// Every job error code has its own API code, and the runtime's report
// travels with it.
func TestErrorToProto_MapsEveryCode(t *testing.T) {
	t.Parallel()
	seen := map[proto.ErrorCode]job.Code{}
	for code := job.CodeScript; code <= job.CodeHostFault; code++ {
		p := errorToProto(&job.Error{JobID: "j-1", Code: code, Err: errors.New("x")})
		if p.GetCode() == proto.ErrorCode_ERROR_CODE_UNSPECIFIED {
			t.Errorf("%s has no API code", code)
		}
		if other, dup := seen[p.GetCode()]; dup {
			t.Errorf("%s and %s share API code %s", code, other, p.GetCode())
		}
		seen[p.GetCode()] = code
	}
	if p := errorToProto(&job.Error{JobID: "j-1", Code: job.Code(99)}); p.GetCode() != proto.ErrorCode_ERROR_CODE_HOST_FAULT {
		t.Errorf("unknown code maps to %s, want host fault", p.GetCode())
	}
	se := &bxl.ScriptError{Kind: bxl.ErrorKindScript, Type: "ValueError", Message: "bad", Traceback: "tb", Line: 7, Column: "c"}
	p := errorToProto(&job.Error{JobID: "j-1", Code: job.CodeScript, Script: se, Err: se})
	if p.GetErrorType() != "ValueError" || p.GetTraceback() != "tb" || p.GetLine() != 7 || p.GetColumn() != "c" {
		t.Errorf("script report lost: %v", p)
	}
}

func TestResultSets_NoneAndUndefined(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"NONE": "none", " none ": "none", "UNDEFINED": "undefined", "": "undefined", "a int": "1 column"} {
		cols, none, err := resultSets(in)
		got := fmt.Sprintf("%d column", len(cols))
		switch {
		case err != nil:
			got = err.Error()
		case none:
			got = "none"
		case cols == nil:
			got = "undefined"
		}
		if got != want {
			t.Errorf("resultSets(%q) = %s, want %s", in, got, want)
		}
	}
}
