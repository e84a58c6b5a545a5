package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host/sandbox/confine"
	"github.com/openlaunchpad/launchpad/host/sandbox/jobobject"
)

// Job is one sandboxed job. Methods are safe for concurrent use.
type Job struct {
	ID string
	// Dir is the working folder (0700, owned by UID); the staged runtime file
	// goes here. It has the same path inside and outside the sandbox.
	Dir string
	// TmpDir is the job's private /tmp (inside Dir).
	TmpDir string
	// SocketDir is where the launcher may create its go-plugin unix socket:
	// writable by the worker, reachable by the root host from outside the
	// job's namespaces.
	SocketDir string
	UID, GID  int

	m      *Manager
	logger hclog.Logger
	lim    Limits
	pool   string // the resource pool, "" outside pools
	group  *jobobject.Group
	leased bool

	// mu guards the fields below.
	mu       sync.Mutex
	madeDir  bool
	folder   string // the job folder's name in the work root
	mounted  bool   // the folder is the job's disk (a tmpfs)
	gateR    *os.File
	gateW    *os.File
	pid      int
	started  bool
	closed   bool
	final    *Stats
	closeErr error
}

// Command returns an *exec.Cmd that runs the launcher held open by exe
// (a sealed memfd or an opened, verified file — never reopened by path) with
// args (argv[1:]; argv[0] is "launcher") and exactly env, plus whatever the
// caller appends to cmd.Env before starting (go-plugin adds its variables).
// extra become fds 3, 4, … in the launcher. HOME and TMPDIR default to the
// job's folder and /tmp. The caller sets Stdout/Stderr, starts the command
// and then must call Started with its pid.
//
// Under full isolation the command is `LauncherExe sandbox-init <spec>` in
// new net, mount, PID, IPC and UTS namespaces, held at a gate until Started.
// Under isolation "none" it is sandbox-init without any of that, in its own
// process group, exec'ing the launcher at once.
func (j *Job) Command(exe *os.File, args, env []string, extra []*os.File) (*exec.Cmd, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, fmt.Errorf("job %s: %w", j.ID, ErrJobClosed)
	}
	if j.gateR != nil || j.started {
		return nil, fmt.Errorf("job %s: command already built", j.ID)
	}
	if exe == nil {
		return nil, fmt.Errorf("job %s: no launcher file", j.ID)
	}
	full := j.m.cfg.Isolation == IsolationFull
	files := append(append([]*os.File{}, extra...), exe)
	spec := confine.Spec{
		Full:      full,
		Dir:       j.Dir,
		TmpDir:    j.TmpDir,
		UID:       j.UID,
		GID:       j.GID,
		ExeFD:     3 + len(extra),
		ReadOnly:  j.m.cfg.ReadOnlyPaths,
		OpenFiles: j.m.cfg.OpenFiles,
		FileBytes: j.m.cfg.MaxFileBytes,
		Argv:      append([]string{"launcher"}, args...),
	}
	attr := &syscall.SysProcAttr{Setpgid: true}
	if full {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, fmt.Errorf("job %s: gate: %w", j.ID, err)
		}
		j.gateR, j.gateW = r, w
		spec.GateFD = 3 + len(files)
		files = append(files, r)
		attr = &syscall.SysProcAttr{
			Cloneflags: syscall.CLONE_NEWNET | syscall.CLONE_NEWNS | syscall.CLONE_NEWPID |
				syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
		}
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	cmd := &exec.Cmd{
		Path:        j.m.cfg.LauncherExe,
		Args:        []string{j.m.cfg.LauncherExe, "sandbox-init", string(raw)},
		Env:         withDefaults(env, "HOME="+j.Dir, "TMPDIR=/tmp"),
		Dir:         j.Dir,
		ExtraFiles:  files,
		SysProcAttr: attr,
	}
	if !full {
		cmd.Env = withDefaults(env, "HOME="+j.Dir, "TMPDIR="+j.TmpDir)
	}
	return cmd, nil
}

// withDefaults returns a copy of env (never nil, so the host's environment
// is not inherited) with each KEY=value of defs added unless KEY is set.
func withDefaults(env []string, defs ...string) []string {
	out := append(make([]string, 0, len(env)+len(defs)), env...)
	for _, d := range defs {
		key := d[:strings.IndexByte(d, '=')+1]
		found := false
		for _, e := range env {
			if strings.HasPrefix(e, key) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, d)
		}
	}
	return out
}

// Started places the started command's process in the job's cgroups, then
// opens the gate so sandbox-init proceeds. If placement fails the process is
// killed and the gate closed unopened, so it never runs the launcher.
func (j *Job) Started(pid int) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return fmt.Errorf("job %s: %w", j.ID, ErrJobClosed)
	}
	j.pid, j.started = pid, true
	if j.group == nil {
		return nil
	}
	if j.gateR != nil {
		j.gateR.Close() // the child has its copy
		j.gateR = nil
	}
	if err := j.group.Add(pid); err != nil {
		_ = syscall.Kill(pid, syscall.SIGKILL)
		j.closeGate()
		return fmt.Errorf("job %s: %w", j.ID, err)
	}
	if j.gateW == nil {
		return fmt.Errorf("job %s: Started without Command", j.ID)
	}
	// The write end stays open until teardown: sandbox-init reads a
	// hang-up on it as the host's death (see confine.dieWithHost).
	if _, err := j.gateW.Write([]byte{1}); err != nil {
		j.closeGate()
		return fmt.Errorf("job %s: open gate: %w", j.ID, err)
	}
	return nil
}

func (j *Job) closeGate() {
	if j.gateW != nil {
		j.gateW.Close()
		j.gateW = nil
	}
	if j.gateR != nil {
		j.gateR.Close()
		j.gateR = nil
	}
}

// Kill kills every process of the job, including double-forked and setsid
// daemons (the cgroup holds them all), and waits until none is left. Under
// isolation "none" it can only kill the launcher's process group.
func (j *Job) Kill() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.killLocked()
}

func (j *Job) killLocked() error {
	if j.group != nil {
		if err := j.group.Kill(); err != nil {
			return fmt.Errorf("kill job %s: %w", j.ID, err)
		}
		return nil
	}
	if j.started && j.pid > 0 {
		if err := syscall.Kill(-j.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("kill job %s: %w", j.ID, err)
		}
	}
	return nil
}

// Stats returns the job's peak memory, CPU times and limit hits (zero under
// isolation "none"). After Close it returns the figures read at Close.
func (j *Job) Stats() Stats {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.final != nil {
		return *j.final
	}
	return j.statsLocked()
}

func (j *Job) statsLocked() Stats {
	var s Stats
	if j.mounted {
		full, err := j.m.root.diskFull(j.folder)
		if err != nil {
			j.logger.Warn("read job disk usage", "error", err)
		}
		s.DiskFull = full
	}
	if j.group == nil {
		return s
	}
	var err error
	if s.Stats, err = j.group.Stats(); err != nil {
		j.logger.Warn("read job stats", "error", err)
	}
	return s
}

// Close kills the job, records its stats, removes its cgroups and working
// folder (unless KeepWorkdir) and returns its worker uid. It is idempotent.
func (j *Job) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return j.closeErr
	}
	j.closed = true
	j.closeErr = j.teardownLocked()
	return j.closeErr
}

// teardown is Close for a job that never left NewJob.
func (j *Job) teardown() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.closed = true
	if err := j.teardownLocked(); err != nil {
		j.logger.Error("tear down half-made job", "error", err)
	}
}

func (j *Job) teardownLocked() error {
	var errs []error
	j.closeGate()
	if err := j.killLocked(); err != nil {
		errs = append(errs, err)
	}
	s := j.statsLocked()
	j.final = &s
	// The folder goes first: its disk's pages are charged to the job's
	// memory cgroup, which should be empty when it is removed.
	if j.madeDir && !j.m.cfg.KeepWorkdir {
		if err := j.m.root.removeJobFolder(j.folder, j.mounted); err != nil {
			errs = append(errs, fmt.Errorf("remove working folder of job %s: %w", j.ID, err))
		}
	}
	if j.group != nil {
		if err := j.group.Delete(); err != nil {
			errs = append(errs, fmt.Errorf("remove cgroup of job %s: %w", j.ID, err))
		}
	}
	// Only hand the uid to the next job once nothing of this one can run.
	if j.leased && len(errs) == 0 {
		if err := j.m.pool.Release(j.UID); err != nil {
			errs = append(errs, err)
		}
		j.leased = false
	} else if j.leased {
		j.logger.Error("worker uid quarantined: job teardown failed", "uid", j.UID)
	}
	j.m.forget(j.ID)
	return errors.Join(errs...)
}
