package job

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// LimitPool names a resource pool's queue in a limit error.
const LimitPool = "pool"

var (
	// ErrPoolFull is wrapped when a job waited its pool's queue_timeout
	// for one of the pool's max_jobs slots.
	ErrPoolFull = errors.New("resource pool full")
	// ErrUnknownPool is wrapped when a request names no configured pool.
	ErrUnknownPool = errors.New("unknown resource pool")
)

// Pools admits jobs into resource pools (host/pool).
type Pools interface {
	// Classify picks the pool of a request that names none.
	Classify(id *Identity, language string) string
	// Admit waits for a slot in pool; release gives it back.
	Admit(ctx context.Context, pool string) (release func(), err error)
}

// PoolSandbox is a Sandbox that places each job inside its pool's job
// object, whose limits bind all of the pool's jobs together.
type PoolSandbox interface {
	OpenInPool(ctx context.Context, jobID, pool string, lim Limits) (Env, error)
}

// Classify sets the request's resource pool when it names none, as Run
// does first; an API that checks the caller's grant for the pool calls it
// before Run.
func (r *Runner) Classify(req *Request) {
	if req.Pool == "" && r.cfg.Pools != nil {
		req.Pool = r.cfg.Pools.Classify(req.Identity, req.Language)
	}
}

// openPooled admits the job into its pool (waiting in the pool's queue)
// and opens its sandbox there; the pool's slot is held until the
// environment is closed.
func (r *Runner) openPooled(ctx context.Context, req *Request, lim Limits) (Env, error) {
	if r.cfg.Pools == nil {
		return r.cfg.Sandbox.Open(ctx, req.ID, lim)
	}
	release, err := r.cfg.Pools.Admit(ctx, req.Pool)
	if err != nil {
		return nil, err
	}
	env, err := r.openInPool(ctx, req.ID, req.Pool, lim)
	if err != nil {
		release()
		return nil, err
	}
	return &pooledEnv{Env: env, release: release}, nil
}

// openInPool opens a sandbox inside pool's job object, when there are
// pools and the sandbox makes them.
func (r *Runner) openInPool(ctx context.Context, id, pool string, lim Limits) (Env, error) {
	if ps, ok := r.cfg.Sandbox.(PoolSandbox); ok && r.cfg.Pools != nil {
		return ps.OpenInPool(ctx, id, pool, lim)
	}
	return r.cfg.Sandbox.Open(ctx, id, lim)
}

// admitWarm admits a job that took a warm runtime into its pool's queue
// (the runtime's sandbox already lies in the default pool's job object).
func (r *Runner) admitWarm(ctx context.Context, req *Request, warm *prepared) (Env, error) {
	if r.cfg.Pools == nil {
		return warm.env, nil
	}
	release, err := r.cfg.Pools.Admit(ctx, req.Pool)
	if err != nil {
		return nil, err
	}
	return &pooledEnv{Env: warm.env, release: release}, nil
}

// pooledEnv gives its pool slot back once its sandbox is closed.
type pooledEnv struct {
	Env
	release func()
	once    sync.Once
}

func (e *pooledEnv) Close() error {
	err := e.Env.Close()
	e.once.Do(e.release)
	return err
}

// memoryError says which memory limit killed the job: its own, or, when
// its peak stayed below its own, its pool's (shared with the pool's other
// jobs).
func (ex *execution) memoryError(u Usage) *Error {
	err := fmt.Errorf("job exceeded its memory limit of %d bytes (peak %d bytes)", ex.lim.MemoryBytes, u.PeakMemoryBytes)
	belowOwn := ex.lim.MemoryBytes == 0 || u.PeakMemoryBytes < ex.lim.MemoryBytes-min(ownLimitSlack, ex.lim.MemoryBytes/8)
	if u.PoolMemoryLimitBytes > 0 && belowOwn {
		err = fmt.Errorf("job was killed by the memory limit of its pool %q: %d bytes for all of the pool's jobs together (this job's peak %d bytes)",
			ex.req.Pool, u.PoolMemoryLimitBytes, u.PeakMemoryBytes)
	}
	return &Error{JobID: ex.req.ID, Code: CodeLimitExceeded, Limit: LimitMemory, Err: err}
}

// ownLimitSlack is how close to its own memory limit (at most an eighth
// of it) a killed job's peak must come for that limit to be the one it hit.
const ownLimitSlack = 1 << 20
