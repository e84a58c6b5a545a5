package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// Like the Python plugin's tool check: two plugin packages, which cannot share test code.
func needRscript(t *testing.T) {
	t.Helper()
	if err := exec.Command(defaultRuntime, "-e", "0").Run(); err != nil {
		t.Skipf("%s is not installed (apt-get install r-base-core): %v", defaultRuntime, err)
	}
}

// The R runtime's end-to-end tests (a Python unittest driver that runs the
// real Rscript with real pipes on descriptors 3 and 4) run as part of go test.
func TestRuntime_RUnitTests(t *testing.T) {
	needRscript(t)
	cmd := exec.Command("/usr/bin/python3", "-B", "-m", "unittest", "discover", "-s", "runtime", "-t", "runtime")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("R runtime tests failed: %v\n%s", err, out)
	}
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	t.Logf("%s", lines[len(lines)-1])
}

// TestRuntime_RPartTests runs each runtime/tests/test_*.R file: the unit
// tests of the runtime's parts, loaded by runtime/tests/run.R as launchpad.R
// loads them. A failing R test fails its subtest with the runner's output.
func TestRuntime_RPartTests(t *testing.T) {
	needRscript(t)
	files, err := filepath.Glob("runtime/tests/test_*.R")
	if err != nil || len(files) == 0 {
		t.Fatalf("no R test files in runtime/tests: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cmd := exec.Command(defaultRuntime, "--vanilla", "runtime/tests/run.R", filepath.Base(f))
			cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "HOME=" + t.TempDir()}
			out, err := cmd.CombinedOutput()
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if strings.HasPrefix(line, "FAIL ") {
					t.Error(line)
				}
			}
			if err != nil {
				t.Fatalf("%s: %v\n%s", f, err, out)
			}
			t.Logf("%d tests passed", len(regexp.MustCompile(`(?m)^ok `).FindAllString(string(out), -1)))
		})
	}
}

// TestRuntime_LaunchpadRSourcesEveryEmbeddedPart checks that the parts
// launchpad.R sources are exactly the embedded files beside it: a part the
// launcher does not stage would fail every job, an unsourced one is dead code.
func TestRuntime_LaunchpadRSourcesEveryEmbeddedPart(t *testing.T) {
	main, err := runtimeFS.ReadFile("runtime/" + scriptFile)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`parts <- c\(([^)]*)\)`).FindSubmatch(main)
	if m == nil {
		t.Fatalf("%s has no `parts <- c(...)` line", scriptFile)
	}
	var sourced []string
	for _, q := range regexp.MustCompile(`"([^"]+)"`).FindAllSubmatch(m[1], -1) {
		sourced = append(sourced, string(q[1]))
	}
	entries, err := runtimeFS.ReadDir(runtimeDir)
	if err != nil {
		t.Fatal(err)
	}
	var embedded []string
	for _, e := range entries {
		if e.Name() != scriptFile {
			embedded = append(embedded, e.Name())
		}
	}
	slices.Sort(sourced)
	if !slices.Equal(sourced, embedded) {
		t.Errorf("launchpad.R sources %v, the launcher embeds %v", sourced, embedded)
	}
}

// TestStageRuntime_WritesEveryPartReadOnly stages the runtime into a job
// folder and checks each file's content and mode.
func TestStageRuntime_WritesEveryPartReadOnly(t *testing.T) {
	dir := t.TempDir()
	script, err := stageRuntime(&launcher.RunRequest{WorkingDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if script != filepath.Join(dir, scriptFile) {
		t.Errorf("script = %s, want %s", script, filepath.Join(dir, scriptFile))
	}
	entries, err := runtimeFS.ReadDir(runtimeDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		want, _ := runtimeFS.ReadFile("runtime/" + e.Name())
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: staged content differs (%v)", e.Name(), err)
		}
		if st, err := os.Stat(filepath.Join(dir, e.Name())); err != nil || st.Mode().Perm() != 0o400 {
			t.Errorf("%s: mode %v, want 0400 (%v)", e.Name(), st.Mode().Perm(), err)
		}
	}
}

// TestLauncher_Integer64SettingReachesTheRuntime: the operator's
// integer64 = true becomes the runtime's LAUNCHPAD_R_INTEGER64=1; nothing
// else (unset, "false", a typo) turns it on.
func TestLauncher_Integer64SettingReachesTheRuntime(t *testing.T) {
	cases := map[string]struct {
		settings map[string]string
		want     []string
	}{
		"on":    {map[string]string{"integer64": "true"}, []string{"LAUNCHPAD_R_INTEGER64=1"}},
		"off":   {map[string]string{"integer64": "false"}, nil},
		"unset": {nil, nil},
		"typo":  {map[string]string{"integer64": "yes"}, nil},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := runtimeSettings(&launcher.RunRequest{Settings: c.settings})
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("runtimeSettings = %v, want %v", got, c.want)
			}
		})
	}
}
