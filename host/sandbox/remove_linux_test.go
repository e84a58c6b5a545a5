package sandbox

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// buildDeepTree makes dir/tree, depth folders deep, one descriptor at a
// time; every level holds a file and a symlink to victim, every 1000th a few
// side folders too.
func buildDeepTree(t *testing.T, dir string, depth int, victim string) {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	name := "tree"
	for i := 0; i < depth; i++ {
		if err := unix.Mkdirat(fd, name, 0o700); err != nil {
			t.Fatal(err)
		}
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd, name = next, "d"
		f, err := unix.Openat(fd, "f", unix.O_CREAT|unix.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		unix.Close(f)
		if err := unix.Symlinkat(victim, fd, "link"); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 0 {
			for _, side := range []string{"a", "b", "c"} {
				if err := unix.Mkdirat(fd, side, 0o000); err != nil { // even unreadable ones
					t.Fatal(err)
				}
			}
		}
	}
	unix.Close(fd)
}

// withFDLimit runs fn with the soft RLIMIT_NOFILE set to the descriptors
// open now plus extra.
func withFDLimit(t *testing.T, extra int, fn func()) {
	t.Helper()
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	low := old
	low.Cur = uint64(openFDs(t) + extra)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
			t.Fatal(err)
		}
	}()
	fn()
}

func TestRemoveTree_DeepTreeInBoundedDescriptors(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: the tree has folders of mode 0 that only root may enter")
	}
	// A tmpfs keeps the 100,000 creations and removals quick on a busy disk.
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=256m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	victim := filepath.Join(dir, "victim")
	if err := os.Mkdir(victim, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(victim, "keep"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	const depth = 25000
	start := time.Now()
	buildDeepTree(t, dir, depth, victim)
	t.Logf("built a %d-level tree in %v", depth, time.Since(start))
	if err := os.Symlink(victim, filepath.Join(dir, "toplink")); err != nil {
		t.Fatal(err)
	}
	parent, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(parent)
	// The old os.RemoveAll needed one descriptor per level; 16 spare ones
	// must do for any depth.
	start = time.Now()
	withFDLimit(t, 16, func() {
		for _, name := range []string{"tree", "toplink", "absent"} {
			if err := removeTree(parent, name); err != nil {
				t.Errorf("removeTree(%s): %v", name, err)
			}
		}
	})
	t.Logf("removed it in %v", time.Since(start))
	for _, name := range []string{"tree", "toplink"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s still there: %v", name, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(victim, "keep")); err != nil || string(b) != "x" {
		t.Errorf("a symlink was followed: victim's file %q, %v", b, err)
	}
}

func TestRemoveTree_StopsWhenTheTreeMoves(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "tree", "a", "b"), 0o700); err != nil {
		t.Fatal(err)
	}
	fd, lvl, err := openLevel(unix.AT_FDCWD, filepath.Join(dir, "tree", "a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	// "b" is moved out from under "a": climbing from it must notice.
	if err := os.Rename(filepath.Join(dir, "tree", "a", "b"), filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	want := treeLevel{name: "a"}
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(dir, "tree", "a"), &st); err != nil {
		t.Fatal(err)
	}
	want.dev, want.ino = st.Dev, st.Ino
	if _, err := climb(fd, want); err == nil {
		t.Fatalf("climb from moved %s succeeded", lvl.name)
	}
}
