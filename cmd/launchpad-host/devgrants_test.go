package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host/config"
)

// dev turns scripts on and grants everything to root and to the user who
// ran sudo, after the file's own grants; a file that turns scripts off
// keeps them off.
func TestDevGrants_InvokingUserAndRoot(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("SUDO_UID counts only for root")
	}
	t.Setenv("SUDO_UID", "1234")
	cfg := &config.Config{}
	devGrants(cfg, hclog.NewNullLogger())
	var subjects []string
	for _, g := range cfg.Grants {
		if !g.Admin || g.Languages[0] != "*" || g.WriteTables[0] != "*" || g.ReadTables[0] != "*" {
			t.Errorf("dev grant %+v is not everything", g)
		}
		subjects = append(subjects, g.Subject)
	}
	if !cfg.ExternalScriptsEnabled || strings.Join(subjects, ",") != "uid:0,uid:1234" {
		t.Errorf("enabled %v, subjects %v", cfg.ExternalScriptsEnabled, subjects)
	}

	file := filepath.Join(t.TempDir(), "dev.hcl")
	if err := os.WriteFile(file, []byte("external_scripts_enabled = false\ngrant \"user:alice\" {\n  languages = [\"R\"]\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	off, err := config.Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	devGrants(off, hclog.NewNullLogger())
	if off.ExternalScriptsEnabled || len(off.Grants) != 3 || off.Grants[0].Subject != "user:alice" {
		t.Errorf("with the file: enabled %v, grants %+v", off.ExternalScriptsEnabled, off.Grants)
	}
}
