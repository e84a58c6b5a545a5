package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/openlaunchpad/launchpad/host/api/proto"
)

// ErrUnreachable is wrapped by Dial when no host listens at the address.
var ErrUnreachable = errors.New("host unreachable")

// MaxRecvBytes bounds one message from the host: a batch of a few MiB plus
// framing, with room for hosts configured with larger batches.
const MaxRecvBytes = 256 << 20

// Request is one job as the host's API takes it (language, script, input
// query, params, …); host/api/proto/launchpad.proto documents each field.
type Request = proto.ExecuteRequest

// Client is a connection to one host. It is safe for concurrent use.
type Client struct {
	conn *grpc.ClientConn
	api  proto.LaunchpadClient
}

// Dial connects to a host address: unix://PATH (relative or absolute; the
// socket must exist) or tls://HOST:PORT (mutual TLS: give WithTLS). The
// connection itself is made on first use.
func Dial(address string, opts ...DialOption) (*Client, error) {
	var o dialOptions
	for _, opt := range opts {
		opt(&o)
	}
	if hostPort, ok := strings.CutPrefix(address, "tls://"); ok {
		return dialTLS(hostPort, o.tls)
	}
	path, ok := strings.CutPrefix(address, "unix://")
	if !ok || path == "" {
		return nil, fmt.Errorf("address %q: want unix://PATH or tls://HOST:PORT", address)
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: no socket at %s (is the host running?)", ErrUnreachable, path)
		}
		return nil, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return newClient("passthrough:///launchpad", insecure.NewCredentials(),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}))
}

func newClient(target string, creds credentials.TransportCredentials, opts ...grpc.DialOption) (*Client, error) {
	conn, err := grpc.NewClient(target, append(opts, grpc.WithTransportCredentials(creds))...)
	if err != nil {
		return nil, err
	}
	return &Client{conn: conn, api: proto.NewLaunchpadClient(conn)}, nil
}

// Close ends the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Exec starts a job; read its events with Job.Recv. Cancelling ctx drops
// the call (before the job started, the host never runs it); Cancel stops
// a job the host already started.
func (c *Client) Exec(ctx context.Context, req *Request) (*Job, error) {
	stream, err := c.api.Execute(ctx, req, grpc.WaitForReady(false), grpc.MaxCallRecvMsgSize(MaxRecvBytes))
	if err != nil {
		return nil, err
	}
	return &Job{stream: stream}, nil
}

// Cancel asks the host to cancel job id; found tells whether the host knew
// the job. The job's stream then ends with a cancelled status.
func (c *Client) Cancel(ctx context.Context, id string) (found bool, err error) {
	resp, err := c.api.Cancel(ctx, &proto.CancelRequest{JobId: id})
	if err != nil {
		return false, err
	}
	return resp.GetFound(), nil
}

// ListJobs lists the host's running and queued jobs, then up to limit of the
// most recent ended ones, newest first (0: all the host keeps).
func (c *Client) ListJobs(ctx context.Context, limit int) ([]*proto.JobInfo, error) {
	if limit < 0 {
		return nil, fmt.Errorf("list jobs: limit %d is negative", limit)
	}
	resp, err := c.api.ListJobs(ctx, &proto.ListJobsRequest{Limit: int32(min(limit, 1<<30))})
	if err != nil {
		return nil, err
	}
	return resp.GetJobs(), nil
}

// WarmPools reports the host's warm runtimes, by launcher.
func (c *Client) WarmPools(ctx context.Context) ([]*proto.WarmPool, error) {
	resp, err := c.api.ListJobs(ctx, &proto.ListJobsRequest{Limit: 1})
	if err != nil {
		return nil, err
	}
	return resp.GetWarm(), nil
}
