package claim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// StateFile is the lock file a running host holds in its state folder.
const StateFile = "host.lock"

// ErrStateInUse: another live host runs on this state folder.
var ErrStateInUse = errors.New("state folder in use")

// State is a held state-folder lock.
type State struct{ f *os.File }

// LockState takes the state folder's lock without waiting. It is the
// first thing a host does: a second host on the same configuration stops
// here, before it has changed anything.
func LockState(dir string) (*State, error) {
	p := filepath.Join(dir, StateFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state lock: %w", err)
	}
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		owner := readOwner(f)
		f.Close()
		return nil, fmt.Errorf("another host is already running on state folder %s (its lock %s is held by %s): "+
			"stop it first, or give this host its own state_dir: %w", dir, p, owner, ErrStateInUse)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock state folder: %w", err)
	}
	if err := writeOwner(f, "launchpad"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write state lock: %w", err)
	}
	return &State{f: f}, nil
}

// Unlock drops the lock (the file stays: removing it would race with a
// host waiting to open it).
func (s *State) Unlock() error {
	if s == nil || s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
