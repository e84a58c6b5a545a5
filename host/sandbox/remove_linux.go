package sandbox

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// ErrTreeMoved: a folder changed place while removeTree was removing it.
var ErrTreeMoved = errors.New("folder moved while being removed")

// treeLevel is one folder on removeTree's path from its top to where it is:
// the name in its parent and the identity ".." must lead back to.
type treeLevel struct {
	name     string
	dev, ino uint64
}

// removeTree removes name (a file, a symlink or a folder tree) from the
// folder open at parent. A job can build a tree of any depth, so unlike
// os.RemoveAll (one descriptor per level: a 25,000-level tree failed with
// "too many open files") it holds at most two descriptors of its own
// whatever the depth: it keeps only the names and inode numbers of the path
// and climbs back through "..", checking each parent is the folder it came
// down from. It never follows a symlink: links are unlinked, not entered.
// Nothing may move folders inside the tree meanwhile (the job's processes
// are dead); if something does, it stops with ErrTreeMoved.
func removeTree(parent int, name string) error {
	err := unix.Unlinkat(parent, name, 0)
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	if !errors.Is(err, unix.EISDIR) {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	fd, top, err := openLevel(parent, name)
	if err != nil {
		return err
	}
	path := []treeLevel{top}
	buf := make([]byte, 8<<10)
	for {
		sub, err := emptyFilesOf(fd, buf)
		if err != nil {
			unix.Close(fd)
			return err
		}
		if sub != "" { // go down into the first subfolder
			child, lvl, err := openLevel(fd, sub)
			unix.Close(fd)
			if err != nil {
				return err
			}
			fd, path = child, append(path, lvl)
			continue
		}
		if len(path) == 1 { // the top folder is empty
			unix.Close(fd)
			return rmdirAt(parent, name)
		}
		up, err := climb(fd, path[len(path)-2])
		unix.Close(fd)
		if err != nil {
			return err
		}
		if err := rmdirAt(up, path[len(path)-1].name); err != nil {
			unix.Close(up)
			return err
		}
		fd, path = up, path[:len(path)-1]
	}
}

// openLevel opens the folder name in dir without following a symlink.
func openLevel(dir int, name string) (int, treeLevel, error) {
	fd, err := unix.Openat(dir, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, treeLevel{}, fmt.Errorf("open %s: %w", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, treeLevel{}, fmt.Errorf("stat %s: %w", name, err)
	}
	return fd, treeLevel{name: name, dev: st.Dev, ino: st.Ino}, nil
}

// climb opens the parent of the folder open at fd and checks it is want.
func climb(fd int, want treeLevel) (int, error) {
	up, lvl, err := openLevel(fd, "..")
	if err != nil {
		return -1, err
	}
	if lvl.dev != want.dev || lvl.ino != want.ino {
		unix.Close(up)
		return -1, fmt.Errorf("parent of a folder below %s: %w", want.name, ErrTreeMoved)
	}
	return up, nil
}

func rmdirAt(dir int, name string) error {
	if err := unix.Unlinkat(dir, name, unix.AT_REMOVEDIR); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("remove folder %s: %w", name, err)
	}
	return nil
}

// emptyFilesOf unlinks every non-folder entry of the folder open at fd
// (reading it into buf) and returns the name of a subfolder, or "" once the
// folder is empty. It reads the folder again after a pass that removed
// something, as readdir need not list entries of a folder changed while it
// is read.
func emptyFilesOf(fd int, buf []byte) (string, error) {
	for {
		if _, err := unix.Seek(fd, 0, 0); err != nil {
			return "", fmt.Errorf("rewind folder: %w", err)
		}
		removed := false
		for {
			n, err := unix.Getdents(fd, buf)
			if err != nil {
				return "", fmt.Errorf("read folder: %w", err)
			}
			if n == 0 {
				break
			}
			_, _, names := unix.ParseDirent(buf[:n], -1, nil)
			for _, e := range names {
				err := unix.Unlinkat(fd, e, 0)
				switch {
				case err == nil || errors.Is(err, unix.ENOENT):
					removed = true
				case errors.Is(err, unix.EISDIR):
					return e, nil
				default:
					return "", fmt.Errorf("remove %s: %w", e, err)
				}
			}
		}
		if !removed {
			return "", nil
		}
	}
}
