package launcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// RunRuntime starts cmd as the job's runtime and waits for it. Unless the
// launcher set cmd.ExtraFiles itself (see Bridge), the data plane becomes the
// runtime's descriptor 3 (DataFD). Its stdout and stderr are copied to the
// writers as they arrive. The runtime gets its own process group and dies with
// the launcher; cancelling ctx kills the group. The launcher's copies of
// cmd.ExtraFiles are closed once the runtime started.
//
// cmd.Dir defaults to req.WorkingDir. cmd.Env is used as given: a launcher
// passes the runtime only the variables it needs.
func RunRuntime(ctx context.Context, cmd *exec.Cmd, req *RunRequest, stdout, stderr io.Writer) (*ExitStatus, error) {
	if req.DataPlane == nil {
		return nil, errors.New("run runtime: no data plane")
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

	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	startErr := cmd.Start()
	// The runtime holds its own copies now; dropping ours means the host sees
	// EOF on the data plane, and we see EOF on the pipes, once it is gone.
	outW.Close()
	errW.Close()
	for _, f := range cmd.ExtraFiles {
		f.Close()
	}
	if startErr != nil {
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("start runtime %s: %w", cmd.Path, startErr)
	}

	stop := context.AfterFunc(ctx, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer stop()

	var wg sync.WaitGroup
	copyOut := func(w io.Writer, r *os.File) {
		defer wg.Done()
		defer r.Close()
		io.CopyBuffer(w, r, make([]byte, 32<<10))
	}
	wg.Add(2)
	go copyOut(stdout, outR)
	go copyOut(stderr, errR)
	waitErr := cmd.Wait()
	// A daemon the runtime left behind may hold the pipes open: kill what is
	// left of the group so the copies end.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(2 * time.Second):
	}

	var exitErr *exec.ExitError
	switch {
	case waitErr == nil:
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
