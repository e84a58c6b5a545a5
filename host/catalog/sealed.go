package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// sealedCache keeps each registered launcher's verified bytes, sealed in a
// memfd, so a launcher is hashed and its signature checked once per
// registration (and again whenever its files change), not once per job.
// A job then checks only the trust state: the registration, the key and
// the files' stamps.
type sealedCache struct {
	mu      sync.Mutex
	entries map[string]*sealed // by launcher name
}

// sealed is one launcher verified for one registration.
type sealed struct {
	launcher Launcher // Exe is the cache's own descriptor
	entry    Entry
	stamp    stamp
}

// stamp is what a launcher's binary and signature files looked like when
// they were verified. A write, rename, chmod or chown of either changes it
// (ctime), and so does pointing a symlink on the way elsewhere (real).
type stamp struct {
	real     string
	bin, sig fileStamp
}

type fileStamp struct {
	dev, ino, size uint64
	mtime, ctime   unix.Timespec
	mode, uid      uint32
}

// stampOf stamps the files of a registration; it is taken before they are
// read, so a change during verification shows as a stale stamp next time.
func stampOf(path string) (stamp, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return stamp{}, err
	}
	s := stamp{real: real}
	for _, f := range []struct {
		path string
		to   *fileStamp
	}{{real, &s.bin}, {real + ".minisig", &s.sig}} {
		var st unix.Stat_t
		if err := unix.Lstat(f.path, &st); err != nil {
			return stamp{}, err
		}
		*f.to = fileStamp{dev: st.Dev, ino: st.Ino, size: uint64(st.Size), mtime: st.Mtim, ctime: st.Ctim,
			mode: st.Mode, uid: st.Uid}
	}
	return s, nil
}

// identity names one registration of one verified binary under one key:
// the warm pool discards runtimes whose launcher's identity changed.
func identity(e *Entry) string {
	return e.Name + "@" + e.SHA256 + "/" + e.KeyID + "/" + strconv.FormatInt(e.RegisteredAt.UnixNano(), 10)
}

// lookup returns a copy of the cached launcher for entry, with its own
// descriptor of the sealed bytes, when the registration, its key and its
// files are still those verified; ok is false when it must be verified
// afresh (or a trust error when its key is no longer trusted).
//
// folders checks the folders above the binary as verification did: a
// plugin folder that became writable to others is refused even though the
// sealed bytes are safe, since the operator's trust rests on it.
func (sc *sealedCache) lookup(entry *Entry, trust []Publisher, folders func(real string) error) (*Launcher, bool, error) {
	sc.mu.Lock()
	s := sc.entries[entry.Name]
	sc.mu.Unlock()
	if s == nil || s.entry.SHA256 != entry.SHA256 || s.entry.Path != entry.Path ||
		s.entry.KeyID != entry.KeyID || !s.entry.RegisteredAt.Equal(entry.RegisteredAt) {
		return nil, false, nil
	}
	if _, err := findKey(trust, s.entry.KeyID); err != nil {
		return nil, false, err
	}
	now, err := stampOf(entry.Path)
	if err != nil || now != s.stamp {
		return nil, false, nil
	}
	if err := folders(now.real); err != nil {
		return nil, false, err
	}
	l, err := s.copy()
	if err != nil {
		return nil, false, err
	}
	return l, true, nil
}

// store caches a freshly verified launcher (keeping its own duplicate of
// l.Exe) and replaces what was cached for the name.
func (sc *sealedCache) store(entry Entry, st stamp, l *Launcher) error {
	exe, err := dupFile(l.Exe)
	if err != nil {
		return err
	}
	s := &sealed{launcher: *l, entry: entry, stamp: st}
	s.launcher.Exe = exe
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.entries == nil {
		sc.entries = map[string]*sealed{}
	}
	if old := sc.entries[entry.Name]; old != nil {
		old.launcher.Exe.Close()
	}
	sc.entries[entry.Name] = s
	return nil
}

// close drops every cached memfd.
func (sc *sealedCache) close() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for name, s := range sc.entries {
		s.launcher.Exe.Close()
		delete(sc.entries, name)
	}
}

func (s *sealed) copy() (*Launcher, error) {
	exe, err := dupFile(s.launcher.Exe)
	if err != nil {
		return nil, err
	}
	l := s.launcher
	l.Exe = exe
	return &l, nil
}

// dupFile duplicates f's descriptor (close-on-exec): the sealed bytes
// cannot change, and exec through a descriptor ignores its offset.
func dupFile(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: duplicate sealed launcher: %w", ErrHostFault, err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}
