package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"

	"github.com/openlaunchpad/launchpad/host/datasource/mssql"
	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/host/sandbox"
	"github.com/openlaunchpad/launchpad/host/sandbox/jobobject"
	"github.com/openlaunchpad/launchpad/host/satellite"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// Normalize fills defaults and checks every value, collecting every
// problem (an *Error) rather than stopping at the first.
func (c *Config) Normalize() error {
	if c.ranges == nil {
		c.ranges = map[string]hcl.Range{}
	}
	c.setDefaults()
	var diags hcl.Diagnostics
	diags = append(diags, c.checkTop()...)
	diags = append(diags, c.checkInstance()...)
	diags = append(diags, c.checkSandbox()...)
	diags = append(diags, c.checkLaunchers()...)
	diags = append(diags, c.checkAccess()...)
	var ld hcl.Diagnostics
	c.limits, ld = c.makeLimits()
	diags = append(diags, ld...)
	var pd hcl.Diagnostics
	c.pools, pd = c.makePools(c.limits.QueueTimeout)
	diags = append(diags, pd...)
	if diags.HasErrors() {
		SortDiags(diags)
		return &Error{Diags: diags}
	}
	return nil
}

func (c *Config) setDefaults() {
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
	if c.Sandbox == nil {
		c.Sandbox = &Sandbox{}
	}
	s := c.Sandbox
	if s.Isolation == "" {
		s.Isolation = "full"
	}
	if s.Workers == 0 && !c.Set("sandbox.workers") {
		s.Workers = 20
	}
	if s.CgroupParent == "" {
		s.CgroupParent = "launchpad"
		if s.UIDBase != 0 {
			s.CgroupParent = fmt.Sprintf("launchpad-%d", s.UIDBase)
		}
	}
	if s.UIDBase == 0 {
		s.UIDBase = sandbox.DefaultWorkerUIDBase
	}
	if s.WorkRoot == "" {
		s.WorkRoot = filepath.Join(c.StateDir, "jobs")
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
}

func (c *Config) checkTop() hcl.Diagnostics {
	var d hcl.Diagnostics
	for _, p := range []struct{ setting, path string }{
		{"state_dir", c.StateDir}, {"socket", c.Socket}, {"plugin_dir", c.PluginDir}, {"sandbox.work_root", c.Sandbox.WorkRoot},
	} {
		if !filepath.IsAbs(p.path) {
			d = append(d, c.Problem(p.setting, "%q is not an absolute path", p.path))
		}
	}
	if hclog.LevelFromString(c.LogLevel) == hclog.NoLevel {
		d = append(d, c.Problem("log_level", "%q: want trace, debug, info, warn, error or off", c.LogLevel))
	}
	if _, err := duration(c.ShutdownGrace, 0, 0); err != nil {
		d = append(d, c.Problem("shutdown_grace", "%q: %v", c.ShutdownGrace, err))
	}
	if _, err := mssql.ParseHostAllowlist(c.DataSource.AllowHosts); err != nil {
		d = append(d, c.Problem("data_source.allow_hosts", "%v", err))
	}
	if _, err := c.DataSource.ValueLimit(); err != nil {
		d = append(d, c.Problem("data_source.max_value", "%q: want a size in 1KiB..1GiB", c.DataSource.MaxValue))
	}
	return d
}

func (c *Config) checkInstance() hcl.Diagnostics {
	var d hcl.Diagnostics
	switch c.Instance.Driver {
	case "sqlite", "sqlserver":
	default:
		d = append(d, c.Problem("instance.driver", "%q: want \"sqlite\" or \"sqlserver\"", c.Instance.Driver))
	}
	n := 0
	for _, v := range []string{c.Instance.DSN, c.Instance.DSNEnv, c.Instance.DSNFile} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		d = append(d, c.Problem("instance", "give exactly one of dsn, dsn_env, dsn_file (%d given)", n))
	}
	return d
}

func (c *Config) checkSandbox() hcl.Diagnostics {
	var d hcl.Diagnostics
	s := c.Sandbox
	if s.Isolation != "full" && s.Isolation != "none" {
		d = append(d, c.Problem("sandbox.isolation", "%q: want \"full\" or \"none\"", s.Isolation))
	}
	if s.Workers <= 0 {
		d = append(d, c.Problem("sandbox.workers", "%d: want at least 1 (the most jobs that run at once)", s.Workers))
	}
	if s.UIDBase < 0 || int64(s.UIDBase)+int64(s.Workers) >= 1<<31 {
		d = append(d, c.Problem("sandbox.uid_base", "%d: the range [uid_base, uid_base+workers) must lie in 1..2^31-1", s.UIDBase))
	}
	if rel, err := filepath.Rel("/tmp", s.WorkRoot); err == nil && !strings.HasPrefix(rel, "..") {
		d = append(d, c.Problem("sandbox.work_root", "%s is under /tmp, which every job sees as its own private /tmp", s.WorkRoot))
	}
	return d
}

func (c *Config) checkLaunchers() hcl.Diagnostics {
	var d hcl.Diagnostics
	seen := map[string]bool{}
	for _, l := range c.Launchers {
		key := "launcher." + l.Name
		if seen[strings.ToLower(l.Name)] {
			d = append(d, c.Problem(key, "launcher %q is configured twice", l.Name))
		}
		seen[strings.ToLower(l.Name)] = true
		if l.Warm != nil && (*l.Warm < 0 || *l.Warm > 64) {
			d = append(d, c.Problem(key+".warm", "%d: want 0..64 warm runtimes", *l.Warm))
		}
		if l.WarmMemory != "" {
			if _, err := ParseSize(l.WarmMemory); err != nil {
				d = append(d, c.Problem(key+".warm_memory", "%q: %v, e.g. 1GiB", l.WarmMemory, err))
			}
		}
		if l.Runtime == "" {
			continue
		}
		fi, err := os.Stat(l.Runtime)
		switch {
		case err != nil:
			d = append(d, c.Problem(key+".runtime", "%v", err))
		case !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0:
			d = append(d, c.Problem(key+".runtime", "%s is not an executable file", l.Runtime))
		}
	}
	return d
}

// makeLimits turns limits { } and sandbox { queue_timeout } into the one
// job.Limits, defaults from the packages that enforce each limit.
func (c *Config) makeLimits() (job.Limits, hcl.Diagnostics) {
	l, v := c.Limits, &limitReader{c: c}
	var r job.Limits
	r.Timeout = v.duration("limits.timeout", l.Timeout, job.DefaultTimeout, time.Second)
	r.MaxOutputBytes = v.size("limits.max_output", l.MaxOutput, job.DefaultMaxOutputBytes, 1<<10, 0)
	r.MaxMessageBytes = v.size("limits.max_messages", l.MaxMessages, job.DefaultMaxMessageBytes, job.MinMessageBytes, 0)
	r.Decode = bxl.Limits{MaxFrameBytes: int(v.size("limits.max_frame", l.MaxFrame, job.DefaultMaxFrameBytes, 1<<20, 1<<30))}
	r.BatchBytes = int(v.size("limits.batch_size", l.BatchSize, bxl.DefaultBatchBytes, 64<<10, 64<<20))
	c.queryLimits(v, &r)
	c.jobObjectLimits(v, &r)
	c.sandboxLimits(v, &r)
	r.Log = c.launcherLogLimits(v)
	return r, v.diags
}

// queryLimits bound the queries a script makes back to the instance.
func (c *Config) queryLimits(v *limitReader, r *job.Limits) {
	l := c.Limits
	r.MaxQueryResultBytes = v.size("limits.max_query_result", l.MaxQueryResult, job.DefaultMaxQueryResultBytes, 1<<10, 0)
	switch {
	case !c.Set("limits.max_queries"):
		r.MaxQueries = job.DefaultMaxQueries
	case l.MaxQueries < 0 || l.MaxQueries > 1000000:
		v.add("limits.max_queries", "%d: want 0..1000000", l.MaxQueries)
	case l.MaxQueries == 0:
		r.MaxQueries = -1 // job.Limits: negative is none, 0 the default
	default:
		r.MaxQueries = int(l.MaxQueries)
	}
}

// jobObjectLimits are the limits of the job's cgroups.
func (c *Config) jobObjectLimits(v *limitReader, r *job.Limits) {
	l := c.Limits
	r.MemoryBytes = v.size("limits.memory", l.Memory, jobobject.DefaultMemoryBytes, 32<<20, 0)
	r.MaxProcs = l.MaxProcesses
	if !c.Set("limits.max_processes") {
		r.MaxProcs = jobobject.DefaultMaxProcs
	} else if r.MaxProcs < 8 {
		v.add("limits.max_processes", "%d: want at least 8 (a launcher, its runtime and their threads)", r.MaxProcs)
	}
	if l.CPUs < 0 || l.CPUs > 0 && l.CPUs < 0.01 {
		v.add("limits.cpus", "%g: want at least 0.01 cores, or 0 for no quota", l.CPUs)
	}
	r.CPUQuotaMillis = int64(l.CPUs * 1000)
	if c.Set("limits.cpu_shares") {
		if l.CPUShares < 2 || l.CPUShares > 262144 {
			v.add("limits.cpu_shares", "%d: want 2..262144 (1024 is a job's weight when unset)", l.CPUShares)
		} else {
			r.CPUShares = uint64(l.CPUShares)
		}
	}
}

// sandboxLimits are the limits the sandbox applies when it starts (a
// reload keeps them) and the queue timeout.
func (c *Config) sandboxLimits(v *limitReader, r *job.Limits) {
	l := c.Limits
	r.DiskBytes = v.size("limits.disk", l.Disk, sandbox.DefaultDiskBytes, sandbox.MinDiskBytes, 0)
	r.QueueTimeout = v.duration("sandbox.queue_timeout", c.Sandbox.QueueTimeout, sandbox.DefaultQueueTimeout, 0)
	if l.OpenFiles != 0 || c.Set("limits.open_files") {
		if l.OpenFiles < 64 || l.OpenFiles > 1<<20 {
			v.add("limits.open_files", "%d: want 64..1048576", l.OpenFiles)
		} else {
			r.OpenFiles = uint64(l.OpenFiles)
		}
	}
	r.MaxFileBytes = uint64(v.size("limits.max_file_size", l.MaxFileSize, 0, 1<<20, 0))
}

// launcherLogLimits bound what a job's launcher may write into the host's
// log.
func (c *Config) launcherLogLimits(v *limitReader) satellite.LogLimits {
	l := c.Limits
	r := satellite.LogLimits{
		TotalBytes: int(v.size("limits.launcher_log", l.LauncherLog, satellite.DefaultLogTotalBytes, 4<<10, 64<<20)),
		LineBytes:  int(v.size("limits.launcher_log_line", l.LauncherLogLine, satellite.DefaultLogLineBytes, 256, 64<<10)),
		PerSecond:  satellite.DefaultLogPerSecond,
		Burst:      satellite.DefaultLogBurst,
	}
	if c.Set("limits.launcher_log_rate") {
		if l.LauncherLogRate < 0.1 || l.LauncherLogRate > 10000 {
			v.add("limits.launcher_log_rate", "%g: want 0.1..10000 lines a second", l.LauncherLogRate)
		} else {
			r.PerSecond = l.LauncherLogRate
		}
	}
	if c.Set("limits.launcher_log_burst") {
		if l.LauncherLogBurst < 1 || l.LauncherLogBurst > 100000 {
			v.add("limits.launcher_log_burst", "%d: want 1..100000 lines", l.LauncherLogBurst)
		} else {
			r.Burst = int(l.LauncherLogBurst)
		}
	}
	return r
}

// limitReader parses limits, collecting a problem for each bad one.
type limitReader struct {
	c     *Config
	diags hcl.Diagnostics
}

func (v *limitReader) add(setting, format string, args ...any) {
	v.diags = append(v.diags, v.c.Problem(setting, format, args...))
}

// size parses s (def when empty) and checks it lies in [lo, hi] (hi 0:
// no upper bound).
func (v *limitReader) size(setting, s string, def, lo, hi int64) int64 {
	if s == "" {
		return def
	}
	n, err := ParseSize(s)
	switch {
	case err != nil:
		v.add(setting, "%q: want a size like 512MiB or 2GiB", s)
	case n < lo:
		v.add(setting, "%q is below the minimum of %s", s, FormatSize(lo))
	case hi > 0 && n > hi:
		v.add(setting, "%q is above the maximum of %s", s, FormatSize(hi))
	default:
		return n
	}
	return def
}

func (v *limitReader) duration(setting, s string, def, lo time.Duration) time.Duration {
	d, err := duration(s, def, lo)
	if err != nil {
		v.add(setting, "%q: %v", s, err)
		return def
	}
	return d
}

// duration parses s (def when empty), at least lo and positive.
func duration(s string, def, lo time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a positive duration like 90s or 10m")
	}
	if d < lo {
		return 0, fmt.Errorf("below the minimum of %s", lo)
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

// FormatSize writes n in the largest binary unit that divides it.
func FormatSize(n int64) string {
	for _, u := range []struct {
		name string
		mult int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
