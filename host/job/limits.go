package job

import (
	"context"
	"time"
)

// Defaults of the limits the runner itself enforces (the configuration's
// limits { timeout, max_output, max_messages, max_frame }).
const (
	DefaultTimeout         = 10 * time.Minute
	DefaultMaxOutputBytes  = 4 << 30
	DefaultMaxMessageBytes = 8 << 20
	// DefaultMaxFrameBytes is the host's bound on one frame from a job: it
	// bounds host memory per job (about three frames while one is
	// forwarded), so it is far below the BXL reader's own default.
	DefaultMaxFrameBytes = 32 << 20
	// MinMessageBytes is the smallest max_messages: an error report keeps
	// at least this much of its text.
	MinMessageBytes = minErrorBytes
)

// timeoutKey keys a job's own time limit in its context, for the error
// that reports it.
type timeoutKey struct{}

// Limits are the limits new jobs get.
func (r *Runner) Limits() Limits { return *r.lim.Load() }

// SetLimits replaces the limits of jobs started from now on (running jobs
// keep theirs).
func (r *Runner) SetLimits(l Limits) { r.lim.Store(&l) }

// jobTimeout is the time limit the job of ctx started with (the current
// one for a context run did not make).
func (r *Runner) jobTimeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Value(timeoutKey{}).(time.Duration); ok {
		return d
	}
	return r.Limits().Timeout
}
