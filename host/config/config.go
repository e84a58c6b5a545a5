package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/openlaunchpad/launchpad/host/grant"
	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/host/pool"
)

// ErrInvalid is wrapped by every configuration error.
var ErrInvalid = errors.New("invalid configuration")

// Config is a host's configuration.
type Config struct {
	// StateDir holds the host's state: trust store, catalog, audit log, job
	// folders. It must be root-owned. Default /var/lib/launchpad.
	StateDir string `hcl:"state_dir,optional"`
	// Socket is the caller API's unix socket. Default StateDir/launchpad.sock.
	Socket string `hcl:"socket,optional"`
	// PluginDir is the only folder launchers are started from. Default
	// StateDir/plugins.
	PluginDir string `hcl:"plugin_dir,optional"`

	Instance   *Instance   `hcl:"instance,block"`
	DataSource *DataSource `hcl:"data_source,block"`
	Limits     *Limits     `hcl:"limits,block"`
	Sandbox    *Sandbox    `hcl:"sandbox,block"`
	Launchers  []Launcher  `hcl:"launcher,block"`
	Telemetry  *Telemetry  `hcl:"telemetry,block"`
	Pools      []Pool      `hcl:"pool,block"`
	Classifier *Classifier `hcl:"classifier,block"`

	// ExternalScriptsEnabled is the host's switch, like SQL Server's
	// 'external scripts enabled': off (the default for serve), every job is
	// refused. launchpad dev turns it on.
	ExternalScriptsEnabled bool `hcl:"external_scripts_enabled,optional"`
	// Grants say who may run which languages and use which tables and
	// pools (host/grant documents each field). No grant: no one runs jobs.
	Grants []grant.Grant `hcl:"grant,block"`
	// Listeners are the optional network listeners beside the unix socket:
	// at most one, listener "tcp" { … }, with mutual TLS.
	Listeners []Listener `hcl:"listener,block"`

	// LogLevel is the host's log level: trace, debug, info (default), warn,
	// error or off. serve's --log-level overrides it.
	LogLevel string `hcl:"log_level,optional"`
	// ShutdownGrace is how long running jobs may go on after SIGTERM (no
	// new job is taken meanwhile) before they are cancelled. Default 30s.
	ShutdownGrace string `hcl:"shutdown_grace,optional"`

	// File is the file the configuration was read from ("" if built in code).
	File string
	// WarmDefault is how many warm runtimes a launcher without warm = N
	// gets: 0 for serve, 1 for dev.
	WarmDefault int

	ranges map[string]hcl.Range // each setting's place in File, by path
	limits job.Limits           // made once by Normalize
	pools  []pool.Spec          // made once by Normalize, the default pool included
}

// Telemetry configures the optional metrics listener.
type Telemetry struct {
	// Address is the host:port the Prometheus metrics are served on, at
	// /metrics, without TLS or authentication: keep it on loopback or a
	// management network, e.g. "127.0.0.1:9273". Empty serves none.
	Address string `hcl:"address,optional"`
}

// Instance is the database instance input queries run on.
type Instance struct {
	// Driver is "sqlite" (the embedded default) or "sqlserver".
	Driver string `hcl:"driver"`
	// DSN is the connection string (a file path for sqlite). To keep
	// credentials out of this file give DSNEnv (an environment variable's
	// name) or DSNFile (a file holding the DSN) instead; exactly one of the
	// three.
	DSN     string `hcl:"dsn,optional"`
	DSNEnv  string `hcl:"dsn_env,optional"`
	DSNFile string `hcl:"dsn_file,optional"`
}

// DataSource is the operator's policy for the data sources input queries
// run on.
type DataSource struct {
	// AllowHosts lists the SQL Server hosts a caller may name in its own
	// data source (exec --data-source): "host:port", "host" (any port) or
	// "*.domain[:port]" (every name under domain). Empty, the default: this
	// host accepts no caller data source. A caller's data source must be a
	// sqlserver:// URL and may use only options that name no file or other
	// host (docs/isolation.md lists them).
	AllowHosts []string `hcl:"allow_hosts,optional"`
	// MaxValue bounds each string or binary value, and each row's values
	// together, that an input query returns; larger ones fail the job naming
	// the column. Default 64MiB; at least 1KiB, at most 1GiB.
	MaxValue string `hcl:"max_value,optional"`
}

// ValueLimit returns MaxValue in bytes (default 64 MiB).
func (d *DataSource) ValueLimit() (int, error) {
	if d == nil || d.MaxValue == "" {
		return 64 << 20, nil
	}
	n, err := ParseSize(d.MaxValue)
	if err != nil || n < 1<<10 || n > 1<<30 {
		return 0, fmt.Errorf("%w: data_source max_value %q: want a size in 1KiB..1GiB", ErrInvalid, d.MaxValue)
	}
	return int(n), nil
}

// Limits bound every job, as written in the file: Normalize turns them into
// the one job.Limits the host uses (JobLimits). Sizes accept B, KiB, MiB,
// GiB (and KB, MB, GB); durations Go's form ("90s", "10m"). A value below a
// setting's minimum is refused, never raised.
type Limits struct {
	// Timeout is the wall-clock limit of a job. Default 10m; at least 1s.
	Timeout string `hcl:"timeout,optional"`
	// Memory is the job object's memory limit. Default 2GiB; at least 32MiB.
	Memory string `hcl:"memory,optional"`
	// Disk is each job's disk limit: its working folder and /tmp together
	// are a file system of this size (a tmpfs, at least 1MiB), so a job
	// writing more gets "no space left on device" and fails with a disk
	// limit error, while other jobs keep theirs. What a job keeps there is
	// memory charged to the job: it counts toward Memory too, so a Disk
	// above Memory is bounded by Memory. Not enforced with isolation
	// "none". Default 1GiB.
	Disk string `hcl:"disk,optional"`
	// MaxProcesses is the job object's process limit (processes and
	// threads). Default 128; at least 8.
	MaxProcesses int64 `hcl:"max_processes,optional"`
	// CPUs is the job's CPU quota in cores (1.5 = one and a half), at least
	// 0.01. Default (or 0): no quota.
	CPUs float64 `hcl:"cpus,optional"`
	// CPUShares is the job's CPU weight when jobs contend for the CPU, in
	// cgroup v1 shares (on cgroup v2 mapped to cpu.weight): a job of 2048
	// gets twice the CPU of one of 1024. It caps nothing (cpus does): an
	// idle machine still gives a job all it wants. 2..262144; default (or
	// unset): the cgroup's own, 1024.
	CPUShares int64 `hcl:"cpu_shares,optional"`
	// MaxFileSize is the largest file a job's process may write
	// (RLIMIT_FSIZE): a write beyond it fails with "file too large", or
	// ends a process that does not ignore SIGXFSZ (Python ignores it, R
	// does not). Disk bounds all files together. At least 1MiB; default
	// (or unset): no limit of its own.
	MaxFileSize string `hcl:"max_file_size,optional"`
	// MaxOutput caps the output data set's encoded size. Default 4GiB; at
	// least 1KiB.
	MaxOutput string `hcl:"max_output,optional"`
	// MaxMessages caps a job's stdout plus stderr plus error report (the
	// error's text is cut to what is left, at least 4KiB of it kept).
	// Default 8MiB; at least 4KiB.
	MaxMessages string `hcl:"max_messages,optional"`
	// MaxFrame caps one BXL frame the host reads from a job's runtime (an
	// output batch; the OUTPUT params), so it bounds the host memory one
	// job can make the host hold at once: about three times this while a
	// frame is forwarded to the caller, so a host's frames take at most about
	// workers × 3 × max_frame. The runtimes cut batches at 4MiB; raise it for
	// single values (a serialized model) larger than the default.
	// 1MiB..1GiB. Default 32MiB.
	MaxFrame string `hcl:"max_frame,optional"`
	// OpenFiles is each job process's open file limit (RLIMIT_NOFILE).
	// Default 4096; 64..1048576.
	OpenFiles int64 `hcl:"open_files,optional"`
	// LauncherLog caps what one job's launcher may write into the host's
	// log (more is counted and dropped). Default 256KiB; 4KiB..64MiB.
	LauncherLog string `hcl:"launcher_log,optional"`
	// LauncherLogLine is the most the host logs of one launcher log line
	// (the rest is cut, and its size said). Default 2KiB; 256B..64KiB.
	LauncherLogLine string `hcl:"launcher_log_line,optional"`
	// LauncherLogRate and LauncherLogBurst rate limit a launcher's log
	// lines, a token bucket: Burst lines at once, then Rate a second; more
	// are counted and dropped. Defaults 20 and 50; rate 0.1..10000, burst
	// 1..100000.
	LauncherLogRate  float64 `hcl:"launcher_log_rate,optional"`
	LauncherLogBurst int64   `hcl:"launcher_log_burst,optional"`
	// BatchSize is the input batch size target. Default 4MiB; 64KiB..64MiB.
	BatchSize string `hcl:"batch_size,optional"`
	// MaxQueries is how many queries a job's script may make back to the
	// instance (launchpad_query), each with the caller's rights; more are
	// refused in the script. 0 turns them off. Default 100; 0..1000000.
	MaxQueries int64 `hcl:"max_queries,optional"`
	// MaxQueryResult caps the encoded rows of all of a job's query answers
	// together; a query that would pass it is refused in the script.
	// Default 1GiB; at least 1KiB.
	MaxQueryResult string `hcl:"max_query_result,optional"`
}

// Sandbox configures isolation.
type Sandbox struct {
	// Isolation is "full" (default) or "none". "none" runs jobs without
	// worker accounts, namespaces, job objects or Landlock; every job then
	// carries a warning. Use it only on a single-user laptop.
	Isolation string `hcl:"isolation,optional"`
	// Workers is the number of worker accounts, the most jobs that run at
	// once. Default 20; workers = 0 is refused.
	Workers int `hcl:"workers,optional"`
	// UIDBase is the first uid (and gid) of the reserved worker range
	// [uid_base, uid_base+workers). The host claims the range with a
	// machine-wide lock (/run/launchpad/locks) before touching it: a range
	// overlapping a running host's is refused, naming that host. Only then
	// does it kill what a dead host left in the range. Default 1890000000;
	// give every other host on a machine its own.
	UIDBase int `hcl:"uid_base,optional"`
	// CgroupParent is the cgroup holding this host's job cgroups, claimed
	// like the worker range (it is swept at start). Default "launchpad", or
	// "launchpad-UIDBASE" when uid_base is set, so that two hosts with their
	// own worker ranges never sweep each other's jobs.
	CgroupParent string `hcl:"cgroup_parent,optional"`
	// QueueTimeout is how long a job waits for a free worker account, and
	// the default of each pool's queue_timeout. Default 60s
	// (sandbox.DefaultQueueTimeout).
	QueueTimeout string `hcl:"queue_timeout,optional"`
	// WorkRoot is the parent of job working folders, dedicated to this host
	// and claimed like the worker range (it is emptied at start). Absolute. Default STATE_DIR/jobs. It must not lie
	// under /tmp (every job gets a private /tmp that would hide it) and must
	// leave room for a unix socket path below it (at most 55 bytes).
	WorkRoot string `hcl:"work_root,optional"`
	// KeepWorkdir keeps job folders after jobs end (debugging only).
	KeepWorkdir bool `hcl:"keep_workdir,optional"`
	// ReadOnlyPaths replaces the default list of paths a job may read and
	// execute (runtimes and their libraries).
	ReadOnlyPaths []string `hcl:"read_only_paths,optional"`
}

// Launcher holds the operator's settings for one launcher, by name:
// launcher "PythonLauncher" { runtime = "/usr/bin/python3" }.
type Launcher struct {
	Name string `hcl:"name,label"`
	// Runtime is the interpreter's path; it must exist.
	Runtime string `hcl:"runtime,optional"`
	// Integer64 (RLauncher) lets a bigint column whose values neither an R
	// integer nor a double holds exactly (beyond ±2^53) arrive as
	// bit64::integer64 instead of failing the job. Off by default: base R
	// (%*%, glm, data.frame recycling) computes wrong numbers on integer64.
	Integer64 bool `hcl:"integer64,optional"`
	// Warm is how many runtimes of this launcher the host keeps prepared,
	// each for one job (docs/isolation.md, "Warm starts"); unset: the
	// host's WarmDefault. WarmMemory caps the memory they hold together.
	Warm       *int   `hcl:"warm,optional"`
	WarmMemory string `hcl:"warm_memory,optional"`
}

// Warm returns the warm runtimes asked for a launcher and their memory cap
// (0: none); Normalize checked both.
func (c *Config) Warm(name string) (ready int, memoryBytes int64) {
	ready = c.WarmDefault
	for _, l := range c.Launchers {
		if !strings.EqualFold(l.Name, name) {
			continue
		}
		if l.Warm != nil {
			ready = *l.Warm
		}
		if l.WarmMemory != "" {
			memoryBytes, _ = ParseSize(l.WarmMemory)
		}
	}
	return ready, memoryBytes
}

// LauncherRuntime returns the configured runtime path for a launcher, or "".
func (c *Config) LauncherRuntime(name string) string {
	return c.LauncherSettings(name)["runtime"]
}

// LauncherSettings returns the operator's settings for a launcher as the
// launcher receives them (launcher.RunRequest.Settings): "runtime" when set,
// "integer64" = "true" when on.
func (c *Config) LauncherSettings(name string) map[string]string {
	settings := map[string]string{}
	for _, l := range c.Launchers {
		if !strings.EqualFold(l.Name, name) {
			continue
		}
		if l.Runtime != "" {
			settings["runtime"] = l.Runtime
		}
		if l.Integer64 {
			settings["integer64"] = "true"
		}
	}
	return settings
}

// JobLimits are the validated limits of every job (Normalize made them).
func (c *Config) JobLimits() job.Limits { return c.limits }

// ShutdownGraceDuration is ShutdownGrace (checked by Normalize), default 30s.
func (c *Config) ShutdownGraceDuration() time.Duration {
	d, err := duration(c.ShutdownGrace, DefaultShutdownGrace, 0)
	if err != nil {
		return DefaultShutdownGrace
	}
	return d
}

// DefaultShutdownGrace is how long running jobs may finish after SIGTERM.
const DefaultShutdownGrace = 30 * time.Second
