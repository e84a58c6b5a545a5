package launcher

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// runRequest is a job folder and a data plane (one end of a pipe).
func runRequest(t *testing.T) *RunRequest {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return &RunRequest{JobID: "j-test", WorkingDir: t.TempDir(), DataPlane: w}
}

func TestRunRuntime_ForwardsOutputAndExitStatus(t *testing.T) {
	for name, tc := range map[string]struct {
		script string
		want   ExitStatus
	}{
		"Success":  {`echo out; echo err >&2; test -e /proc/self/fd/3`, ExitStatus{Code: 0}},
		"ExitCode": {`echo out; echo err >&2; exit 3`, ExitStatus{Code: 3}},
		"Signal":   {`echo out; echo err >&2; kill -TERM $$`, ExitStatus{Code: -1, Signal: "terminated"}},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			cmd := exec.CommandContext(context.Background(), "/bin/sh", "-c", tc.script)
			st, err := RunRuntime(cmd, runRequest(t), &out, &errb)
			if err != nil {
				t.Fatal(err)
			}
			if *st != tc.want {
				t.Errorf("exit %+v, want %+v", *st, tc.want)
			}
			if out.String() != "out\n" || errb.String() != "err\n" {
				t.Errorf("stdout %q, stderr %q", out.String(), errb.String())
			}
		})
	}
}

// TestRunRuntime_CancelKillsTheGroup: cancelling the context kills the
// runtime and its children at once, not at the end of their sleep.
func TestRunRuntime_CancelKillsTheGroup(t *testing.T) {
	req := runRequest(t)
	pidFile := filepath.Join(req.WorkingDir, "child.pid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `sleep 60 & echo $! > child.pid; echo ready; wait`)
	ready := make(chan struct{})
	out := &notifyWriter{match: "ready", ready: ready}
	began := time.Now()
	go func() { <-ready; cancel() }()
	st, err := RunRuntime(cmd, req, out, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Signal != "killed" || time.Since(began) > 10*time.Second {
		t.Errorf("exit %+v after %v, want killed at once", *st, time.Since(began))
	}
	waitGone(t, pidFile)
}

// TestRunRuntime_DaemonCannotHoldTheJob: a child left running with the
// runtime's output open neither keeps RunRuntime waiting nor outlives it.
func TestRunRuntime_DaemonCannotHoldTheJob(t *testing.T) {
	req := runRequest(t)
	pidFile := filepath.Join(req.WorkingDir, "daemon.pid")
	cmd := exec.CommandContext(context.Background(), "/bin/sh", "-c", `sleep 60 & echo $! > daemon.pid; echo bye`)
	var out bytes.Buffer
	began := time.Now()
	st, err := RunRuntime(cmd, req, &out, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Code != 0 || out.String() != "bye\n" {
		t.Errorf("exit %+v, stdout %q", *st, out.String())
	}
	// The group is swept when the runtime exits: no waiting out drainDelay
	// (a fork bomb's job would otherwise run into its time limit).
	if d := time.Since(began); d >= drainDelay {
		t.Errorf("RunRuntime took %v with a daemon holding its output", d)
	}
	waitGone(t, pidFile)
}

// TestRunRuntime_ClosesTheWritersWhenTheOutputEnds: a runtime that closes
// its stdout and stderr has the writers closed, with all of the output in
// them, while it still runs; it waits for that before it exits.
func TestRunRuntime_ClosesTheWritersWhenTheOutputEnds(t *testing.T) {
	req := runRequest(t)
	release := filepath.Join(req.WorkingDir, "closed")
	out := &closingBuffer{onClose: func() { os.WriteFile(release, nil, 0o600) }}
	errw := &closingBuffer{}
	script := `echo out; echo err >&2; exec >/dev/null 2>&1
for i in $(seq 500); do [ -e closed ] && exit 0; sleep 0.01; done; exit 7`
	st, err := RunRuntime(exec.CommandContext(context.Background(), "/bin/sh", "-c", script), req, out, errw)
	if err != nil {
		t.Fatal(err)
	}
	if st.Code != 0 {
		t.Errorf("exit %+v: stdout was not closed while the runtime ran", *st)
	}
	if out.String() != "out\n" || errw.String() != "err\n" || !out.closed || !errw.closed {
		t.Errorf("stdout %q closed %v, stderr %q closed %v", out.String(), out.closed, errw.String(), errw.closed)
	}
}

// closingBuffer is a buffer that records its Close and may act on it.
type closingBuffer struct {
	bytes.Buffer
	closed  bool
	onClose func()
}

func (w *closingBuffer) Close() error {
	w.closed = true
	if w.onClose != nil {
		w.onClose()
	}
	return nil
}

func TestRunRuntime_RefusesCommandWithoutContext(t *testing.T) {
	_, err := RunRuntime(exec.Command("/bin/true"), runRequest(t), &bytes.Buffer{}, &bytes.Buffer{})
	if !errors.Is(err, ErrNoContext) {
		t.Fatalf("got %v, want ErrNoContext", err)
	}
}

// notifyWriter closes ready once match was written.
type notifyWriter struct {
	buf   bytes.Buffer
	match string
	ready chan struct{}
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if w.ready != nil && strings.Contains(w.buf.String(), w.match) {
		close(w.ready)
		w.ready = nil
	}
	return len(p), nil
}

// waitGone waits (on a pidfd, which polls readable once the process has
// exited) for the process whose pid is in file to be gone.
func waitGone(t *testing.T, file string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return // already reaped
	}
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 5000)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
			t.Errorf("process %d outlived RunRuntime", pid)
		}
		return
	}
}
