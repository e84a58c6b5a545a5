package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host/sandbox/confine"
	"github.com/openlaunchpad/launchpad/host/sandbox/jobobject"
	"github.com/openlaunchpad/launchpad/host/sandbox/workers"
)

// Manager creates sandboxed jobs. It is safe for concurrent use.
type Manager struct {
	cfg         Config
	logger      hclog.Logger
	pool        *workers.Pool     // nil in "none" mode
	layout      *jobobject.Layout // nil in "none" mode
	root        *workRoot
	landlockABI int

	// mu guards jobs.
	mu   sync.Mutex
	jobs map[string]*Job

	// poolMu guards pools: each resource pool's job object (nil without
	// cgroups), by name (pools_linux.go).
	poolMu sync.Mutex
	pools  map[string]*jobobject.Pool
}

// NewManager validates cfg and, unless Isolation is "none", checks every
// primitive full isolation needs (root, cgroup controllers, Landlock,
// namespaces, a free worker uid range). A missing one is an error wrapping
// ErrIsolationUnavailable that names it: isolation never degrades silently.
// It creates WorkRoot and the cgroup parent groups.
func NewManager(cfg Config, logger hclog.Logger) (*Manager, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := checkSocketRoom(cfg.WorkRoot); err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, logger: logger.Named("sandbox"), jobs: make(map[string]*Job)}
	var err error
	if fi, err := os.Stat(cfg.LauncherExe); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("launcher exe %s is not a regular file (%v): %w", cfg.LauncherExe, err, ErrBadConfig)
	}
	if cfg.Isolation == IsolationNone {
		if m.root, err = openWorkRoot(cfg.WorkRoot, 0o700); err != nil {
			return nil, err
		}
		m.logger.Warn("job isolation is disabled by configuration", "isolation", cfg.Isolation)
		return m, nil
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("worker uid switch and namespaces need root (euid %d): %w", os.Geteuid(), ErrIsolationUnavailable)
	}
	for _, ns := range []string{"net", "mnt", "pid", "ipc", "uts"} {
		if _, err := os.Stat("/proc/self/ns/" + ns); err != nil {
			return nil, fmt.Errorf("%s namespace: %v: %w", ns, err, ErrIsolationUnavailable)
		}
	}
	_, abi, err := confine.LandlockConfig()
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrIsolationUnavailable)
	}
	m.landlockABI = abi
	if err := confine.CheckSeccomp(); err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrIsolationUnavailable)
	}
	if err := workers.CheckUnallocated(cfg.WorkerUIDBase, cfg.WorkerCount, cfg.AccountFiles...); err != nil {
		return nil, fmt.Errorf("worker range: %w", err)
	}
	if m.pool, err = workers.New(cfg.WorkerUIDBase, cfg.WorkerCount); err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrBadConfig)
	}
	// Root-owned 0711: workers may traverse to their own folder but list
	// or create nothing. Checked before the cgroup parent is made, so a
	// refused work root leaves nothing behind.
	if m.root, err = openWorkRoot(cfg.WorkRoot, 0o711); err != nil {
		return nil, err
	}
	m.layout, err = jobobject.Detect(jobobject.Options{Root: cfg.CgroupRoot, Parent: cfg.CgroupParent})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("job objects: %w: %w", err, ErrIsolationUnavailable), m.root.close())
	}
	m.logger.Info("job isolation ready", "cgroups", m.layout.Describe(), "landlock_abi", abi,
		"worker_uid_base", cfg.WorkerUIDBase, "worker_count", cfg.WorkerCount, "work_root", cfg.WorkRoot,
		"disk_limit_bytes", cfg.DiskBytes, "sandbox_init", cfg.LauncherExe)
	return m, nil
}

// Warnings returns the warnings every job's messages must carry because of
// configured relaxations; empty under full isolation.
func (m *Manager) Warnings() []string {
	if m.cfg.Isolation == IsolationNone {
		return []string{`isolation = "none": this job ran as the host's user with no worker account, namespaces, cgroup limits, disk limit or Landlock; it could read host files and reach the network`}
	}
	return nil
}

// Cleanup removes what a crashed host left behind: processes of worker uids,
// job cgroups and working folders; it logs each removal. The host calls it at
// start, before any job; it returns ErrBusy while jobs are running.
func (m *Manager) Cleanup() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.jobs) > 0 {
		return fmt.Errorf("cleanup with %d jobs running: %w", len(m.jobs), ErrBusy)
	}
	if m.root == nil {
		return errors.New("cleanup of a closed sandbox manager")
	}
	var errs []error
	if m.pool != nil {
		killed, err := killUIDRange(m.pool)
		if err != nil {
			errs = append(errs, err)
		}
		if len(killed) > 0 {
			m.logger.Warn("killed leftover worker processes", "pids", killed)
		}
	}
	if m.layout != nil {
		removed, err := m.layout.Sweep()
		if err != nil {
			errs = append(errs, err)
		}
		for _, d := range removed {
			m.logger.Warn("removed leftover job cgroup", "path", d)
		}
	}
	removed, err := m.root.sweep()
	if err != nil {
		errs = append(errs, err)
	}
	for _, name := range removed {
		m.logger.Warn("removed leftover working folder", "path", m.root.join(name))
	}
	return errors.Join(errs...)
}

// killUIDRange SIGKILLs every process whose real, effective or saved uid is
// a worker's, until none is left. Such processes can only be leftovers when
// no job runs: a worker uid is nobody's login.
func killUIDRange(pool *workers.Pool) ([]int, error) {
	var killed []int
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids, err := pidsOfUIDs(pool.Contains)
		if err != nil {
			return killed, err
		}
		if len(pids) == 0 {
			return killed, nil
		}
		if time.Now().After(deadline) {
			return killed, fmt.Errorf("worker processes %v survive SIGKILL", pids)
		}
		for _, p := range pids {
			if syscall.Kill(p, syscall.SIGKILL) == nil && !slices.Contains(killed, p) {
				killed = append(killed, p)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pidsOfUIDs lists live (non-zombie) processes with a uid matching match.
func pidsOfUIDs(match func(int) bool) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list /proc: %w", err)
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue // exited meanwhile
		}
		hit, zombie := false, false
		for _, line := range strings.Split(string(raw), "\n") {
			if v, ok := strings.CutPrefix(line, "State:"); ok && strings.HasPrefix(strings.TrimSpace(v), "Z") {
				zombie = true
			}
			if v, ok := strings.CutPrefix(line, "Uid:"); ok {
				for _, f := range strings.Fields(v)[:3] {
					if id, err := strconv.Atoi(f); err == nil && match(id) {
						hit = true
					}
				}
			}
		}
		if hit && !zombie {
			out = append(out, pid)
		}
	}
	sort.Ints(out)
	return out, nil
}

// NewJob takes a worker uid (waiting up to QueueTimeout or ctx; then an error
// wrapping ErrNoWorker), creates the job's cgroup with lim and its working
// folder (0700, owned by the worker) with a private tmp and a socket folder.
func (m *Manager) NewJob(ctx context.Context, jobID string, lim Limits) (*Job, error) {
	return m.newJob(ctx, jobID, "", lim)
}

func (m *Manager) newJob(ctx context.Context, jobID, pool string, lim Limits) (*Job, error) {
	if err := checkJobID(jobID); err != nil {
		return nil, err
	}
	if err := lim.Validate(); err != nil {
		return nil, fmt.Errorf("job %s: %w: %w", jobID, err, ErrBadConfig)
	}
	m.mu.Lock()
	if _, ok := m.jobs[jobID]; ok {
		m.mu.Unlock()
		return nil, fmt.Errorf("job %s: %w", jobID, ErrJobExists)
	}
	j := &Job{ID: jobID, m: m, logger: m.logger.With("job_id", jobID), lim: lim, pool: pool}
	m.jobs[jobID] = j // reserve the id while we wait for a worker
	m.mu.Unlock()

	if err := m.setupJob(ctx, j); err != nil {
		j.teardown()
		return nil, fmt.Errorf("job %s: %w", jobID, err)
	}
	return j, nil
}

func (m *Manager) setupJob(ctx context.Context, j *Job) error {
	if m.cfg.Isolation == IsolationNone {
		j.UID, j.GID = os.Getuid(), os.Getgid()
	} else {
		uid, err := m.pool.Acquire(ctx, m.cfg.QueueTimeout)
		if err != nil {
			return err
		}
		j.UID, j.GID, j.leased = uid, uid, true
		if j.group, err = m.jobLayout(j.pool).New("job-"+j.ID, j.lim); err != nil {
			return err
		}
	}
	// The folder's name is short and random, not the job id: the launcher's
	// socket lives below it and unix socket paths are limited (see
	// checkSocketRoom). A folder that already exists is a leftover or a
	// plant, and we do not adopt either; a fresh name is tried instead.
	var disk int64
	if m.cfg.Isolation == IsolationFull {
		disk = m.cfg.DiskBytes
	}
	name, mounted, err := m.root.makeJobFolder(j.UID, j.GID, disk)
	j.folder, j.mounted, j.madeDir = name, mounted, name != ""
	if err != nil {
		return err
	}
	j.Dir = m.root.join(name)
	j.TmpDir = filepath.Join(j.Dir, "tmp")
	j.SocketDir = filepath.Join(j.Dir, "sock")
	j.logger.Debug("job sandbox ready", "uid", j.UID, "dir", j.Dir, "disk_limit_bytes", disk)
	return nil
}

// folderName is a job folder's name: 8 random hex digits.
func folderName() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(b[:])
}

// socketTail is the longest path go-plugin puts below a job's work root: the
// job folder, its socket folder, go-plugin's temporary folder and socket.
const socketTail = "/01234567/sock/plugin-dir4294967295/plugin4294967295"

// maxSocketPath is the longest unix socket path (sun_path less its NUL).
const maxSocketPath = 107

// checkSocketRoom refuses a work root so long that a launcher could not
// create its socket below it.
func checkSocketRoom(root string) error {
	if n := len(root) + len(socketTail); n > maxSocketPath {
		return fmt.Errorf("work root %q is %d bytes long; launcher sockets below it would be %d bytes, over the "+
			"%d-byte unix socket limit: use a work root of at most %d bytes: %w",
			root, len(root), n, maxSocketPath, maxSocketPath-len(socketTail), ErrBadConfig)
	}
	return nil
}

func (m *Manager) forget(id string) {
	m.mu.Lock()
	delete(m.jobs, id)
	m.mu.Unlock()
}

// FreeWorkers reports how many worker accounts are free; under isolation
// "none" there is no such limit and it reports a large number.
func (m *Manager) FreeWorkers() int {
	if m.pool == nil {
		return 1 << 20
	}
	return m.cfg.WorkerCount - m.pool.InUse()
}

// Running reports how many jobs are open.
func (m *Manager) Running() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.jobs)
}

// Close tears down the parent cgroups; call after every job is closed.
func (m *Manager) Close() error {
	if m.Running() > 0 {
		return fmt.Errorf("close manager: %w", ErrBusy)
	}
	errs := []error{m.removePools()}
	if m.layout != nil {
		errs = append(errs, m.layout.Teardown())
	}
	if m.root != nil {
		errs = append(errs, m.root.close())
		m.root = nil
	}
	return errors.Join(errs...)
}
