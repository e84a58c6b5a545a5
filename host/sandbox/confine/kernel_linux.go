package confine

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Kernel state that a process keeps across a uid switch unless told not to:
// its session keyring and its parent-death signal.

// errHostGone: the host died while sandbox-init was setting up the job.
var errHostGone = errors.New("the host is gone")

// joinFreshSessionKeyring gives the job a new, empty, anonymous session
// keyring (as runc does), so it cannot reach the keys of the session the
// host was started from (a login, a systemd service) or another job's. It
// runs as root, before the uid switch; the job still possesses the keyring
// afterwards (and the keyring syscalls are denied by seccomp anyway).
func joinFreshSessionKeyring() error {
	// A NULL name (not "") asks for a new anonymous keyring; x/sys/unix
	// has no wrapper for that.
	_, _, errno := unix.Syscall(unix.SYS_KEYCTL, unix.KEYCTL_JOIN_SESSION_KEYRING, 0, 0)
	if errno != 0 {
		return fmt.Errorf("join a new session keyring: %w", errno)
	}
	return nil
}

// dieWithHost makes the kernel SIGKILL sandbox-init (soon the launcher, pid 1
// of the job's PID namespace, whose death ends every process in it) when the
// host dies. The setting is cleared by the uid switch, so it is made after
// it; execve of a non-setuid file keeps it. The host may have died before
// the prctl: then the signal never comes, so check afterwards that the host
// is alive. getppid() is 0 across a PID namespace, so under full isolation
// the gate pipe, whose write end the host holds for the job's lifetime, is
// the witness: a hang-up means the host is gone.
func dieWithHost(s *Spec, hostPID int) error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("set parent death signal: %w", err)
	}
	if !s.Full {
		if unix.Getppid() != hostPID {
			return errHostGone
		}
		return nil
	}
	defer syscall.Close(s.GateFD)
	fds := []unix.PollFd{{Fd: int32(s.GateFD), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll gate: %w", err)
		}
		if n > 0 && fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0 {
			return errHostGone
		}
		return nil
	}
}
