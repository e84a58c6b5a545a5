package launcher

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ErrNoContext is returned by RunRuntime for a cmd made without
// exec.CommandContext: nothing could stop such a runtime when its job is
// cancelled.
var ErrNoContext = errors.New("run runtime: cmd must come from exec.CommandContext with the job's context")

// drainDelay bounds how long RunRuntime waits, once the runtime exited, for
// its stdout and stderr to reach EOF: a daemon it left behind may hold them.
const drainDelay = 2 * time.Second

// RunRuntime starts cmd as the job's runtime and waits for it. cmd must come
// from exec.CommandContext(ctx, …) with the ctx of Launcher.Run: cancelling
// it (a caller's cancel, the job's time limit) kills the runtime's process
// group. Unless the launcher set cmd.ExtraFiles itself (see Bridge), the data
// plane becomes the runtime's descriptor 3 (DataFD). Its stdout and stderr
// are copied to the writers as they arrive, and each writer that is an
// io.Closer is closed when its stream reaches EOF: a runtime that closes
// both once its output is complete is answered before its exit. The
// runtime gets its own process group and dies with the launcher; what is
// left of the group when it exits is killed too. The launcher's copies of
// cmd.ExtraFiles are closed once the runtime started.
//
// cmd.Dir defaults to req.WorkingDir. cmd.Env is used as given: a launcher
// passes the runtime only the variables it needs.
func RunRuntime(cmd *exec.Cmd, req *RunRequest, stdout, stderr io.Writer) (*ExitStatus, error) {
	if req.DataPlane == nil {
		return nil, errors.New("run runtime: no data plane")
	}
	if cmd.Cancel == nil {
		return nil, ErrNoContext
	}
	if cmd.Dir == "" {
		cmd.Dir = req.WorkingDir
	}
	if len(cmd.ExtraFiles) == 0 {
		cmd.ExtraFiles = []*os.File{req.DataPlane}
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	out, err := newOutputs(cmd, stdout, stderr)
	if err != nil {
		return nil, err
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = drainDelay
	startErr := cmd.Start()
	out.started(startErr == nil)
	// The runtime holds its own copies now; dropping ours means the host sees
	// EOF on the data plane once it is gone.
	for _, f := range cmd.ExtraFiles {
		f.Close()
	}
	if startErr != nil {
		return nil, fmt.Errorf("start runtime %s: %w", cmd.Path, startErr)
	}
	swept := sweepOnExit(cmd.Process.Pid)
	waitErr := cmd.Wait()
	<-swept
	out.drain(drainDelay)
	return exitStatus(waitErr)
}

// outputs copies a runtime's stdout and stderr from pipes of its own, not
// exec.Cmd's, so that it sees each reach EOF: the runtime may close both
// before it exits, and closing the writers then tells the host it has the
// whole output (Launcher.Run).
type outputs struct {
	read, write [2]*os.File
	to          [2]io.Writer
	done        [2]chan struct{}
}

func newOutputs(cmd *exec.Cmd, stdout, stderr io.Writer) (*outputs, error) {
	o := &outputs{to: [2]io.Writer{stdout, stderr}}
	for i := range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			o.closeAll()
			return nil, fmt.Errorf("run runtime: output pipe: %w", err)
		}
		o.read[i], o.write[i], o.done[i] = r, w, make(chan struct{})
	}
	cmd.Stdout, cmd.Stderr = o.write[0], o.write[1]
	return o, nil
}

// started drops the launcher's write ends and, when the runtime runs,
// starts copying.
func (o *outputs) started(ok bool) {
	for i := range 2 {
		o.write[i].Close()
		if !ok {
			o.read[i].Close()
			close(o.done[i])
			continue
		}
		go o.copy(i)
	}
}

func (o *outputs) copy(i int) {
	defer close(o.done[i])
	_, err := io.Copy(o.to[i], o.read[i])
	o.read[i].Close() // a runtime still writing gets EPIPE, as with exec.Cmd
	if c, ok := o.to[i].(io.Closer); ok && err == nil {
		c.Close()
	}
}

// drain waits up to d for both copies to reach EOF once the runtime exited:
// a daemon it left behind may still hold the pipes.
func (o *outputs) drain(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for i := range 2 {
		select {
		case <-o.done[i]:
		case <-t.C:
			o.read[0].Close()
			o.read[1].Close()
			<-o.done[i]
		}
	}
}

func (o *outputs) closeAll() {
	for i := range 2 {
		for _, f := range []*os.File{o.read[i], o.write[i]} {
			if f != nil {
				f.Close()
			}
		}
	}
}

// sweepOnExit kills what is left of the runtime's process group as soon as
// the runtime exits (waitid with WNOWAIT: Cmd.Wait still reaps it), so the
// children it left stop holding its output pipes and Wait need not sit out
// WaitDelay; the channel closes once that is done.
func sweepOnExit(pid int) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var info unix.Siginfo
		for unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil) == unix.EINTR {
		}
		// After Wait reaped it too (ECHILD): the group outlives its leader.
		syscall.Kill(-pid, syscall.SIGKILL)
	}()
	return done
}

// exitStatus reads Cmd.Wait's result: how the runtime ended, or why it
// could not be waited for.
func exitStatus(waitErr error) (*ExitStatus, error) {
	var exitErr *exec.ExitError
	switch {
	case waitErr == nil, errors.Is(waitErr, exec.ErrWaitDelay):
		// ErrWaitDelay: it exited 0 but something it left held its output.
		return &ExitStatus{Code: 0}, nil
	case errors.As(waitErr, &exitErr):
		st := &ExitStatus{Code: exitErr.ExitCode()}
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			st.Code, st.Signal = -1, ws.Signal().String()
		}
		return st, nil
	default:
		return nil, fmt.Errorf("wait for runtime: %w", waitErr)
	}
}

// StageFile writes a launcher's embedded runtime code into the job's folder,
// read-only, and returns its path.
func StageFile(req *RunRequest, name string, content []byte) (string, error) {
	path := filepath.Join(req.WorkingDir, name)
	if err := os.WriteFile(path, content, 0o400); err != nil {
		return "", fmt.Errorf("stage %s: %w", name, err)
	}
	return path, nil
}

// RuntimeEnv is the environment a runtime starts with: a fixed PATH, HOME
// and TMPDIR in the job's folder, a UTF-8 locale, the job id, one BLAS/OpenMP
// thread (the job object's CPU limit decides parallelism), plus extra
// "NAME=value" entries. Nothing of the launcher's own environment leaks in.
func RuntimeEnv(req *RunRequest, extra ...string) []string {
	env := []string{
		"PATH=/usr/local/bin:/usr/bin:/bin",
		"HOME=" + req.WorkingDir,
		"TMPDIR=" + req.WorkingDir,
		"LANG=C.UTF-8",
		"LC_ALL=C.UTF-8",
		"LAUNCHPAD_JOB_ID=" + req.JobID,
		"OPENBLAS_NUM_THREADS=1",
		"OMP_NUM_THREADS=1",
	}
	return append(env, extra...)
}
