package client

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc"

	"github.com/openlaunchpad/launchpad/client/clienttest"
	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// scriptedHost answers Execute with the events of the request's script
// field, looked up in streams.
type scriptedHost struct {
	proto.UnimplementedLaunchpadServer
	streams map[string][]*proto.ExecuteResponse
}

func (h scriptedHost) Execute(req *proto.ExecuteRequest, s grpc.ServerStreamingServer[proto.ExecuteResponse]) error {
	for _, ev := range h.streams[req.GetScript()] {
		if err := s.Send(ev); err != nil {
			return err
		}
	}
	return nil
}

func (h scriptedHost) Cancel(_ context.Context, req *proto.CancelRequest) (*proto.CancelResponse, error) {
	return &proto.CancelResponse{Found: req.GetJobId() == "j1"}, nil
}

func dialScripted(t *testing.T, streams map[string][]*proto.ExecuteResponse) *Client {
	t.Helper()
	c, err := Dial(clienttest.Serve(t, scriptedHost{streams: streams}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testSchema() (*bxl.Schema, *bxl.Batch, *bxl.Schema, *bxl.Batch) {
	s := &bxl.Schema{Fields: []bxl.Field{{Name: "n", Type: bxl.TypeInt64, Nullable: true}}}
	b := bxl.NewBuilder(s)
	_ = b.AppendRow(int64(9007199254740993))
	_ = b.AppendRow(nil)
	ps := &bxl.Schema{Fields: []bxl.Field{{Name: "msg", Type: bxl.TypeString, Nullable: true, Output: true}}}
	pb := bxl.NewBuilder(ps)
	_ = pb.AppendRow("done")
	return s, b.Build(), ps, pb.Build()
}

func TestJob_RecvDecodesEveryEvent(t *testing.T) {
	s, b, ps, pb := testSchema()
	c := dialScripted(t, map[string][]*proto.ExecuteResponse{"ok": {
		{Event: &proto.ExecuteResponse_Started{Started: &proto.JobStarted{JobId: "j1"}}},
		{}, // an event this client does not know is skipped
		{Event: &proto.ExecuteResponse_Message{Message: &proto.Message{Stream: proto.Message_STREAM_STDOUT, Text: []byte("hi")}}},
		{Event: &proto.ExecuteResponse_Schema{Schema: bxl.AppendSchema(nil, s)}},
		{Event: &proto.ExecuteResponse_Batch{Batch: bxl.AppendBatch(nil, b)}},
		{Event: &proto.ExecuteResponse_Status{Status: &proto.Status{JobId: "j1", OutputParams: bxl.AppendParams(nil, ps, pb)}}},
	}})
	job, err := c.Exec(context.Background(), &Request{Language: "Python", Script: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	// The usual stream-draining loop (also in launchpad-bench's tests): a few lines, clearer inline than behind a helper.
	var got []string
	for {
		ev, err := job.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case ev.Started != nil:
			got = append(got, "started "+ev.Started.GetJobId())
		case ev.Message != nil:
			got = append(got, "message "+string(ev.Message.GetText()))
		case ev.Schema != nil:
			got = append(got, "schema "+ev.Schema.Fields[0].Name)
		case ev.Batch != nil:
			v, _ := ev.Batch.Columns[0].Value(0).(int64)
			got = append(got, "batch "+strings.Repeat("r", ev.Batch.Rows), "first "+strconv.FormatInt(v, 10))
		case ev.Status != nil:
			got = append(got, "status "+ev.Status.GetJobId()+" "+ev.Status.Params.Columns[0].Value(0).(string))
			if ev.Status.Failed() {
				t.Error("a status without an error reports Failed")
			}
		}
	}
	want := "started j1|message hi|schema n|batch rr|first 9007199254740993|status j1 done"
	if strings.Join(got, "|") != want {
		t.Errorf("events %q, want %q", strings.Join(got, "|"), want)
	}
	if found, err := c.Cancel(context.Background(), "j1"); err != nil || !found {
		t.Errorf("Cancel(j1) = %v, %v; want found", found, err)
	}
}

// TestJob_RecvRefusesBrokenStreams: each broken stream is an ErrBadStream,
// never a result.
func TestJob_RecvRefusesBrokenStreams(t *testing.T) {
	s, b, _, _ := testSchema()
	started := &proto.ExecuteResponse{Event: &proto.ExecuteResponse_Started{Started: &proto.JobStarted{JobId: "j1"}}}
	streams := map[string][]*proto.ExecuteResponse{
		"NoStatus":       {started},
		"RowsFirst":      {started, {Event: &proto.ExecuteResponse_Batch{Batch: bxl.AppendBatch(nil, b)}}},
		"BadSchema":      {started, {Event: &proto.ExecuteResponse_Schema{Schema: []byte{1, 2, 3}}}},
		"BadBatch":       {started, {Event: &proto.ExecuteResponse_Schema{Schema: bxl.AppendSchema(nil, s)}}, {Event: &proto.ExecuteResponse_Batch{Batch: []byte{9}}}},
		"BadOutputParam": {started, {Event: &proto.ExecuteResponse_Status{Status: &proto.Status{JobId: "j1", OutputParams: []byte{7, 7}}}}},
	}
	c := dialScripted(t, streams)
	for name := range streams {
		t.Run(name, func(t *testing.T) {
			job, err := c.Exec(context.Background(), &Request{Script: name})
			if err != nil {
				t.Fatal(err)
			}
			for {
				ev, err := job.Recv()
				if err != nil {
					if !errors.Is(err, ErrBadStream) {
						t.Errorf("got %v, want ErrBadStream", err)
					}
					return
				}
				if ev.Status != nil || ev.Batch != nil {
					t.Fatalf("broken stream gave %+v", ev)
				}
			}
		})
	}
}

func TestDial_RefusesBadAddresses(t *testing.T) {
	for name, tc := range map[string]struct {
		address string
		want    string
	}{
		"NoScheme":  {"/run/launchpad.sock", "want unix://PATH"},
		"TCP":       {"tcp://127.0.0.1:1", "want unix://PATH"},
		"EmptyPath": {"unix://", "want unix://PATH"},
		"NoSocket":  {"unix://" + filepath.Join(t.TempDir(), "none.sock"), "no socket at"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Dial(tc.address)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Dial(%q) = %v, want an error containing %q", tc.address, err, tc.want)
			}
			if name == "NoSocket" && !errors.Is(err, ErrUnreachable) {
				t.Errorf("no socket: %v does not wrap ErrUnreachable", err)
			}
		})
	}
}
