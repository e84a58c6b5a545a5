package workers

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

var (
	// ErrNoWorker is returned when no worker account became free in time.
	ErrNoWorker = errors.New("no worker account free")
	// ErrRangeInUse is returned when a uid or gid of the reserved range belongs
	// to an existing account or group: a job would then act as that account.
	ErrRangeInUse = errors.New("worker uid/gid range overlaps existing accounts")
	// ErrNotLeased is returned when releasing a uid that is not out on lease.
	ErrNotLeased = errors.New("worker uid is not leased")
)

// Pool is a fixed set of worker ids [Base, Base+Count). The gid of a worker
// equals its uid. Pool is safe for concurrent use.
type Pool struct {
	base, count int
	// free is buffered to count; receivers queue in FIFO order, which gives the
	// job queue its fairness for free.
	free chan int

	// mu guards leased.
	mu     sync.Mutex
	leased map[int]bool
}

// New returns a pool of count ids starting at base. Both must be positive and
// the range must stay below 2^31 (uids above that trip signedness bugs in
// common tools).
func New(base, count int) (*Pool, error) {
	if base <= 0 || count <= 0 {
		return nil, fmt.Errorf("worker pool base %d count %d: both must be positive", base, count)
	}
	if int64(base)+int64(count) > 1<<31-1 {
		return nil, fmt.Errorf("worker pool base %d count %d: range must end below 2^31", base, count)
	}
	p := &Pool{base: base, count: count, free: make(chan int, count), leased: make(map[int]bool)}
	for i := 0; i < count; i++ {
		p.free <- base + i
	}
	return p, nil
}

// Contains reports whether id lies in the pool's range.
func (p *Pool) Contains(id int) bool { return id >= p.base && id < p.base+p.count }

// Acquire takes a free worker id, waiting up to timeout (0: do not wait) or
// until ctx ends. It returns an error wrapping ErrNoWorker on timeout, or
// ctx's error.
func (p *Pool) Acquire(ctx context.Context, timeout time.Duration) (int, error) {
	select {
	case id := <-p.free:
		p.mark(id)
		return id, nil
	default:
	}
	if timeout <= 0 {
		return 0, fmt.Errorf("all %d workers busy: %w", p.count, ErrNoWorker)
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case id := <-p.free:
		p.mark(id)
		return id, nil
	case <-timer.C:
		return 0, fmt.Errorf("all %d workers busy for %s: %w", p.count, timeout, ErrNoWorker)
	case <-ctx.Done():
		return 0, fmt.Errorf("wait for worker: %w", ctx.Err())
	}
}

func (p *Pool) mark(id int) {
	p.mu.Lock()
	p.leased[id] = true
	p.mu.Unlock()
}

// Release returns id to the pool. Releasing an id twice is an error, so a bug
// in the caller cannot make two jobs share one uid.
func (p *Pool) Release(id int) error {
	p.mu.Lock()
	if !p.leased[id] {
		p.mu.Unlock()
		return fmt.Errorf("release worker %d: %w", id, ErrNotLeased)
	}
	delete(p.leased, id)
	p.mu.Unlock()
	p.free <- id
	return nil
}

// InUse reports how many ids are leased.
func (p *Pool) InUse() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.leased)
}

// CheckUnallocated verifies that no entry of the passwd- and group-format
// files (normally /etc/passwd and /etc/group) has an id in [base, base+count).
// Missing files count as empty.
func CheckUnallocated(base, count int, files ...string) error {
	for _, f := range files {
		name, id, err := firstInRange(f, base, count)
		if err != nil {
			return err
		}
		if name != "" {
			return fmt.Errorf("%s: %q has id %d in [%d,%d): %w", f, name, id, base, base+count, ErrRangeInUse)
		}
	}
	return nil
}

func firstInRange(path string, base, count int) (string, int, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("read account file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// passwd: name:pw:uid:...  group: name:pw:gid:...
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 {
			continue
		}
		id, err := strconv.Atoi(fields[2])
		if err != nil {
			continue
		}
		if id >= base && id < base+count {
			return fields[0], id, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	return "", 0, nil
}
