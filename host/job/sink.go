package job

import (
	"context"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// boundSink calls the caller's sink one event at a time and stops waiting
// for it once the job's context ends (time limit, cancel). A caller that
// stops reading blocks the gRPC send, and with it whatever waits on the
// send: without this bound, a stalled caller kept the job's worker account,
// folder and cgroup past the job's time limit (attack round 2,
// slow_caller.sh). An abandoned send goes on in its goroutine until the
// caller reads or the call ends, holding the sink; nothing else is sent.
type boundSink struct {
	ctx   context.Context
	inner Sink
	turn  chan struct{} // one event in flight at a time
}

func newBoundSink(ctx context.Context, inner Sink) *boundSink {
	return &boundSink{ctx: ctx, inner: inner, turn: make(chan struct{}, 1)}
}

func (s *boundSink) do(send func() error) error {
	select {
	case s.turn <- struct{}{}:
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
	done := make(chan error, 1)
	go func() {
		err := send()
		<-s.turn
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
}

func (s *boundSink) Started(st Started) error {
	return s.do(func() error { return s.inner.Started(st) })
}

func (s *boundSink) Schema(p []byte, sc *bxl.Schema) error {
	return s.do(func() error { return s.inner.Schema(p, sc) })
}

func (s *boundSink) Batch(p []byte, b *bxl.Batch) error {
	return s.do(func() error { return s.inner.Batch(p, b) })
}

func (s *boundSink) Message(st Stream, text []byte) error {
	return s.do(func() error { return s.inner.Message(st, text) })
}
