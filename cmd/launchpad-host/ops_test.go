package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/cmd/internal/clientcmd"
)

// The admin commands act on the host of --config: its state_dir and
// plugin_dir; --state and --plugin-dir override; a missing default file
// means the default folders, a missing named one is an error.
func TestStateFlags_FollowTheHostsConfig(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "host.hcl")
	if err := os.WriteFile(conf, []byte("state_dir = \"/srv/lp\"\nplugin_dir = \"/opt/lp/plugins\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name             string
		args             []string
		state, plugins   string
		wantErrSubstring string
	}{
		{"Config", []string{"--config", conf}, "/srv/lp", "/opt/lp/plugins", ""},
		{"StateOverrides", []string{"--config", conf, "--state", "/var/lp"}, "/var/lp", "", ""},
		{"PluginDirOverrides", []string{"--config", conf, "--plugin-dir", "/p"}, "/srv/lp", "/p", ""},
		{"MissingNamedConfig", []string{"--config", filepath.Join(dir, "nope.hcl")}, "", "", "nope.hcl"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := cli.NewFlagSet("plugin list", "launchpad plugin list")
			get := stateFlags(fs)
			if _, err := cli.ParseInterspersed(fs, tc.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := get()
			if tc.wantErrSubstring != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErrSubstring) {
					t.Fatalf("err = %v, want one naming %s", err, tc.wantErrSubstring)
				}
				return
			}
			if err != nil || cfg.StateDir != tc.state || cfg.PluginDir != tc.plugins {
				t.Fatalf("got %+v, %v; want state %s plugins %s", cfg, err, tc.state, tc.plugins)
			}
		})
	}
}

// Every command's -h prints its usage and every flag on stdout and is not
// an error.
func TestHelp_ListsEveryFlag(t *testing.T) {
	cases := []struct {
		run   func([]string) error
		args  []string
		flags []string
	}{
		{runServe, []string{"-h"}, []string{"-config", "-log-level"}},
		{runDev, []string{"--help"}, []string{"-state", "-isolation", "-config", "-log-level"}},
		{runConfig, []string{"validate", "-h"}, []string{"-config"}},
		{runPlugin, []string{"list", "-h"}, []string{"-config", "-state", "-plugin-dir", "-format"}},
		{runPlugin, []string{"register", "-h"}, []string{"-config", "-state", "-plugin-dir"}},
		{runPlugin, []string{"sign", "-h"}, []string{"-key", "-name", "-language", "-version"}},
		{runTrust, []string{"add", "-h"}, []string{"-config", "-state", "-plugin-dir", "-name"}},
		{runKey, []string{"generate", "-h"}, []string{"-out"}},
		{runPlugin, []string{"-h"}, []string{"plugin sign", "plugin list"}},
		{clientcmd.Jobs, []string{"-h"}, []string{"-address", "-format", "-limit"}},
		{clientcmd.Cancel, []string{"-h"}, []string{"-address"}},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out := captureOut(t)
			if err := tc.run(tc.args); !errors.Is(err, cli.ErrHelp) {
				t.Fatalf("err = %v, want cli.ErrHelp", err)
			}
			if !strings.HasPrefix(out.String(), "usage: launchpad ") {
				t.Errorf("output:\n%s", out)
			}
			for _, f := range tc.flags {
				if !strings.Contains(out.String(), f) {
					t.Errorf("help lacks %s:\n%s", f, out)
				}
			}
		})
	}
}

func TestServe_RefusesAnUnknownLogLevel(t *testing.T) {
	if err := runServe([]string{"--log-level", "loud"}); !errors.Is(err, cli.ErrUsage) || !strings.Contains(err.Error(), "loud") {
		t.Fatalf("err = %v", err)
	}
}

// table create makes a table from T-SQL declarations and JSON rows of
// literals, and names what is wrong in bad rows.
func TestTableCreate_DeclaredColumnsAndLiteralRows(t *testing.T) {
	db := filepath.Join(t.TempDir(), "instance.db")
	old := tableIn
	t.Cleanup(func() { tableIn = old })
	tableIn = strings.NewReader(`[["1", "0x00FF"], ["2", null]]`)
	if err := runTable([]string{"create", "--db", db, "--name", "t", "--columns", "id bigint NOT NULL, b varbinary(max)"}); err != nil {
		t.Fatal(err)
	}
	tableIn = strings.NewReader(`[["x"]]`)
	if err := runTable([]string{"create", "--db", db, "--name", "u", "--columns", "id int"}); err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("a bad literal gave %v, want an error naming row 1", err)
	}
	tableIn = strings.NewReader(`{`)
	if err := runTable([]string{"create", "--db", db, "--name", "v", "--columns", "id int"}); err == nil || !strings.Contains(err.Error(), "rows on stdin") {
		t.Errorf("bad JSON gave %v", err)
	}
	if err := runTable([]string{"create", "--db", db}); !errors.Is(err, cli.ErrUsage) {
		t.Errorf("missing flags gave %v, want a usage error", err)
	}
}
