package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// launchpadOut runs the launchpad binary and returns its exit code and
// combined output.
func launchpadOut(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(theHost.bin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// `config validate` through the binary: every problem of a file, each with
// its line and setting, then exit 1; a sound file is "valid". The admin
// commands act on the host of --config, and `plugin list` tells a trusted
// launcher from a changed one and from one whose key was revoked (saying
// how to recover).
func TestOps_ConfigValidateAndPluginStatus(t *testing.T) {
	h := startExtraHost(t, fmt.Sprintf("sandbox {\n  uid_base = %d\n  workers = 2\n}\n", extraUIDBase(13)))
	if err := stopProcess(h); err != nil {
		t.Fatal(err)
	}
	good := fmt.Sprintf("state_dir = %q\nsandbox {\n  uid_base = %d\n  workers = 2\n  isolation = %q\n}\n"+
		"launcher \"PythonLauncher\" {\n  runtime = \"/usr/bin/python3\"\n}\n", h.state, extraUIDBase(13), isolation())
	conf := filepath.Join(h.dir, "serve.hcl")
	if err := os.WriteFile(conf, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := launchpadOut(t, nil, "config", "validate", "--config", conf); code != 0 || !strings.Contains(out, conf+": valid") {
		t.Fatalf("valid file: exit %d\n%s", code, out)
	}
	bad := filepath.Join(h.dir, "bad.hcl")
	body := fmt.Sprintf("state_dir = %q\nlog_level = \"chatty\"\nlimits {\n  memory = \"1MiB\"\n  max_processes = 0\n}\n"+
		"sandbox {\n  workers = 0\n}\nlauncher \"Pyhton\" {\n  runtime = \"/usr/bin/pyhton3\"\n}\n", h.state)
	if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out := launchpadOut(t, nil, "config", "validate", "--config", bad)
	if code != 1 {
		t.Errorf("bad file: exit %d, want 1", code)
	}
	for _, want := range []string{":2: log_level", ":4: limits.memory", ":5: limits.max_processes", ":8: sandbox.workers",
		":11: launcher.Pyhton.runtime", ":10: launcher.Pyhton: no launcher named \"Pyhton\" is registered"} {
		if !strings.Contains(out, bad+want) {
			t.Errorf("validate does not say %q:\n%s", bad+want, out)
		}
	}
	if status := pluginStatus(t, conf); status["PythonLauncher"] != "trusted" || status["RLauncher"] != "trusted" {
		t.Fatalf("statuses %v, want both trusted", status)
	}
	py := filepath.Join(h.state, "plugins", "launchpad-python")
	orig, err := os.ReadFile(py)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(py, append(append([]byte{}, orig...), 0), 0o755); err != nil {
		t.Fatal(err)
	}
	if status := pluginStatus(t, conf); status["PythonLauncher"] != "binary changed" || status["RLauncher"] != "trusted" {
		t.Errorf("after a change: %v", status)
	}
	if err := os.WriteFile(py, orig, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, out := launchpadOut(t, nil, "trust", "revoke", "dev", "--config", conf); code != 0 {
		t.Fatalf("trust revoke --config: exit %d\n%s", code, out)
	}
	_, out = launchpadOut(t, nil, "plugin", "list", "--config", conf)
	if !strings.Contains(out, "revoked key") || !strings.Contains(out, "Recovering from a revoked key") {
		t.Errorf("plugin list after revoking the key:\n%s", out)
	}
}

// pluginStatus is `plugin list --format json`'s status by launcher name.
func pluginStatus(t *testing.T, conf string) map[string]string {
	t.Helper()
	code, out := launchpadOut(t, nil, "plugin", "list", "--config", conf, "--format", "json")
	if code != 0 {
		t.Fatalf("plugin list: exit %d\n%s", code, out)
	}
	var list []struct{ Name, Status, Reason string }
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("plugin list json: %v\n%s", err, out)
	}
	m := map[string]string{}
	for _, l := range list {
		m[l.Name] = l.Status
	}
	return m
}
