package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Files and disks (issue 11, findings 8-10): a job or a local user must not
// make the root host chmod, chown or delete through a symlink, fill the disk
// other jobs need, or build a folder tree the host cannot remove.

// filesUIDBase is a worker range of its own for each host these tests start
// (above the main host's pid-derived range, below 2^31).
func filesUIDBase(k int) int { return extraUIDBase(10 + k) }

// startHostAt starts a dev host with the built binaries in binDir (a fresh
// root-owned /var/tmp folder, as the catalog demands), its state folder at
// state (created if missing) and the given configuration. Unlike
// startExtraHost, state may be anywhere (under /tmp, say) and may be reused
// by a later host. The host is stopped when the test ends.
func startHostAt(t *testing.T, binDir, state, hcl string) *host {
	t.Helper()
	h := &host{dir: binDir, bin: filepath.Join(binDir, "bin", "launchpad"), state: state}
	h.sock = filepath.Join(state, "launchpad.sock")
	if _, err := os.Stat(h.bin); err != nil {
		for _, name := range builtBinaries {
			if err := copyFile(filepath.Join(theHost.dir, "bin", name), filepath.Join(binDir, "bin", name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg := filepath.Join(binDir, "launchpad.hcl")
	if err := os.WriteFile(cfg, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	h.uidBase = configUIDBase(hcl)
	h.launch(t, []string{"dev", "--state", state, "--isolation", isolation(), "--log-level", "debug", "--config", cfg})
	t.Cleanup(func() { h.stopKeep(t) })
	return h
}

// stopKeep stops the host with SIGTERM if it still runs, keeping its folders
// (the test removes them). It is idempotent.
func (h *host) stopKeep(t *testing.T) {
	if err := h.proc.Stop(45 * time.Second); err != nil {
		t.Error(err)
	}
}

// crash SIGKILLs the host, as a power cut or the OOM killer would.
func (h *host) crash(t *testing.T) {
	t.Helper()
	h.proc.Kill()
}

// tempDirIn makes a root-owned 0711 folder under parent, removed at the end.
// (host/sandbox's tests make theirs the same way: test code of two packages,
// which cannot import each other's.)
func tempDirIn(t *testing.T, parent, pattern string) string {
	t.Helper()
	d, err := os.MkdirTemp(parent, pattern)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o711); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// victimFolder is a folder of another user (nobody) with a file in it.
// (host/sandbox's folder tests build and check the same fixture on the
// manager directly; the e2e tests cannot import their test code.)
func victimFolder(t *testing.T) (dir, file string) {
	t.Helper()
	dir = tempDirIn(t, "/var/tmp", "lp-victim-")
	file = filepath.Join(dir, "precious")
	if err := os.WriteFile(file, []byte("keep me"), 0o640); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, file} {
		if err := os.Chown(p, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

// checkVictim fails unless the victim folder is as victimFolder made it.
// Like host/sandbox's folder tests' check: e2e cannot import their test code.
func checkVictim(t *testing.T, dir, file string) {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(dir, &st); err != nil {
		t.Fatalf("victim folder: %v", err)
	}
	if st.Mode&0o7777 != 0o750 || st.Uid != 65534 || st.Gid != 65534 {
		t.Errorf("victim folder is now mode %o owner %d:%d, want 750 65534:65534", st.Mode&0o7777, st.Uid, st.Gid)
	}
	if b, err := os.ReadFile(file); err != nil || string(b) != "keep me" {
		t.Errorf("victim file: %q, %v", b, err)
	}
}

// TestHostile_DevWorkRootSymlinkIsNotFollowed: `launchpad dev` with its
// state under /tmp used the predictable /var/tmp/launchpad-jobs-<hash of the
// state path>; a local user's symlink there made the root host chown and
// chmod a folder of the user's choice and, at the next start, delete its
// contents. The host must neither follow the symlink nor use the path.
func TestHostile_DevWorkRootSymlinkIsNotFollowed(t *testing.T) {
	requireRoot(t)
	state := filepath.Join(tempDirIn(t, "/tmp", "lp-state-"), "state")
	sum := sha256.Sum256([]byte(state))
	predictable := "/var/tmp/launchpad-jobs-" + hex.EncodeToString(sum[:4])
	victim, file := victimFolder(t)
	if err := os.Symlink(victim, predictable); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(predictable) })
	bin := tempDirIn(t, "/var/tmp", "lpf-")
	hcl := fmt.Sprintf("sandbox {\n  workers = 2\n  uid_base = %d\n}\n", filesUIDBase(0))
	for round := 0; round < 2; round++ { // the second start sweeps leftovers
		h := startHostAt(t, bin, state, hcl)
		if err := healthyJob(t, h); err != nil {
			t.Fatal(err)
		}
		checkVictim(t, victim, file)
		h.stopKeep(t)
	}
	checkVictim(t, victim, file)
	if target, err := os.Readlink(predictable); err != nil || target != victim {
		t.Errorf("the planted link was changed: %q, %v", target, err)
	}
}

// diskHostHCL is a host with a small disk limit and memory to spare, so
// that the disk limit, not the memory limit, is what a writer hits.
func diskHostHCL(k int) string {
	return fmt.Sprintf(`
limits {
  disk   = "64MiB"
  memory = "512MiB"
}
sandbox {
  workers  = 3
  uid_base = %d
}
`, filesUIDBase(k))
}

// writeScript writes mib MiB into folder (an expression) and reports it.
func writeScript(folder string, mib int) string {
	return fmt.Sprintf(`import os
path = os.path.join(%s, 'fill')
with open(path, 'wb') as f:
    for _ in range(%d):
        f.write(b'x' * (1 << 20))
        f.flush()
print('wrote', os.path.getsize(path))`, folder, mib)
}

// TestHostile_DiskLimitEndsWritersClearly: a job filling its folder or /tmp
// hits its own disk limit (ENOSPC, reported as the disk limit), while a job
// running at the same time and the next one can still write.
func TestHostile_DiskLimitEndsWritersClearly(t *testing.T) {
	requireRoot(t)
	h := startExtraHost(t, diskHostHCL(1))
	for _, folder := range []string{"os.environ['TMPDIR']", "os.getcwd()", "'/tmp'"} {
		t.Run(folder, func(t *testing.T) {
			var wg sync.WaitGroup
			var other result
			wg.Add(1)
			go func() {
				defer wg.Done()
				other = h.exec(t, "--language", "Python", "--script", writeScript("'/tmp'", 32))
			}()
			start := time.Now()
			r := h.exec(t, "--language", "Python", "--script", writeScript(folder, 400))
			mustFail(t, r, "limit exceeded (disk)", "disk limit of 67108864 bytes")
			t.Logf("ended after %v: %.300s", time.Since(start).Round(time.Millisecond), lastLine(r.stderr))
			wg.Wait()
			if other.code != 0 || !strings.Contains(other.stdout+other.stderr, "wrote 33554432") {
				t.Errorf("a concurrent job could not write 32 MiB: exit %d\n%s%s", other.code, other.stdout, tail(other.stderr, 2000))
			}
			next := h.exec(t, "--language", "Python", "--script", writeScript("os.getcwd()", 48))
			if next.code != 0 || !strings.Contains(next.stdout+next.stderr, "wrote 50331648") {
				t.Errorf("the next job could not write 48 MiB: exit %d\n%s%s", next.code, next.stdout, tail(next.stderr, 2000))
			}
		})
	}
}

// deepTreeScript builds a folder tree depth levels deep below the job's
// folder (mkdir + chdir: no path is ever longer than PATH_MAX). It takes
// minutes for 25,000 levels: Landlock checks each access by walking up to
// the job folder, so each level costs as much as the depth.
func deepTreeScript(depth int) string {
	return fmt.Sprintf(`import os
n = 0
for _ in range(%d):
    os.mkdir('d')
    os.chdir('d')
    n += 1
print('deep', n)`, depth)
}

// jobFolders lists what is left in a host's work root.
// waitNoJobFolders waits up to 10 s for the work root to empty (a sandbox
// goes after its job's result) and returns what is left.
func waitNoJobFolders(t *testing.T, workRoot string) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := jobFolders(t, workRoot)
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jobFolders(t *testing.T, workRoot string) []string {
	t.Helper()
	ents, err := os.ReadDir(workRoot)
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("list work root: %v", err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// TestHostile_DeepFolderTreeIsRemoved: a 25,000-level tree made teardown
// fail with "too many open files", quarantined the uid, and the next host
// would not start. Teardown and the start-up sweep must remove any tree.
func TestHostile_DeepFolderTreeIsRemoved(t *testing.T) {
	requireRoot(t)
	bin := tempDirIn(t, "/var/tmp", "lpf-")
	state := filepath.Join(bin, "state")
	hcl := fmt.Sprintf("sandbox {\n  workers = 1\n  uid_base = %d\n}\n", filesUIDBase(2))
	h := startHostAt(t, bin, state, hcl)
	workRoot := filepath.Join(state, "jobs")

	r := h.exec(t, "--language", "Python", "--script", deepTreeScript(25000))
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "deep 25000") {
		t.Fatalf("deep tree job: exit %d\n%s%s", r.code, r.stdout, tail(r.stderr, 2000))
	}
	// One worker: the next job gets the same uid, so it was not quarantined.
	if err := healthyJob(t, h); err != nil {
		t.Fatalf("next job on the same worker: %v", err)
	}
	if left := waitNoJobFolders(t, workRoot); len(left) != 0 {
		t.Errorf("job folders left: %v", left)
	}
	if strings.Contains(h.logBuf.String(), "quarantined") {
		t.Errorf("a worker uid was quarantined:\n%s", tail(h.logBuf.String(), 3000))
	}

	// A host killed while a job holds a tree: the next host must sweep it.
	// (Its depth does not matter to the sweep, which unmounts the job's disk;
	// the bounded sweep of a 25,000-level tree on disk is a package test,
	// TestManager_CleanupSweepsDeepTreeLeftover.)
	done := make(chan result, 1)
	go func() {
		done <- h.exec(t, "--language", "Python", "--script", deepTreeScript(3000)+"\nimport time\ntime.sleep(600)")
	}()
	waitDeepTree(t, workRoot, 3000)
	h.crash(t)
	<-done
	h2 := startHostAt(t, bin, state, hcl)
	if err := healthyJob(t, h2); err != nil {
		t.Fatalf("job on the restarted host: %v", err)
	}
	if left := waitNoJobFolders(t, workRoot); len(left) != 0 {
		t.Errorf("job folders left after the restart: %v", left)
	}
}

// waitDeepTree waits until a job folder in workRoot holds a tree at least
// depth levels deep (counted without opening more than one level at once).
func waitDeepTree(t *testing.T, workRoot string, depth int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, name := range jobFolders(t, workRoot) {
			if treeDepth(filepath.Join(workRoot, name)) >= depth {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("no job built its deep tree within 60s")
}

// treeDepth follows the chain of "d" folders below dir, one fd at a time.
func treeDepth(dir string) int {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return 0
	}
	depth := 0
	for {
		next, err := syscall.Openat(fd, "d", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW, 0)
		syscall.Close(fd)
		if err != nil {
			return depth
		}
		fd, depth = next, depth+1
	}
}
