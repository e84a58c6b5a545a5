package launcher

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openlaunchpad/launchpad/sdk/launcher/proto"
)

// ErrNoExit is returned when a launcher's Run stream ends without reporting
// the runtime's exit.
var ErrNoExit = errors.New("launcher ended the run without an exit status")

// ErrPluginExited is wrapped when the launcher process went away during a
// call (it crashed, was killed, or closed its connection): the gRPC channel
// reports the launcher unavailable rather than any answer from it.
var ErrPluginExited = errors.New("launcher process exited")

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
// data plane to the satellite process when it starts it. When the launcher
// reports that the runtime closed its output, stdout and stderr are closed
// (those that are io.Closers) before the exit is awaited: the caller then
// holds all of the output.
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
		case *proto.RunEvent_OutputClosed:
			closeWriter(stdout)
			closeWriter(stderr)
		case *proto.RunEvent_Exit:
			return exitFromProto(e.Exit), nil
		}
	}
}

func closeWriter(w io.Writer) {
	if c, ok := w.(io.Closer); ok {
		c.Close()
	}
}

// fromStatus keeps the gRPC error in the chain (status.Code and errors.Is
// still see it) and adds ErrPluginExited when the launcher is gone.
func fromStatus(op string, err error) error {
	s, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("launcher %s: %w", op, err)
	}
	return &callError{op: op, code: s.Code(), message: s.Message(), err: err}
}

// callError is a gRPC error from a launcher call. Its text keeps the
// code's name ("launcher run: Internal: …") for operators; status.Code
// still reads the code, and errors.Is matches ErrPluginExited when the
// launcher process is gone.
type callError struct {
	op      string
	code    codes.Code
	message string
	err     error
}

func (e *callError) Error() string {
	return fmt.Sprintf("launcher %s: %s: %s", e.op, e.code, e.message)
}

// Unwrap exposes the gRPC status error and, for Unavailable, ErrPluginExited.
func (e *callError) Unwrap() []error {
	if e.code == codes.Unavailable {
		return []error{e.err, ErrPluginExited}
	}
	return []error{e.err}
}
