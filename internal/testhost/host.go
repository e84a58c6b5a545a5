package testhost

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// ServingLine is what a host logs once its socket accepts calls.
const ServingLine = "host serving"

// Config says how to run a host.
type Config struct {
	// Bin is the launchpad binary; Args its subcommand and flags (dev or
	// serve, state folder, configuration, --log-level debug).
	Bin  string
	Args []string
	// Sock is the socket the host listens on (its state folder's
	// launchpad.sock unless configured otherwise).
	Sock string
	// CgroupParent is the cgroup parent of the host's job groups
	// (CgroupParent(uidBase)); Stop reports job groups left under it.
	// Empty skips that check.
	CgroupParent string
	// StartTimeout bounds the start-up; default 30 s.
	StartTimeout time.Duration
}

// Host is a running launchpad host.
type Host struct {
	Cmd    *exec.Cmd
	Log    *Log
	cfg    Config
	exited chan struct{} // closed once Cmd.Wait returned
	err    error         // Cmd.Wait's result, set before exited closes
	killed bool
}

// Start runs the host and returns once it logged ServingLine. On failure
// the process is gone and the error carries the log's tail.
func Start(cfg Config) (*Host, error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 30 * time.Second
	}
	h := &Host{Cmd: exec.Command(cfg.Bin, cfg.Args...), Log: &Log{}, cfg: cfg, exited: make(chan struct{})}
	h.Cmd.Stdout, h.Cmd.Stderr = h.Log, h.Log
	// A child the host leaves running must not keep Wait from returning.
	h.Cmd.WaitDelay = 10 * time.Second
	if err := h.Cmd.Start(); err != nil {
		return nil, err
	}
	go func() { h.err = h.Cmd.Wait(); close(h.exited) }()
	// A socket file alone is not enough: a killed host leaves its socket.
	err := h.Log.AwaitCount(ServingLine, 1, cfg.StartTimeout, h.exited)
	if err == nil {
		return h, nil
	}
	if errors.Is(err, ErrExited) {
		err = fmt.Errorf("host exited before serving (%v)", h.err)
	} else {
		err = fmt.Errorf("host did not serve within %v", cfg.StartTimeout)
		h.Kill()
	}
	return nil, fmt.Errorf("%w; log:\n%s", err, h.Log.Tail(4000))
}

// Exited is closed once the host process has exited.
func (h *Host) Exited() <-chan struct{} { return h.exited }

// Pid is the host process's pid.
func (h *Host) Pid() int { return h.Cmd.Process.Pid }

// Kill ends the host with SIGKILL, as a power cut or the OOM killer would,
// and waits for it. Stop then only reaps: what a killed host leaves is the
// test's to check.
func (h *Host) Kill() {
	h.killed = true
	h.Cmd.Process.Kill()
	<-h.exited
}

// Stop ends the host with SIGTERM and waits up to timeout (then kills it).
// The host must exit cleanly and leave neither its socket nor job cgroups
// behind. Stop is idempotent.
func (h *Host) Stop(timeout time.Duration) error {
	if err := h.Terminate(timeout); err != nil || h.killed {
		return err
	}
	return h.leftovers()
}

// Terminate is Stop without the leftover checks, for a test that starts
// another host on the same state folder: SIGTERM, then a clean exit within
// timeout (else SIGKILL and an error).
func (h *Host) Terminate(timeout time.Duration) error {
	select {
	case <-h.exited:
		if h.killed {
			return nil
		}
	default:
		h.Cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.exited:
		case <-time.After(timeout):
			h.Kill()
			return fmt.Errorf("host did not stop within %v of SIGTERM; log:\n%s", timeout, h.Log.Tail(4000))
		}
	}
	if h.err != nil {
		return fmt.Errorf("host exited with %v; log:\n%s", h.err, h.Log.Tail(4000))
	}
	return nil
}

func (h *Host) leftovers() error {
	var errs []error
	if _, err := os.Lstat(h.cfg.Sock); err == nil {
		errs = append(errs, fmt.Errorf("host left its socket %s", h.cfg.Sock))
	}
	if h.cfg.CgroupParent != "" {
		if left := JobCgroups(h.cfg.CgroupParent); len(left) > 0 {
			errs = append(errs, fmt.Errorf("host left job cgroups: %v", left))
		}
	}
	return errors.Join(errs...)
}

// CgroupParent is the cgroup parent of a host whose worker range starts at
// uidBase (0: the default range).
func CgroupParent(uidBase int) string {
	if uidBase == 0 {
		return "launchpad"
	}
	return fmt.Sprintf("launchpad-%d", uidBase)
}

// JobCgroups lists the job cgroups under parent, in every v1 hierarchy and
// in the v2 tree.
func JobCgroups(parent string) []string {
	var out []string
	for _, pat := range []string{"/sys/fs/cgroup/*/" + parent + "/*", "/sys/fs/cgroup/" + parent + "/*"} {
		m, _ := filepath.Glob(pat) // the patterns are well-formed
		for _, p := range m {
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				out = append(out, p)
			}
		}
	}
	return out
}
