package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
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
	if d == nil {
		return 64 << 20, nil
	}
	n, err := size(d.MaxValue, 64<<20, "data_source max_value")
	if err != nil {
		return 0, err
	}
	if n < 1<<10 || n > 1<<30 {
		return 0, fmt.Errorf("%w: data_source max_value must be 1KiB..1GiB", ErrInvalid)
	}
	return int(n), nil
}

// Limits bound every job. Sizes accept B, KiB, MiB, GiB (and KB, MB, GB);
// durations Go's form ("90s", "10m").
type Limits struct {
	// Timeout is the wall-clock limit of a job. Default 10m.
	Timeout string `hcl:"timeout,optional"`
	// Memory is the job object's memory limit. Default 2GiB.
	Memory string `hcl:"memory,optional"`
	// Disk is each job's disk limit: its working folder and /tmp together
	// are a file system of this size (a tmpfs, at least 1MiB), so a job
	// writing more gets "no space left on device" and fails with a disk
	// limit error, while other jobs keep theirs. What a job keeps there is
	// memory charged to the job: it counts toward Memory too, so a Disk
	// above Memory is bounded by Memory. Not enforced with isolation
	// "none". Default 1GiB.
	Disk string `hcl:"disk,optional"`
	// MaxProcesses is the job object's process limit. Default 128.
	MaxProcesses int64 `hcl:"max_processes,optional"`
	// CPUs is the job's CPU quota in cores (1.5 = one and a half). Default
	// 0: no quota.
	CPUs float64 `hcl:"cpus,optional"`
	// MaxOutput caps the output data set's encoded size. Default 4GiB.
	MaxOutput string `hcl:"max_output,optional"`
	// MaxMessages caps a job's stdout plus stderr plus error report (the
	// error's text is cut to what is left, at least 4KiB of it kept).
	// Default 8MiB.
	MaxMessages string `hcl:"max_messages,optional"`
	// MaxFrame caps one BXL frame the host reads from a job's runtime (an
	// output batch; the OUTPUT params), so it bounds the host memory one
	// job can make the host hold at once: about three times this while a
	// frame is forwarded to the caller, so a host's frames take at most about
	// workers × 3 × max_frame. The runtimes cut batches at 4MiB; raise it for
	// single values (a serialized model) larger than the default.
	// 1MiB..1GiB. Default 32MiB.
	MaxFrame string `hcl:"max_frame,optional"`
	// BatchSize is the input batch size target. Default 4MiB.
	BatchSize string `hcl:"batch_size,optional"`
}

// Sandbox configures isolation.
type Sandbox struct {
	// Isolation is "full" (default) or "none". "none" runs jobs without
	// worker accounts, namespaces, job objects or Landlock; every job then
	// carries a warning. Use it only on a single-user laptop.
	Isolation string `hcl:"isolation,optional"`
	// Workers is the number of worker accounts, the most jobs that run at
	// once. Default 20.
	Workers int `hcl:"workers,optional"`
	// UIDBase is the first uid (and gid) of the reserved worker range
	// [uid_base, uid_base+workers). The range belongs to this host alone: at
	// start the host kills every process left in it. Default 1890000000.
	UIDBase int `hcl:"uid_base,optional"`
	// CgroupParent is the cgroup holding this host's job cgroups, also this
	// host's alone (it is swept at start). Default "launchpad", or
	// "launchpad-UIDBASE" when uid_base is set, so that two hosts with their
	// own worker ranges never sweep each other's jobs.
	CgroupParent string `hcl:"cgroup_parent,optional"`
	// QueueTimeout is how long a job waits for a free worker account.
	// Default 60s.
	QueueTimeout string `hcl:"queue_timeout,optional"`
	// WorkRoot is the parent of job working folders, dedicated to this host
	// (it is emptied at start). Default STATE_DIR/jobs. It must not lie
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
	// Runtime is the interpreter's path.
	Runtime string `hcl:"runtime,optional"`
	// Integer64 (RLauncher) lets a bigint column whose values neither an R
	// integer nor a double holds exactly (beyond ±2^53) arrive as
	// bit64::integer64 instead of failing the job. Off by default: base R
	// (%*%, glm, data.frame recycling) computes wrong numbers on integer64.
	Integer64 bool `hcl:"integer64,optional"`
}

// Load reads and checks a configuration file.
func Load(path string) (*Config, error) {
	c, err := Parse(path)
	if err != nil {
		return nil, err
	}
	if err := c.Normalize(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse reads a configuration file without filling defaults.
func Parse(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, diags := hclparse.NewParser().ParseHCL(src, path)
	if diags.HasErrors() {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, diags.Error())
	}
	var c Config
	if diags := gohcl.DecodeBody(f.Body, nil, &c); diags.HasErrors() {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, diags.Error())
	}
	return &c, nil
}

// Normalize fills defaults and validates.
func (c *Config) Normalize() error {
	if c.StateDir == "" {
		c.StateDir = "/var/lib/launchpad"
	}
	if c.Socket == "" {
		c.Socket = filepath.Join(c.StateDir, "launchpad.sock")
	}
	if c.PluginDir == "" {
		c.PluginDir = filepath.Join(c.StateDir, "plugins")
	}
	if c.Instance == nil {
		c.Instance = &Instance{Driver: "sqlite", DSN: filepath.Join(c.StateDir, "instance.db")}
	}
	if c.Limits == nil {
		c.Limits = &Limits{}
	}
	if c.DataSource == nil {
		c.DataSource = &DataSource{}
	}
	if _, err := c.DataSource.ValueLimit(); err != nil {
		return err
	}
	if c.Sandbox == nil {
		c.Sandbox = &Sandbox{}
	}
	s := c.Sandbox
	if s.Isolation == "" {
		s.Isolation = "full"
	}
	if s.Isolation != "full" && s.Isolation != "none" {
		return fmt.Errorf("%w: sandbox isolation %q: want \"full\" or \"none\"", ErrInvalid, s.Isolation)
	}
	if s.Workers == 0 {
		s.Workers = 20
	}
	if s.CgroupParent == "" {
		s.CgroupParent = "launchpad"
		if s.UIDBase != 0 {
			s.CgroupParent = fmt.Sprintf("launchpad-%d", s.UIDBase)
		}
	}
	if s.Workers < 0 {
		return fmt.Errorf("%w: sandbox workers must be positive", ErrInvalid)
	}
	switch c.Instance.Driver {
	case "sqlite", "sqlserver":
	default:
		return fmt.Errorf("%w: instance driver %q: want \"sqlite\" or \"sqlserver\"", ErrInvalid, c.Instance.Driver)
	}
	n := 0
	for _, v := range []string{c.Instance.DSN, c.Instance.DSNEnv, c.Instance.DSNFile} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%w: instance needs exactly one of dsn, dsn_env, dsn_file", ErrInvalid)
	}
	_, err := c.JobLimits()
	return err
}

// Resolved are the limits in their units.
type Resolved struct {
	Timeout         time.Duration
	MemoryBytes     int64
	MaxProcesses    int64
	CPUQuotaMillis  int64
	MaxOutputBytes  int64
	MaxMessageBytes int64
	DiskBytes       int64
	MaxFrameBytes   int
	BatchBytes      int
	QueueTimeout    time.Duration
}

// JobLimits parses the limits, with defaults.
func (c *Config) JobLimits() (Resolved, error) {
	l := c.Limits
	var r Resolved
	var err error
	if r.Timeout, err = duration(l.Timeout, 10*time.Minute, "limits timeout"); err != nil {
		return r, err
	}
	if r.MemoryBytes, err = size(l.Memory, 2<<30, "limits memory"); err != nil {
		return r, err
	}
	if r.DiskBytes, err = size(l.Disk, 1<<30, "limits disk"); err != nil {
		return r, err
	}
	if r.DiskBytes < 1<<20 {
		return r, fmt.Errorf("%w: limits disk must be at least 1MiB", ErrInvalid)
	}
	if r.MaxOutputBytes, err = size(l.MaxOutput, 4<<30, "limits max_output"); err != nil {
		return r, err
	}
	if r.MaxMessageBytes, err = size(l.MaxMessages, 8<<20, "limits max_messages"); err != nil {
		return r, err
	}
	frame, err := size(l.MaxFrame, 32<<20, "limits max_frame")
	if err != nil {
		return r, err
	}
	if frame < 1<<20 || frame > 1<<30 {
		return r, fmt.Errorf("%w: limits max_frame must be 1MiB..1GiB", ErrInvalid)
	}
	r.MaxFrameBytes = int(frame)
	batch, err := size(l.BatchSize, 4<<20, "limits batch_size")
	if err != nil {
		return r, err
	}
	if batch < 64<<10 || batch > 64<<20 {
		return r, fmt.Errorf("%w: limits batch_size must be 64KiB..64MiB", ErrInvalid)
	}
	r.BatchBytes = int(batch)
	r.MaxProcesses = l.MaxProcesses
	if r.MaxProcesses == 0 {
		r.MaxProcesses = 128
	}
	if l.CPUs < 0 {
		return r, fmt.Errorf("%w: limits cpus must not be negative", ErrInvalid)
	}
	r.CPUQuotaMillis = int64(l.CPUs * 1000)
	if r.QueueTimeout, err = duration(c.Sandbox.QueueTimeout, time.Minute, "sandbox queue_timeout"); err != nil {
		return r, err
	}
	return r, nil
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

func duration(s string, def time.Duration, what string) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%w: %s %q: want a positive duration like 90s or 10m", ErrInvalid, what, s)
	}
	return d, nil
}

// ParseSize parses a byte size: "512MiB", "2GiB", "1GB", "4096".
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("not a positive size")
	}
	return n * mult, nil
}

func size(s string, def int64, what string) (int64, error) {
	if s == "" {
		return def, nil
	}
	n, err := ParseSize(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q: want a size like 512MiB or 2GiB", ErrInvalid, what, s)
	}
	return n, nil
}
