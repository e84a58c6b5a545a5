package launcher

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc/status"

	"github.com/openlaunchpad/launchpad/sdk/launcher/proto"
)

// ErrNoExit is returned when a launcher's Run stream ends without reporting
// the runtime's exit.
var ErrNoExit = errors.New("launcher ended the run without an exit status")

// Client is the host's side of a launcher: it implements Launcher over gRPC.
type Client struct {
	client proto.LauncherClient
}

var _ Launcher = (*Client)(nil)

// Info asks the launcher to describe itself.
func (c *Client) Info(ctx context.Context) (*Info, error) {
	resp, err := c.client.Info(ctx, &proto.InfoRequest{})
	if err != nil {
		return nil, fromStatus("info", err)
	}
	return infoFromProto(resp), nil
}

// Run runs a job on the launcher. req.DataPlane is ignored: the host hands the
// data plane to the satellite process when it starts it.
func (c *Client) Run(ctx context.Context, req *RunRequest, stdout, stderr io.Writer) (*ExitStatus, error) {
	stream, err := c.client.Run(ctx, runRequestToProto(req))
	if err != nil {
		return nil, fromStatus("run", err)
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			return nil, ErrNoExit
		}
		if err != nil {
			return nil, fromStatus("run", err)
		}
		switch e := ev.GetEvent().(type) {
		case *proto.RunEvent_Stdout:
			if _, err := stdout.Write(e.Stdout); err != nil {
				return nil, fmt.Errorf("copy launcher stdout: %w", err)
			}
		case *proto.RunEvent_Stderr:
			if _, err := stderr.Write(e.Stderr); err != nil {
				return nil, fmt.Errorf("copy launcher stderr: %w", err)
			}
		case *proto.RunEvent_Exit:
			return exitFromProto(e.Exit), nil
		}
	}
}

// fromStatus turns a gRPC status back into a plain error for the host.
func fromStatus(op string, err error) error {
	if s, ok := status.FromError(err); ok {
		return fmt.Errorf("launcher %s: %s: %s", op, s.Code(), s.Message())
	}
	return fmt.Errorf("launcher %s: %w", op, err)
}
