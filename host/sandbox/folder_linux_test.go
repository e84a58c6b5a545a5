package sandbox

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/openlaunchpad/launchpad/host/sandbox/confine"
	"golang.org/x/sys/unix"
)

// plantVictim makes a folder of another user (nobody) holding a file: what
// a local user would point a symlink at.
func plantVictim(t *testing.T) (dir, file string) {
	t.Helper()
	dir = filepath.Join(scratch(t), "victim")
	file = filepath.Join(dir, "precious")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("keep"), 0o640); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, file} {
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	return dir, file
}

func victimUnharmed(t *testing.T, dir, file string) {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode&0o7777 != 0o750 || st.Uid != 65534 {
		t.Errorf("victim folder now mode %o uid %d, want 750 65534", st.Mode&0o7777, st.Uid)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep" {
		t.Errorf("victim file: %q, %v", b, err)
	}
}

func TestNewManager_RefusesUnsafeWorkRoot(t *testing.T) {
	requireRoot(t)
	cases := map[string]func(t *testing.T, root, victim string){
		"SymlinkToAnotherUsersFolder": func(t *testing.T, root, victim string) {
			if err := os.Symlink(victim, root); err != nil {
				t.Fatal(err)
			}
		},
		"FolderOfAnotherUser": func(t *testing.T, root, _ string) {
			if err := os.Mkdir(root, 0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(root, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		},
		"BelowAWorldWritableFolder": func(t *testing.T, root, _ string) {
			if err := os.Chmod(filepath.Dir(root), 0o777); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, plant := range cases {
		t.Run(name, func(t *testing.T) {
			victim, file := plantVictim(t)
			cfg := testConfig(t)
			plant(t, cfg.WorkRoot, victim)
			_, err := NewManager(cfg, hclog.New(&hclog.LoggerOptions{Output: io.Discard}))
			if !errors.Is(err, ErrUnsafeWorkRoot) {
				t.Fatalf("NewManager: %v, want ErrUnsafeWorkRoot", err)
			}
			t.Logf("refused: %v", err)
			victimUnharmed(t, victim, file)
		})
	}
}

// TestManager_CleanupNeverFollowsSymlinks: leftovers in the work root (a
// symlink at a job folder's place, a folder holding links, a deep tree, a
// still-mounted job disk) are removed without touching what links point at.
func TestManager_CleanupNeverFollowsSymlinks(t *testing.T) {
	requireRoot(t)
	victim, file := plantVictim(t)
	cfg := testConfig(t)
	m := newManager(t, cfg)
	root := cfg.WorkRoot
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(victim, filepath.Join(root, "0badc0de")))
	must(os.MkdirAll(filepath.Join(root, "feedf00d", "tmp"), 0o700))
	must(os.Symlink(victim, filepath.Join(root, "feedf00d", "tmp", "link")))
	must(os.Symlink(file, filepath.Join(root, "feedf00d", "filelink")))
	deep := filepath.Join(root, "deadbeef")
	must(os.Mkdir(deep, 0o700))
	must(unix.Mount("tmpfs", deep, "tmpfs", 0, "size=1m"))
	must(os.Symlink(victim, filepath.Join(deep, "link")))
	if err := m.Cleanup(); err != nil {
		t.Fatalf("Cleanup: %v", err)
	}
	if left, _ := os.ReadDir(root); len(left) != 0 {
		t.Errorf("work root still holds %v", left)
	}
	if mounts, _ := confine.MountsUnder(root); len(mounts) != 0 {
		t.Errorf("still mounted: %v", mounts)
	}
	victimUnharmed(t, victim, file)
}

// TestJob_DiskLimitIsTheJobsAlone: a job writing past its disk limit gets
// ENOSPC and DiskFull, while another job writes at the same time, and its
// folder (a tmpfs) is gone after Close.
func TestJob_DiskLimitIsTheJobsAlone(t *testing.T) {
	requireRoot(t)
	cfg := testConfig(t)
	cfg.DiskBytes = 8 << 20
	m := newManager(t, cfg)
	hog := newJob(t, m, Limits{MemoryBytes: 256 << 20})
	other := newJob(t, m, Limits{MemoryBytes: 256 << 20})
	var wg sync.WaitGroup
	var ro result
	wg.Add(1)
	go func() {
		defer wg.Done()
		ro = sh(t, other, `dd if=/dev/zero of=/tmp/f bs=1M count=6 2>&1 && echo ok`)
	}()
	r := sh(t, hog, `dd if=/dev/zero of=/tmp/a bs=1M count=5 2>&1; dd if=/dev/zero of=$HOME/b bs=1M count=64 2>&1; echo "dd=$?"`)
	wg.Wait()
	if !strings.Contains(r.stdout, "No space left on device") || !r.stats.DiskFull {
		t.Errorf("hog: DiskFull=%v, output:\n%s%s", r.stats.DiskFull, r.stdout, r.stderr)
	}
	if !strings.Contains(ro.stdout, "ok") || ro.stats.DiskFull {
		t.Errorf("other job: DiskFull=%v, output:\n%s%s", ro.stats.DiskFull, ro.stdout, ro.stderr)
	}
	var fs unix.Statfs_t
	if err := unix.Statfs(hog.Dir, &fs); err != nil || fs.Type != unix.TMPFS_MAGIC {
		t.Errorf("job folder is not a tmpfs: type %x, %v", fs.Type, err)
	}
	dir := hog.Dir
	if err := hog.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Errorf("job folder left: %v", err)
	}
	if mounts, _ := confine.MountsUnder(cfg.WorkRoot); len(mounts) != 1 {
		t.Errorf("mounts under the work root: %v, want only the other job's", mounts)
	}
}

// deepTreePy builds a tree d/d/d/… argv[1] levels deep with mkdir + chdir.
// It is slow: Landlock checks each access by walking up to the job folder,
// so each level costs as much as the depth (25,000 levels take minutes; a
// job cannot build the tree bottom up by renaming, having no Landlock right
// to move folders between folders).
const deepTreePy = `import os, sys, time
n = int(sys.argv[1]) if len(sys.argv) > 1 else 25000
start = time.time()
for _ in range(n):
    os.mkdir('d')
    os.chdir('d')
print('built', n, 'in', round(time.time() - start, 1), 's')`

// TestJob_DeepTreeIsRemovedAtClose: a job builds a deep tree; Close removes
// it (the job's disk is unmounted whatever its depth; e2e's
// TestHostile_DeepFolderTreeIsRemoved does 25,000 levels) and frees the
// worker.
func TestJob_DeepTreeIsRemovedAtClose(t *testing.T) {
	requireRoot(t)
	cfg := testConfig(t)
	cfg.WorkerCount = 1
	m := newManager(t, cfg)
	j := newJob(t, m, Limits{MemoryBytes: 512 << 20})
	r := run(t, j, openExe(t, python), "-c", deepTreePy, "5000")
	if !strings.Contains(r.stdout, "built") {
		t.Fatalf("build tree: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Lstat(j.Dir); !os.IsNotExist(err) {
		t.Errorf("job folder left: %v", err)
	}
	// One worker: the next job gets it only if the first was not quarantined.
	next, err := m.NewJob(context.Background(), "next", Limits{})
	if err != nil {
		t.Fatalf("next job: %v", err)
	}
	if err := next.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestManager_CleanupSweepsDeepTreeLeftover: a crashed host left a job
// folder (not a mount) holding a 25,000-level tree; Cleanup removes it
// with the host's descriptors limited.
func TestManager_CleanupSweepsDeepTreeLeftover(t *testing.T) {
	requireRoot(t)
	cfg := testConfig(t)
	// On a tmpfs (not a mount below the work root, which Cleanup would just
	// detach) so the 100,000 creations and removals are quick.
	scratchDir := filepath.Dir(cfg.WorkRoot)
	if err := unix.Mount("tmpfs", scratchDir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=256m,mode=0711"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(scratchDir, unix.MNT_DETACH) })
	m := newManager(t, cfg)
	buildDeepTree(t, cfg.WorkRoot, 25000, "/")
	withFDLimit(t, 32, func() {
		if err := m.Cleanup(); err != nil {
			t.Errorf("Cleanup: %v", err)
		}
	})
	if left, _ := os.ReadDir(cfg.WorkRoot); len(left) != 0 {
		t.Errorf("work root still holds %v", left)
	}
}
