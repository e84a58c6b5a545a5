package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/openlaunchpad/launchpad/host/sandbox/confine"
	"golang.org/x/sys/unix"
)

// ErrUnsafeWorkRoot: the work root, or a folder above it, could be changed
// by someone other than root (or the host's own user): a symlink, a folder
// owned by another user, a group- or world-writable folder without the
// sticky bit.
var ErrUnsafeWorkRoot = errors.New("unsafe work root")

// workRoot is the open parent of job folders. Every job folder is created,
// mounted, swept and removed relative to fd, never by following a path a
// local user could have redirected.
type workRoot struct {
	path string
	fd   int
}

// openWorkRoot creates (if missing) and opens the work root with mode,
// owned by the host's euid. It refuses a symlink, a folder owned by anyone
// else, and a path below a folder others could rename it out of.
func openWorkRoot(path string, mode uint32) (*workRoot, error) {
	parent := filepath.Dir(path)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create parent of work root: %w", err)
	}
	if err := checkAncestors(parent); err != nil {
		return nil, err
	}
	if err := unix.Mkdir(path, mode); err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("create work root: %w", err)
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("work root %s (a symlink is refused): %w: %w", path, err, ErrUnsafeWorkRoot)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("stat work root: %w", err)
	}
	if int(st.Uid) != os.Geteuid() {
		unix.Close(fd)
		return nil, fmt.Errorf("work root %s belongs to uid %d, not to the host (uid %d): %w", path, st.Uid, os.Geteuid(), ErrUnsafeWorkRoot)
	}
	if err := unix.Fchmod(fd, mode); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("chmod work root: %w", err)
	}
	return &workRoot{path: path, fd: fd}, nil
}

// checkAncestors checks every folder from / down to dir (symlinks resolved)
// belongs to root or the host's euid and is not writable by others unless
// sticky: otherwise someone could swap the work root for a folder or link
// of their choice.
func checkAncestors(dir string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", dir, err)
	}
	for p := real; ; p = filepath.Dir(p) {
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return fmt.Errorf("stat %s: %w", p, err)
		}
		if st.Uid != 0 && int(st.Uid) != os.Geteuid() {
			return fmt.Errorf("%s (above the work root) belongs to uid %d: %w", p, st.Uid, ErrUnsafeWorkRoot)
		}
		if st.Mode&0o022 != 0 && st.Mode&unix.S_ISVTX == 0 {
			return fmt.Errorf("%s (above the work root) is writable by others (mode %o): %w", p, st.Mode&0o7777, ErrUnsafeWorkRoot)
		}
		if p == "/" {
			return nil
		}
	}
}

func (w *workRoot) close() error { return unix.Close(w.fd) }

// join is the path of a job folder (for the job, which sees the same path).
func (w *workRoot) join(name string) string { return filepath.Join(w.path, name) }

// openJob opens the job folder name without following a symlink.
func (w *workRoot) openJob(name string) (int, error) {
	fd, err := unix.Openat(w.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open job folder %s: %w", name, err)
	}
	return fd, nil
}

// makeJobFolder creates a fresh job folder with a random name (never
// adopting one that exists), mounts its disk (a tmpfs of diskBytes; 0: none)
// and creates its tmp and sock folders, all owned by uid/gid and 0700.
func (w *workRoot) makeJobFolder(uid, gid int, diskBytes int64) (name string, mounted bool, err error) {
	for try := 0; ; try++ {
		name = folderName()
		err = unix.Mkdirat(w.fd, name, 0o700)
		if !errors.Is(err, unix.EEXIST) || try == 2 {
			break
		}
	}
	if err != nil {
		return "", false, fmt.Errorf("create working folder: %w", err)
	}
	if diskBytes > 0 {
		if err := w.mountDisk(name, uid, gid, diskBytes); err != nil {
			return name, false, err
		}
		mounted = true
	}
	fd, err := w.openJob(name)
	if err != nil {
		return name, mounted, err
	}
	defer unix.Close(fd)
	if err := unix.Fchown(fd, uid, gid); err != nil {
		return name, mounted, fmt.Errorf("chown working folder: %w", err)
	}
	for _, sub := range []string{"tmp", "sock"} {
		if err := unix.Mkdirat(fd, sub, 0o700); err != nil {
			return name, mounted, fmt.Errorf("create %s: %w", sub, err)
		}
		if err := unix.Fchownat(fd, sub, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return name, mounted, fmt.Errorf("chown %s: %w", sub, err)
		}
	}
	return name, mounted, nil
}

// mountDisk mounts a tmpfs of size bytes on the job folder name: the job's
// disk limit, enforced by the kernel (ENOSPC). It is mounted through the
// folder's descriptor (/proc/self/fd/N), so a path swapped meanwhile cannot
// redirect it. One inode per 4 KiB of the limit bounds empty files too.
func (w *workRoot) mountDisk(name string, uid, gid int, size int64) error {
	fd, err := w.openJob(name)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	inodes := max(size/4096, 1024)
	opts := fmt.Sprintf("size=%d,nr_inodes=%d,mode=0700,uid=%d,gid=%d", size, inodes, uid, gid)
	target := "/proc/self/fd/" + strconv.Itoa(fd)
	if err := unix.Mount("tmpfs", target, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mount the job's disk (tmpfs %s): %w", opts, err)
	}
	return nil
}

// diskFull reports whether the job folder name is a full disk (less than
// 1 MiB or no inode left): the job hit its disk limit.
func (w *workRoot) diskFull(name string) (bool, error) {
	fd, err := w.openJob(name)
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	var fs unix.Statfs_t
	if err := unix.Fstatfs(fd, &fs); err != nil {
		return false, fmt.Errorf("statfs job folder: %w", err)
	}
	return fs.Bavail*uint64(fs.Bsize) < 1<<20 || fs.Ffree == 0, nil
}

// removeJobFolder unmounts the job folder's disk, which drops whatever tree
// the job built at once, and removes the folder (any tree, in bounded
// descriptors, without following symlinks).
func (w *workRoot) removeJobFolder(name string, mounted bool) error {
	if mounted {
		if err := unix.Unmount(w.join(name), unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil {
			return fmt.Errorf("unmount job disk %s: %w", name, err)
		}
	}
	return removeTree(w.fd, name)
}

// sweep unmounts every mount below the work root (deepest first) and
// removes every entry in it: what a crashed host left. It returns the
// removed names.
func (w *workRoot) sweep() ([]string, error) {
	mounts, err := confine.MountsUnder(w.path)
	if err != nil {
		return nil, err
	}
	sort.Sort(sort.Reverse(sort.StringSlice(mounts)))
	var errs []error
	for _, mp := range mounts {
		if err := unix.Unmount(mp, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW); err != nil && !errors.Is(err, unix.EINVAL) {
			errs = append(errs, fmt.Errorf("unmount leftover %s: %w", mp, err))
		}
	}
	names, err := w.list()
	if err != nil {
		return nil, errors.Join(append(errs, err)...)
	}
	var removed []string
	for _, n := range names {
		if err := removeTree(w.fd, n); err != nil {
			errs = append(errs, fmt.Errorf("remove leftover %s: %w", w.join(n), err))
			continue
		}
		removed = append(removed, n)
	}
	return removed, errors.Join(errs...)
}

// list returns the names in the work root, read through its descriptor.
func (w *workRoot) list() ([]string, error) {
	fd, err := unix.Openat(w.fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("list work root: %w", err)
	}
	f := os.NewFile(uintptr(fd), w.path)
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list work root: %w", err)
	}
	return names, nil
}
