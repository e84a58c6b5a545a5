package host

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"

	"github.com/openlaunchpad/launchpad/host/config"
)

// checkConfig is a sound configuration on fresh folders, isolation none.
func checkConfig(t *testing.T, extra string) (*config.Config, string) {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	for _, d := range []string{state, filepath.Join(state, "plugins")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(state, "instance.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "host.hcl")
	body := "state_dir = \"" + state + "\"\nsandbox {\n  isolation = \"none\"\n  work_root = \"/var/tmp/lp-check-" +
		filepath.Base(dir) + "\"\n}\n" + extra
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, state
}

func problems(d hcl.Diagnostics) string {
	var lines []string
	for _, x := range d {
		lines = append(lines, config.FormatDiag(x))
	}
	return strings.Join(lines, "\n")
}

// Check names what serve would refuse, at the setting's line, and changes
// nothing; a host with no launcher only warns.
func TestCheck_RefusesWhatServeWouldAndChangesNothing(t *testing.T) {
	cases := []struct {
		name  string
		extra string
		spoil func(state string)
		want  string
	}{
		{"Sound", "", func(string) {}, ""},
		{"NoPluginDir", "", func(s string) { os.Remove(filepath.Join(s, "plugins")) }, "plugin_dir: "},
		{"NoStateDir", "", func(s string) { os.RemoveAll(s) }, "state_dir: "},
		{"NoSQLiteFile", "", func(s string) { os.Remove(filepath.Join(s, "instance.db")) }, "instance.dsn: SQLite database"},
		{"UnknownLauncher", "launcher \"Nope\" {\n}\n", func(string) {}, ":6: launcher.Nope: no launcher named \"Nope\" is registered (registered: none)"},
		{"LiveSocket", "", func(s string) { listenOn(t, filepath.Join(s, "launchpad.sock")) }, "socket: another host is serving on"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, state := checkConfig(t, tc.extra)
			tc.spoil(state)
			before := tree(t, filepath.Dir(state))
			d := Check(cfg)
			if after := tree(t, filepath.Dir(state)); after != before {
				t.Errorf("Check changed the folders:\nbefore %s\nafter  %s", before, after)
			}
			if tc.want == "" {
				if d.HasErrors() {
					t.Fatalf("problems:\n%s", problems(d))
				}
				if !strings.Contains(problems(d), "warning: plugin_dir: no launcher is registered") {
					t.Errorf("no warning for a host without launchers:\n%s", problems(d))
				}
				return
			}
			if !d.HasErrors() || !strings.Contains(problems(d), tc.want) {
				t.Fatalf("problems:\n%s\nwant one containing %q", problems(d), tc.want)
			}
		})
	}
}

func listenOn(t *testing.T, path string) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
}

// tree lists the paths below dir.
func tree(t *testing.T, dir string) string {
	var paths []string
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
		paths = append(paths, p)
		return nil
	})
	return strings.Join(paths, " ")
}
