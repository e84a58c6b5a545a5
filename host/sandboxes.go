package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host/config"
	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/host/sandbox"
)

// sandboxes adapts the sandbox Manager to the job runner.
type sandboxes struct {
	m        *sandbox.Manager
	workRoot string
}

var (
	_ job.Sandbox     = (*sandboxes)(nil)
	_ job.PoolSandbox = (*sandboxes)(nil)
)

func newSandboxes(cfg *config.Config, lim job.Limits, logger hclog.Logger) (*sandboxes, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	exe, err := sandboxInit(self)
	if err != nil {
		return nil, err
	}
	s := cfg.Sandbox
	workRoot := s.WorkRoot
	m, err := sandbox.NewManager(sandbox.Config{
		Isolation:     s.Isolation,
		WorkRoot:      workRoot,
		WorkerUIDBase: s.UIDBase,
		WorkerCount:   s.Workers,
		CgroupParent:  s.CgroupParent,
		QueueTimeout:  lim.QueueTimeout,
		KeepWorkdir:   s.KeepWorkdir,
		LauncherExe:   exe,
		ReadOnlyPaths: s.ReadOnlyPaths,
		DiskBytes:     lim.DiskBytes,
		OpenFiles:     lim.OpenFiles,
		MaxFileBytes:  lim.MaxFileBytes,
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	// Crash safety: whatever a crashed host left behind goes first. The
	// host holds the claims on the range, cgroup parent and work root, so
	// what is left there is a dead host's.
	if err := m.Cleanup(); err != nil {
		m.Close()
		return nil, fmt.Errorf("sandbox cleanup: %w", err)
	}
	return &sandboxes{m: m, workRoot: workRoot}, nil
}

func (s *sandboxes) Open(ctx context.Context, id string, lim job.Limits) (job.Env, error) {
	j, err := s.m.NewJob(ctx, id, sandboxLimits(lim))
	if errors.Is(err, sandbox.ErrNoWorker) {
		return nil, fmt.Errorf("%w: %w", job.ErrNoWorker, err)
	}
	if err != nil {
		return nil, err
	}
	return env{j}, nil
}

// OpenInPool opens the job's sandbox inside its resource pool's job
// object (job.PoolSandbox).
func (s *sandboxes) OpenInPool(ctx context.Context, id, pool string, lim job.Limits) (job.Env, error) {
	j, err := s.m.NewJobInPool(ctx, id, pool, sandboxLimits(lim))
	if errors.Is(err, sandbox.ErrNoWorker) {
		return nil, fmt.Errorf("%w: %w", job.ErrNoWorker, err)
	}
	if err != nil {
		return nil, err
	}
	return env{j}, nil
}

func sandboxLimits(lim job.Limits) sandbox.Limits {
	return sandbox.Limits{MemoryBytes: lim.MemoryBytes, CPUQuotaMillis: lim.CPUQuotaMillis, CPUShares: lim.CPUShares, MaxProcs: lim.MaxProcs}
}

func (s *sandboxes) Warnings() []string { return s.m.Warnings() }

// FreeWorkers reports the worker accounts no job or warm runtime holds.
func (s *sandboxes) FreeWorkers() int { return s.m.FreeWorkers() }

// Close stops the sandbox and removes the work root if no job folder is
// left in it (a kept one, with keep_workdir, stays, and so does the root).
func (s *sandboxes) Close() error {
	err := s.m.Close()
	if rerr := os.Remove(s.workRoot); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && !errors.Is(rerr, syscall.ENOTEMPTY) {
		err = errors.Join(err, rerr)
	}
	return err
}

// env is one job's sandbox as the runner sees it.
type env struct{ *sandbox.Job }

func (e env) Dir() string           { return e.Job.Dir }
func (e env) SocketDir() string     { return e.Job.SocketDir }
func (e env) Owner() (uid, gid int) { return e.Job.UID, e.Job.GID }

func (e env) Usage() job.Usage {
	st := e.Job.Stats()
	return job.Usage{
		PeakMemoryBytes: st.PeakMemoryBytes, CPUUser: st.CPUUser, CPUSystem: st.CPUSystem,
		OOMKilled: st.OOMKilled, PidsFull: st.PidsLimitHit, DiskFull: st.DiskFull,
		PoolMemoryLimitBytes: e.Job.PoolMemoryLimit(),
	}
}

// SandboxInitName is the small binary beside the host's own that every job
// starts as (`sandbox-init`): it links package confine alone, and starts
// in a quarter of the whole host's time (14 ms against 53 ms here), on
// every cold job's path and every warm runtime's preparation.
const SandboxInitName = "launchpad-sandbox-init"

// sandboxInit is the binary jobs start through: SandboxInitName beside
// self when it is there, else self (a test binary, the bench, a host
// built alone), which has the same sandbox-init. It runs as root until it
// drops to the worker, so one that another account could have written is
// refused, not used.
func sandboxInit(self string) (string, error) {
	p := filepath.Join(filepath.Dir(self), SandboxInitName)
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return self, nil
	}
	if err != nil {
		return "", fmt.Errorf("sandbox init %s: %w", p, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("sandbox init %s is not a regular file", p)
	case !ok || int(st.Uid) != os.Geteuid():
		return "", fmt.Errorf("sandbox init %s is not owned by the host's account (uid %d)", p, os.Geteuid())
	case fi.Mode().Perm()&0o022 != 0:
		return "", fmt.Errorf("sandbox init %s is writable by other accounts (mode %v)", p, fi.Mode().Perm())
	}
	return p, nil
}
