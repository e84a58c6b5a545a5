package pool

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/openlaunchpad/launchpad/host/job"
)

// queue admits at most max jobs of one pool at once, first come first
// served; the others wait up to timeout.
type queue struct {
	name string

	// mu guards the fields below.
	mu      sync.Mutex
	max     int // 0: no cap
	timeout time.Duration
	running int
	waiting []chan struct{} // closed when admitted
}

// set changes the cap and timeout (a reload) and admits whoever a raised
// cap lets in. Jobs already running keep their slots.
func (q *queue) set(maxJobs int, timeout time.Duration) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.max, q.timeout = maxJobs, timeout
	q.admitWaiting()
}

func (q *queue) free() bool { return q.max == 0 || q.running < q.max }

// admitWaiting lets waiting jobs in while slots are free (mu held).
func (q *queue) admitWaiting() {
	for len(q.waiting) > 0 && q.free() {
		q.running++
		close(q.waiting[0])
		q.waiting = q.waiting[1:]
	}
}

// admit waits for a slot up to the pool's queue timeout or ctx's end.
func (q *queue) admit(ctx context.Context) (func(), error) {
	q.mu.Lock()
	if len(q.waiting) == 0 && q.free() {
		q.running++
		q.mu.Unlock()
		return q.releaser(), nil
	}
	ready := make(chan struct{})
	q.waiting = append(q.waiting, ready)
	maxJobs, timeout := q.max, q.timeout
	q.mu.Unlock()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var err error
	select {
	case <-ready:
		return q.releaser(), nil
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = fmt.Errorf("pool %q: all of its max_jobs = %d slots stayed taken for its queue_timeout of %s: %w",
			q.name, maxJobs, timeout, job.ErrPoolFull)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if i := slices.Index(q.waiting, ready); i >= 0 {
		q.waiting = slices.Delete(q.waiting, i, i+1)
		return nil, err
	}
	// Admitted while giving up: hand the slot on.
	q.running--
	q.admitWaiting()
	return nil, err
}

// releaser gives one slot back, once.
func (q *queue) releaser() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			q.mu.Lock()
			defer q.mu.Unlock()
			q.running--
			q.admitWaiting()
		})
	}
}

// counts are the running and waiting jobs now.
func (q *queue) counts() (running, queued int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.running, len(q.waiting)
}
