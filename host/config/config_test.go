package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/host/satellite"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "launchpad.hcl")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// runtime is an executable file for launcher { runtime }, which must exist.
func runtime(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "python3")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad_FullFile(t *testing.T) {
	rt := runtime(t)
	c, err := Load(write(t, `
state_dir  = "/srv/lp"
plugin_dir = "/usr/lib/launchpad/plugins"
instance {
  driver  = "sqlserver"
  dsn_env = "LP_DSN"
}
limits {
  timeout       = "90s"
  memory        = "512MiB"
  disk          = "256MiB"
  max_processes = 64
  cpus          = 1.5
  max_output    = "1GB"
  max_messages  = "1MiB"
  max_frame     = "64MiB"
  batch_size    = "1MiB"
  open_files    = 1024
  cpu_shares    = 512
  max_file_size = "100MiB"
  launcher_log  = "1MiB"
  launcher_log_line  = "4KiB"
  launcher_log_rate  = 2.5
  launcher_log_burst = 10
  max_queries        = 5
  max_query_result   = "10MiB"
}
sandbox {
  workers       = 4
  uid_base      = 1900000000
  queue_timeout = "5s"
}
launcher "PythonLauncher" {
  runtime = "`+rt+`"
}
launcher "RLauncher" {
  integer64 = true
}
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Socket != "/srv/lp/launchpad.sock" || c.Instance.DSNEnv != "LP_DSN" || c.Sandbox.Isolation != "full" {
		t.Errorf("config = %+v", c)
	}
	if c.Sandbox.CgroupParent != "launchpad-1900000000" {
		t.Errorf("cgroup parent = %q, want one derived from uid_base", c.Sandbox.CgroupParent)
	}
	if got := c.LauncherRuntime("pythonlauncher"); got != rt {
		t.Errorf("runtime = %q", got)
	}
	if got := c.LauncherSettings("RLauncher"); !reflect.DeepEqual(got, map[string]string{"integer64": "true"}) {
		t.Errorf("RLauncher settings = %v", got)
	}
	if got := c.LauncherSettings("PythonLauncher"); !reflect.DeepEqual(got, map[string]string{"runtime": rt}) {
		t.Errorf("PythonLauncher settings = %v", got)
	}
	r := c.JobLimits()
	want := job.Limits{Timeout: 90 * time.Second, MemoryBytes: 512 << 20, MaxProcs: 64, CPUQuotaMillis: 1500,
		MaxOutputBytes: 1e9, MaxMessageBytes: 1 << 20, DiskBytes: 256 << 20, Decode: bxl.Limits{MaxFrameBytes: 64 << 20},
		BatchBytes: 1 << 20, QueueTimeout: 5 * time.Second, OpenFiles: 1024, CPUShares: 512, MaxFileBytes: 100 << 20,
		Log:        satellite.LogLimits{TotalBytes: 1 << 20, LineBytes: 4 << 10, PerSecond: 2.5, Burst: 10},
		MaxQueries: 5, MaxQueryResultBytes: 10 << 20}
	if r != want {
		t.Errorf("limits = %+v, want %+v", r, want)
	}
}

func TestLoad_Defaults(t *testing.T) {
	c, err := Load(write(t, ``))
	if err != nil {
		t.Fatal(err)
	}
	r := c.JobLimits()
	if c.StateDir != "/var/lib/launchpad" || c.Instance.Driver != "sqlite" || c.Sandbox.Workers != 20 ||
		c.Sandbox.CgroupParent != "launchpad" || r.MemoryBytes != 2<<30 || r.Timeout != 10*time.Minute || r.DiskBytes != 1<<30 ||
		r.Decode.MaxFrameBytes != 32<<20 || r.QueueTimeout != 60*time.Second || r.MaxProcs != 128 ||
		c.Sandbox.UIDBase != 1_890_000_000 || c.Sandbox.WorkRoot != "/var/lib/launchpad/jobs" || c.LogLevel != "info" ||
		c.ShutdownGraceDuration() != 30*time.Second {
		t.Errorf("defaults = %+v %+v", c, r)
	}
	// No weight and no file size limit of their own unless set; the
	// launcher log's limits are satellite's.
	if r.CPUShares != 0 || r.MaxFileBytes != 0 {
		t.Errorf("cpu shares %d, max file bytes %d; want 0, 0", r.CPUShares, r.MaxFileBytes)
	}
	wantLog := satellite.LogLimits{LineBytes: satellite.DefaultLogLineBytes, TotalBytes: satellite.DefaultLogTotalBytes,
		PerSecond: satellite.DefaultLogPerSecond, Burst: satellite.DefaultLogBurst}
	if r.Log != wantLog {
		t.Errorf("launcher log limits = %+v, want %+v", r.Log, wantLog)
	}
	if r.MaxQueries != job.DefaultMaxQueries || r.MaxQueryResultBytes != job.DefaultMaxQueryResultBytes {
		t.Errorf("query limits %d, %d; want the defaults", r.MaxQueries, r.MaxQueryResultBytes)
	}
	c, err = Load(write(t, `limits { max_queries = 0 }`))
	if err != nil || c.JobLimits().MaxQueries >= 0 {
		t.Errorf("max_queries = 0: %v, %d; want queries off (negative)", err, c.JobLimits().MaxQueries)
	}
}

func TestLoad_Refuses(t *testing.T) {
	cases := map[string]string{
		"Syntax":          `state_dir = `,
		"UnknownDriver":   `instance { driver = "oracle" dsn = "x" }`,
		"TwoDSNs":         `instance { driver = "sqlserver" dsn = "x" dsn_file = "/f" }`,
		"NoDSN":           `instance { driver = "sqlserver" }`,
		"BadIsolation":    `sandbox { isolation = "some" }`,
		"BadMemory":       `limits { memory = "lots" }`,
		"BadTimeout":      `limits { timeout = "-1s" }`,
		"TinyBatch":       `limits { batch_size = "1KiB" }`,
		"TinyDisk":        `limits { disk = "64KiB" }`,
		"BadDisk":         `limits { disk = "-1GiB" }`,
		"TinyFrame":       `limits { max_frame = "64KiB" }`,
		"HugeFrame":       `limits { max_frame = "2GiB" }`,
		"UnknownSetting":  `colour = "blue"`,
		"NegativeWorkers": `sandbox { workers = -1 }`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(write(t, body))
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"4096": 4096, "2GiB": 2 << 30, "512 MiB": 512 << 20, "1GB": 1e9, "10B": 10} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1MiB", "1.5GiB", "9999999999TiB"} {
		if _, err := ParseSize(in); err == nil || !strings.Contains(err.Error(), "size") {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

// The README's example configuration is what operators copy: it must parse
// and say what it shows.
func TestReadmeExample_Parses(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "## Production hosts")
	if !ok {
		t.Fatal("README has no Production hosts section")
	}
	_, rest, ok = strings.Cut(rest, "```hcl\n")
	block, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README's Production hosts section has no hcl block")
	}
	c, err := Load(write(t, block))
	if err != nil {
		t.Fatalf("README example is refused: %v\n%s", err, block)
	}
	if c.StateDir != "/var/lib/launchpad" || c.Instance == nil || c.Instance.Driver != "sqlite" {
		t.Errorf("README example read as %+v", c)
	}
}

func TestLoad_DataSourcePolicy(t *testing.T) {
	c, err := Load(write(t, `
data_source {
  allow_hosts = ["db1:1433", "*.corp"]
  max_value   = "16MiB"
}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.DataSource.AllowHosts; len(got) != 2 || got[0] != "db1:1433" || got[1] != "*.corp" {
		t.Errorf("allow_hosts = %v", got)
	}
	if n, err := c.DataSource.ValueLimit(); err != nil || n != 16<<20 {
		t.Errorf("value limit = %d, %v", n, err)
	}
	c, err = Load(write(t, ``))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.DataSource.ValueLimit(); err != nil || n != 64<<20 || len(c.DataSource.AllowHosts) != 0 {
		t.Errorf("defaults: limit %d (%v), allow_hosts %v", n, err, c.DataSource.AllowHosts)
	}
	for _, bad := range []string{`"12"`, `"2GiB"`, `"lots"`} {
		if _, err := Load(write(t, "data_source {\n max_value = "+bad+"\n}\n")); !errors.Is(err, ErrInvalid) {
			t.Errorf("max_value %s: %v, want ErrInvalid", bad, err)
		}
	}
}
