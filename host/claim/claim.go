package claim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// DefaultDir is the machine-wide lock folder of root hosts. /run is
// root-only and emptied at boot, as locks of dead processes should be.
const DefaultDir = "/run/launchpad/locks"

var (
	// ErrHeld: a live host holds the claim; the message names that host's
	// state folder and the setting to change.
	ErrHeld = errors.New("claimed by a live host")
	// ErrUnsafeDir: the lock folder could be changed by another user.
	ErrUnsafeDir = errors.New("unsafe lock folder")
)

// Request is what a host claims. Zero fields are not claimed.
type Request struct {
	// Owner is the claiming host's state folder; it is written into each
	// lock file so a refused host can name the holder.
	Owner string
	// UIDBase and UIDCount: the worker range [UIDBase, UIDBase+UIDCount).
	// Any overlap with a live host's range is refused.
	UIDBase, UIDCount int
	// CgroupParent is the cgroup parent's name.
	CgroupParent string
	// WorkRoot is the parent folder of job folders (an absolute path).
	WorkRoot string
}

// Claims are held claims; Release drops them.
type Claims struct {
	dir   string
	files []*os.File
}

// Acquire takes every claim of req in the lock folder dir (created 0755 if
// missing) or none: a claim held by a live host is an error wrapping
// ErrHeld. A lock file left by a dead host is taken over.
func Acquire(dir string, req Request) (*Claims, error) {
	mu, err := lockFolder(dir)
	if err != nil {
		return nil, err
	}
	defer mu.Close() // closing drops the folder lock
	c := &Claims{dir: dir}
	if err := sweepDead(dir); err != nil {
		return nil, err
	}
	if err := c.take(req); err != nil {
		return nil, errors.Join(err, c.release())
	}
	for _, f := range c.files {
		if err := writeOwner(f, req.Owner); err != nil {
			return nil, errors.Join(err, c.release())
		}
	}
	return c, nil
}

func (c *Claims) take(req Request) error {
	if req.UIDCount > 0 {
		if err := c.takeRange(req); err != nil {
			return err
		}
	}
	if req.CgroupParent != "" {
		name := "cgroup-" + safeName(req.CgroupParent) + ".lock"
		what := fmt.Sprintf("cgroup parent %q", req.CgroupParent)
		if err := c.takeFile(name, what, "sandbox { cgroup_parent }"); err != nil {
			return err
		}
	}
	if req.WorkRoot != "" {
		sum := sha256.Sum256([]byte(filepath.Clean(req.WorkRoot)))
		name := "workroot-" + hex.EncodeToString(sum[:12]) + ".lock"
		what := fmt.Sprintf("work root %s", req.WorkRoot)
		if err := c.takeFile(name, what, "sandbox { work_root }"); err != nil {
			return err
		}
	}
	return nil
}

// takeRange refuses a range overlapping a live host's, removes the lock
// files of dead hosts' overlapping ranges and takes our own.
func (c *Claims) takeRange(req Request) error {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("list lock folder: %w", err)
	}
	own := rangeName(req.UIDBase, req.UIDCount)
	for _, e := range entries {
		base, count, ok := parseRange(e.Name())
		if !ok || e.Name() == own || base >= req.UIDBase+req.UIDCount || req.UIDBase >= base+count {
			continue
		}
		what := fmt.Sprintf("worker uid range [%d, %d) overlaps [%d, %d), which", req.UIDBase,
			req.UIDBase+req.UIDCount, base, base+count)
		f, err := c.lock(e.Name(), what, "sandbox { uid_base }")
		if err != nil {
			return err
		}
		// Its owner is gone: the file goes (we hold the folder lock, so
		// no one else has it open for locking).
		rmErr := os.Remove(filepath.Join(c.dir, e.Name()))
		if err := errors.Join(rmErr, f.Close()); err != nil {
			return fmt.Errorf("remove a dead host's claim: %w", err)
		}
	}
	what := fmt.Sprintf("worker uid range [%d, %d)", req.UIDBase, req.UIDBase+req.UIDCount)
	return c.takeFile(own, what, "sandbox { uid_base }")
}

func (c *Claims) takeFile(name, what, setting string) error {
	f, err := c.lock(name, what, setting)
	if err != nil {
		return err
	}
	c.files = append(c.files, f)
	return nil
}

// lock opens (creating) and flocks a lock file without waiting.
func (c *Claims) lock(name, what, setting string) (*os.File, error) {
	p := filepath.Join(c.dir, name)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open claim %s: %w", p, err)
	}
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		owner := readOwner(f)
		f.Close()
		return nil, fmt.Errorf("%s is claimed by the host with state folder %s; set %s to one of this host's own "+
			"(lock %s): %w", what, owner, setting, p, ErrHeld)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock claim %s: %w", p, err)
	}
	return f, nil
}

// sweepDead removes the lock files of dead hosts (no one holds their
// lock), which a host killed with -9 leaves behind. The folder lock is
// held, so no one else is opening them.
func sweepDead(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list lock folder: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".lock") {
			continue
		}
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDWR|unix.O_NOFOLLOW, 0)
		if err != nil {
			continue // gone meanwhile, or not a plain file: not ours to judge
		}
		if unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			if err := os.Remove(f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
				f.Close()
				return fmt.Errorf("remove a dead host's claim: %w", err)
			}
		}
		f.Close()
	}
	return nil
}

// Release drops the claims and removes their lock files.
func (c *Claims) Release() error {
	if c == nil {
		return nil
	}
	mu, err := lockFolder(c.dir)
	if err != nil {
		return errors.Join(err, c.closeAll())
	}
	defer mu.Close()
	return c.release()
}

// release removes the lock files while the folder lock is held, so no one
// can be waiting on a file we unlink.
func (c *Claims) release() error {
	var errs []error
	for _, f := range c.files {
		if err := os.Remove(f.Name()); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(append(errs, c.closeAll())...)
}

func (c *Claims) closeAll() error {
	var errs []error
	for _, f := range c.files {
		errs = append(errs, f.Close())
	}
	c.files = nil
	return errors.Join(errs...)
}

// lockFolder makes dir if missing, checks no one else can change it and
// takes its folder lock (held briefly, while claims are looked at).
func lockFolder(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("make lock folder: %w", err)
	}
	for p := dir; ; p = filepath.Dir(p) {
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return nil, fmt.Errorf("lock folder: %w", err)
		}
		if st.Uid != 0 && int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 && st.Mode&unix.S_ISVTX == 0 {
			return nil, fmt.Errorf("%s (lock folder %s) could be changed by uid %d or others (mode %o): %w",
				p, dir, st.Uid, st.Mode&0o7777, ErrUnsafeDir)
		}
		if p == "/" || p == "." {
			break
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, ".folder.lock"), os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock folder's lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the lock folder: %w", err)
	}
	return f, nil
}

func rangeName(base, count int) string { return fmt.Sprintf("uid-%d-%d.lock", base, count) }

func parseRange(name string) (base, count int, ok bool) {
	s, ok := strings.CutPrefix(name, "uid-")
	if !ok {
		return 0, 0, false
	}
	s, ok = strings.CutSuffix(s, ".lock")
	b, n, ok2 := strings.Cut(s, "-")
	if !ok || !ok2 {
		return 0, 0, false
	}
	base, err1 := strconv.Atoi(b)
	count, err2 := strconv.Atoi(n)
	return base, count, err1 == nil && err2 == nil && count > 0
}

// safeName keeps a cgroup parent's name readable in a file name; anything
// but letters, digits, '-', '_' and '.' is escaped.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, "%%%02x", r)
		}
	}
	return b.String()
}

func writeOwner(f *os.File, owner string) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(fmt.Sprintf("%s\npid %d\n", owner, os.Getpid())), 0)
	return err
}

// readOwner is the holder's state folder and pid, as it wrote them.
func readOwner(f *os.File) string {
	b := make([]byte, 4096)
	n, _ := f.ReadAt(b, 0)
	lines := strings.SplitN(strings.TrimSpace(string(b[:n])), "\n", 2)
	if lines[0] == "" {
		return "(unknown: the holder has not written its name yet)"
	}
	if len(lines) == 2 {
		return lines[0] + " (" + lines[1] + ")"
	}
	return lines[0]
}
