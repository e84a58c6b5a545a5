package sandbox

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"time"

	"github.com/openlaunchpad/launchpad/host/sandbox/jobobject"
	"github.com/openlaunchpad/launchpad/host/sandbox/workers"
)

// Isolation levels.
const (
	// IsolationFull is the default: every layer, or the host refuses to run jobs.
	IsolationFull = "full"
	// IsolationNone is the operator's explicit relaxation for a laptop: jobs run
	// as the host's uid with no namespaces, cgroups or Landlock, and every job
	// carries a warning.
	IsolationNone = "none"
)

var (
	// ErrNoWorker: no worker account became free within QueueTimeout.
	ErrNoWorker = workers.ErrNoWorker
	// ErrIsolationUnavailable: a primitive needed for full isolation is
	// missing; the message names it. Configure isolation = "none" to run anyway.
	ErrIsolationUnavailable = errors.New("isolation primitive unavailable")
	// ErrBadConfig: the sandbox configuration is invalid.
	ErrBadConfig = errors.New("invalid sandbox configuration")
	// ErrBadJobID: a job id that cannot safely become a folder or cgroup name.
	ErrBadJobID = errors.New("invalid job id")
	// ErrJobExists: a job with this id is already running.
	ErrJobExists = errors.New("job already exists")
	// ErrJobClosed: the job was closed.
	ErrJobClosed = errors.New("job closed")
	// ErrBusy: Cleanup was called while jobs are running.
	ErrBusy = errors.New("jobs are running")
	// ErrInit: sandbox-init could not set up the sandbox (see its stderr).
	ErrInit = errors.New("sandbox-init failed")
)

// Limits of one job; zero fields mean "no limit". See jobobject.Limits.
type Limits = jobobject.Limits

// Stats of one job. OOMKilled, PidsLimitHit and DiskFull tell the runner
// which limit ended the job, so it can report "memory limit 256 MiB hit
// (peak …)" or "process limit 64 hit" rather than a bare "killed by signal
// 9" or a script's "No space left on device".
type Stats struct {
	jobobject.Stats
	// DiskFull: the job's disk (its folder and /tmp) has less than 1 MiB or
	// no inode left, so a failed write there hit the disk limit.
	DiskFull bool
}

// Defaults.
const (
	DefaultWorkRoot      = "/var/lib/launchpad/jobs"
	DefaultWorkerUIDBase = 1_890_000_000
	DefaultWorkerCount   = 20
	DefaultCgroupParent  = "launchpad"
	DefaultOpenFiles     = 4096
	// minDiskBytes is the smallest disk limit: the staged runtime file and
	// the launcher's socket must fit.
	minDiskBytes = MinDiskBytes
)

// DefaultReadOnlyPaths is what a job may read and execute: the runtime and
// its libraries, a minimal /etc (no host configuration, keys or state) and
// the job's own /proc. Device nodes are handled separately.
var DefaultReadOnlyPaths = []string{
	"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin",
	"/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives",
	"/etc/localtime", "/etc/timezone", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
	"/etc/hosts", "/etc/host.conf", "/etc/mime.types", "/etc/ssl", "/etc/ca-certificates",
	"/etc/fonts", "/etc/R", "/etc/python3", "/etc/matplotlibrc",
	"/proc", "/sys/devices/system/cpu",
}

// Config of the sandbox Manager.
type Config struct {
	// Isolation is "full" (default) or "none" (operator relaxation: no uid
	// switch, namespaces, cgroups or Landlock; Warnings() is non-empty).
	Isolation string
	// WorkRoot is the parent of per-job working folders. It is created
	// root-owned 0711 (workers can enter their own folder, list nothing) and
	// must be dedicated to Launchpad: Cleanup empties it.
	WorkRoot string
	// WorkerUIDBase and WorkerCount reserve the uid (and equal gid) range
	// [base, base+count) for jobs. No account or group may use it (checked).
	// Default 1890000000 (above systemd's container range, below 2^31) and 20.
	WorkerUIDBase, WorkerCount int
	// QueueTimeout is how long NewJob waits for a free worker before
	// ErrNoWorker. Zero means DefaultQueueTimeout; negative means do not wait.
	QueueTimeout time.Duration
	// CgroupParent is the group holding job groups, relative to each
	// hierarchy's root (or to our own group if the root is not writable).
	CgroupParent string
	// CgroupRoot is where cgroup file systems are mounted; default /sys/fs/cgroup.
	CgroupRoot string
	// KeepWorkdir keeps working folders after a job (debugging only).
	KeepWorkdir bool
	// LauncherExe is the absolute path of the binary that provides
	// `sandbox-init`: launchpad-sandbox-init beside the host's binary, or
	// the host's own.
	LauncherExe string
	// ReadOnlyPaths are the files and directories a job may read and execute;
	// missing ones are skipped. Default DefaultReadOnlyPaths. Never list the
	// host's state, keys or config here.
	ReadOnlyPaths []string
	// OpenFiles is the job's RLIMIT_NOFILE; default 4096.
	OpenFiles uint64
	// MaxFileBytes is the job's RLIMIT_FSIZE (largest file it may write); 0 = no limit.
	MaxFileBytes uint64
	// DiskBytes is each job's disk limit under full isolation: its folder
	// (and the /tmp bound from it) is a tmpfs of this size, with one inode
	// per 4 KiB, so a write beyond it fails with ENOSPC in that job alone.
	// tmpfs pages are memory charged to the job's memory cgroup: what a job
	// keeps on disk counts toward its memory limit too. Default 1 GiB; at
	// least 1 MiB.
	DiskBytes int64
	// AccountFiles are the passwd/group files checked for collisions with the
	// worker range; default /etc/passwd and /etc/group.
	AccountFiles []string
}

func (c *Config) setDefaults() {
	if c.Isolation == "" {
		c.Isolation = IsolationFull
	}
	if c.WorkRoot == "" {
		c.WorkRoot = DefaultWorkRoot
	}
	if c.WorkerUIDBase == 0 {
		c.WorkerUIDBase = DefaultWorkerUIDBase
	}
	if c.WorkerCount == 0 {
		c.WorkerCount = DefaultWorkerCount
	}
	if c.QueueTimeout == 0 {
		c.QueueTimeout = DefaultQueueTimeout
	}
	if c.CgroupParent == "" {
		c.CgroupParent = DefaultCgroupParent
	}
	if c.ReadOnlyPaths == nil {
		c.ReadOnlyPaths = DefaultReadOnlyPaths
	}
	if c.DiskBytes == 0 {
		c.DiskBytes = DefaultDiskBytes
	}
	if c.OpenFiles == 0 {
		c.OpenFiles = DefaultOpenFiles
	}
	if c.AccountFiles == nil {
		c.AccountFiles = []string{"/etc/passwd", "/etc/group"}
	}
}

func (c *Config) validate() error {
	if c.Isolation != IsolationFull && c.Isolation != IsolationNone {
		return fmt.Errorf("isolation %q: want %q or %q: %w", c.Isolation, IsolationFull, IsolationNone, ErrBadConfig)
	}
	if !filepath.IsAbs(c.WorkRoot) || filepath.Clean(c.WorkRoot) == "/" {
		return fmt.Errorf("work root %q must be an absolute, dedicated folder: %w", c.WorkRoot, ErrBadConfig)
	}
	// Every job mounts a private /tmp, which would hide a work root below it.
	if c.Isolation == IsolationFull && isUnder(c.WorkRoot, "/tmp") {
		return fmt.Errorf("work root %q is under /tmp, which every job replaces with its private /tmp; use a folder such as /var/lib/launchpad/jobs: %w", c.WorkRoot, ErrBadConfig)
	}
	if c.DiskBytes < minDiskBytes {
		return fmt.Errorf("disk limit %d bytes: want at least %d: %w", c.DiskBytes, minDiskBytes, ErrBadConfig)
	}
	if !filepath.IsAbs(c.LauncherExe) {
		return fmt.Errorf("launcher exe %q must be an absolute path: %w", c.LauncherExe, ErrBadConfig)
	}
	for _, p := range c.ReadOnlyPaths {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("read-only path %q must be absolute: %w", p, ErrBadConfig)
		}
		if isUnder(c.WorkRoot, p) || isUnder(p, c.WorkRoot) {
			return fmt.Errorf("read-only path %q overlaps the work root %q (jobs would read each other): %w", p, c.WorkRoot, ErrBadConfig)
		}
	}
	return nil
}

// isUnder reports whether p is dir or inside it.
func isUnder(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && (rel == "." || !startsWithDotDot(rel))
}

func startsWithDotDot(rel string) bool {
	return len(rel) >= 3 && rel[:3] == "../" || rel == ".."
}

var jobIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

func checkJobID(id string) error {
	if !jobIDRE.MatchString(id) {
		return fmt.Errorf("job id %q (want 1-64 of [A-Za-z0-9_-]): %w", id, ErrBadJobID)
	}
	return nil
}
