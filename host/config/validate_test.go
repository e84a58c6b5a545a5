package config

import (
	"errors"
	"strings"
	"testing"
)

// Every bad value is refused at load, with the file, its line and the
// setting named.
func TestLoad_EveryBadValueNamesFileLineAndSetting(t *testing.T) {
	cases := []struct {
		name, body, want string
	}{
		{"NegativeMemory", "limits {\n  memory = \"-1GiB\"\n}", ":2: limits.memory: \"-1GiB\": want a size"},
		{"TinyMemory", "limits {\n  memory = \"1MiB\"\n}", ":2: limits.memory: \"1MiB\" is below the minimum of 32MiB"},
		{"TinyTimeout", "limits {\n  timeout = \"10ms\"\n}", ":2: limits.timeout: \"10ms\": below the minimum of 1s"},
		{"NegativeTimeout", "limits {\n  timeout = \"-5s\"\n}", ":2: limits.timeout"},
		{"TinyProcesses", "limits {\n  max_processes = 2\n}", ":2: limits.max_processes: 2: want at least 8"},
		{"ZeroProcesses", "limits {\n  max_processes = 0\n}", ":2: limits.max_processes: 0"},
		{"NegativeCPUs", "limits {\n  cpus = -1\n}", ":2: limits.cpus"},
		{"TinyCPUs", "limits {\n  cpus = 0.001\n}", ":2: limits.cpus"},
		{"TinyMessages", "limits {\n  max_messages = \"100B\"\n}", ":2: limits.max_messages"},
		{"TinyOutput", "limits {\n  max_output = \"10B\"\n}", ":2: limits.max_output"},
		{"TinyOpenFiles", "limits {\n  open_files = 3\n}", ":2: limits.open_files: 3: want 64..1048576"},
		{"HugeLauncherLog", "limits {\n  launcher_log = \"1GiB\"\n}", ":2: limits.launcher_log: \"1GiB\" is above the maximum of 64MiB"},
		{"ZeroCPUShares", "limits {\n  cpu_shares = 0\n}", ":2: limits.cpu_shares: 0: want 2..262144"},
		{"HugeCPUShares", "limits {\n  cpu_shares = 300000\n}", ":2: limits.cpu_shares: 300000: want 2..262144"},
		{"TinyMaxFileSize", "limits {\n  max_file_size = \"4KiB\"\n}", ":2: limits.max_file_size: \"4KiB\" is below the minimum of 1MiB"},
		{"BadMaxFileSize", "limits {\n  max_file_size = \"big\"\n}", ":2: limits.max_file_size: \"big\": want a size"},
		{"TinyLogLine", "limits {\n  launcher_log_line = \"16B\"\n}", ":2: limits.launcher_log_line: \"16B\" is below the minimum of 256B"},
		{"HugeLogLine", "limits {\n  launcher_log_line = \"1MiB\"\n}", ":2: limits.launcher_log_line: \"1MiB\" is above the maximum of 64KiB"},
		{"ZeroLogRate", "limits {\n  launcher_log_rate = 0\n}", ":2: limits.launcher_log_rate: 0: want 0.1..10000"},
		{"NegativeLogBurst", "limits {\n  launcher_log_burst = -1\n}", ":2: limits.launcher_log_burst: -1: want 1..100000"},
		{"NegativeQueries", "limits {\n  max_queries = -1\n}", ":2: limits.max_queries: -1: want 0..1000000"},
		{"TinyQueryResult", "limits {\n  max_query_result = \"1B\"\n}", ":2: limits.max_query_result"},
		{"ZeroWorkers", "sandbox {\n  workers = 0\n}", ":2: sandbox.workers: 0: want at least 1"},
		{"NegativeWorkers", "sandbox {\n  workers = -3\n}", ":2: sandbox.workers"},
		{"NegativeUIDBase", "sandbox {\n  uid_base = -5\n}", ":2: sandbox.uid_base"},
		{"QueueTimeout", "sandbox {\n  queue_timeout = \"soon\"\n}", ":2: sandbox.queue_timeout"},
		{"WorkRootInTmp", "sandbox {\n  work_root = \"/tmp/jobs\"\n}", ":2: sandbox.work_root: /tmp/jobs is under /tmp"},
		{"RelativeState", "state_dir = \"var/lp\"\n", ":1: state_dir: \"var/lp\" is not an absolute path"},
		{"LogLevel", "\nlog_level = \"loud\"\n", ":2: log_level: \"loud\": want trace"},
		{"Grace", "shutdown_grace = \"forever\"\n", ":1: shutdown_grace"},
		{"Isolation", "sandbox {\n  isolation = \"some\"\n}", ":2: sandbox.isolation"},
		{"Driver", "instance {\n  driver = \"oracle\"\n  dsn = \"x\"\n}", ":2: instance.driver: \"oracle\""},
		{"TwoDSNs", "instance {\n  driver = \"sqlserver\"\n  dsn = \"x\"\n  dsn_env = \"Y\"\n}", ":1: instance: give exactly one"},
		{"RuntimeMissing", "launcher \"PythonLauncher\" {\n  runtime = \"/nonexistent/python3\"\n}",
			":2: launcher.PythonLauncher.runtime: stat /nonexistent/python3: no such file"},
		{"RuntimeNotExecutable", "launcher \"R\" {\n  runtime = \"/etc/passwd\"\n}", ":2: launcher.R.runtime: /etc/passwd is not an executable"},
		{"LauncherTwice", "launcher \"R\" {\n}\nlauncher \"r\" {\n}", ":3: launcher.r: launcher \"r\" is configured twice"},
		{"AllowHosts", "data_source {\n  allow_hosts = [\"\"]\n}", ":2: data_source.allow_hosts"},
		{"MaxValue", "data_source {\n  max_value = \"2GiB\"\n}", ":2: data_source.max_value"},
		{"WrongType", "sandbox {\n  workers = \"many\"\n}", ":2: sandbox.workers: Unsuitable value type"},
		{"Unknown", "\ncolour = \"blue\"\n", ":2: colour: Unsupported argument: An argument named \"colour\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := write(t, tc.body)
			_, err := Load(file)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), file+tc.want) {
				t.Errorf("error %q\ndoes not name %q", err, file+tc.want)
			}
		})
	}
}

// validate lists every problem, not just the first.
func TestLoad_ListsEveryProblem(t *testing.T) {
	file := write(t, "log_level = \"x\"\nlimits {\n  memory = \"1B\"\n  timeout = \"0s\"\n}\nsandbox {\n  workers = 0\n}\n")
	_, err := Load(file)
	var cerr *Error
	if !errors.As(err, &cerr) {
		t.Fatalf("err = %v", err)
	}
	lines := strings.Split(err.Error(), "\n")
	for _, want := range []string{":1: log_level", ":3: limits.memory", ":4: limits.timeout", ":7: sandbox.workers"} {
		found := false
		for _, l := range lines {
			found = found || strings.HasPrefix(l, file+want)
		}
		if !found {
			t.Errorf("no line starting %q in:\n%s", file+want, err)
		}
	}
	if len(lines) != 4 {
		t.Errorf("%d lines, want 4:\n%s", len(lines), err)
	}
}

// A configuration built in code (dev) names the setting without a file.
func TestNormalize_InCodeConfigNamesSetting(t *testing.T) {
	c := &Config{StateDir: "/srv/lp", Limits: &Limits{Memory: "1KiB"}}
	err := c.Normalize()
	if err == nil || err.Error() != `limits.memory: "1KiB" is below the minimum of 32MiB` {
		t.Fatalf("err = %v", err)
	}
}
