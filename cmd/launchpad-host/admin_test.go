package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/signing"
)

// captureOut routes the admin commands' output into a buffer for one test.
func captureOut(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	old, oldCLI := adminOut, cli.Out
	adminOut, cli.Out = &buf, &buf
	t.Cleanup(func() { adminOut, cli.Out = old, oldCLI })
	return &buf
}

func auditActions(t *testing.T, state string) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(state, catalog.AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev catalog.AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.Action+":"+ev.Target+":"+ev.Result)
	}
	return out
}

func TestAdminCLI_GenerateSignTrustRegisterRevoke(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: registration requires root-owned binaries and folders")
	}
	out := captureOut(t)
	base := t.TempDir()
	state := filepath.Join(base, "state")
	plugins := filepath.Join(base, "plugins")
	if err := os.Mkdir(plugins, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(signing.PasswordEnv, "")
	prefix := filepath.Join(base, "acme")
	if err := runKey([]string{"generate", "--out", prefix}); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(prefix + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v %v", fi, err)
	}
	if !strings.Contains(out.String(), "NOT encrypted") {
		t.Fatalf("no unencrypted-key note: %s", out)
	}
	bin := filepath.Join(plugins, "python-launcher")
	if err := os.WriteFile(bin, []byte("#!/bin/false\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Flags after the positional argument are accepted too.
	if err := runPlugin([]string{"sign", bin, "--key", prefix + ".key", "--name", "PythonLauncher",
		"--language", "Python", "--language", "Py3", "--version", "0.1.0"}); err != nil {
		t.Fatal(err)
	}
	pub, err := signing.ReadPublicKeyFile(prefix + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	m, err := signing.VerifyFile(pub, bin)
	if err != nil || strings.Join(m.Languages, ",") != "Python,Py3" {
		t.Fatalf("signed manifest %+v: %v", m, err)
	}
	dirs := []string{"--state", state, "--plugin-dir", plugins}
	if err := runTrust(append([]string{"add", prefix + ".pub", "--name", "acme"}, dirs...)); err != nil {
		t.Fatal(err)
	}
	if err := runPlugin(append([]string{"register", bin}, dirs...)); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := runPlugin(append([]string{"list"}, dirs...)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "PythonLauncher") || !strings.Contains(out.String(), m.SHA256) {
		t.Fatalf("plugin list:\n%s", out)
	}
	if err := runTrust(append([]string{"revoke", "acme"}, dirs...)); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := runTrust(append([]string{"list"}, dirs...)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "revoked") || !strings.Contains(out.String(), pub.ID()) {
		t.Fatalf("trust list keeps the revoked key:\n%s", out)
	}
	if err := runPlugin(append([]string{"register", bin}, dirs...)); !errors.Is(err, catalog.ErrRevokedKey) {
		t.Fatalf("register after revoke: got %v", err)
	}
	if err := runPlugin(append([]string{"remove", "PythonLauncher"}, dirs...)); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"trust.add:acme:ok", "plugin.register:PythonLauncher:ok", "trust.revoke:acme:ok",
		"plugin.register:" + bin + ":refused", "plugin.remove:PythonLauncher:ok",
	}
	if got := auditActions(t, state); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit\n got %v\nwant %v", got, want)
	}
}

func TestAdminCLI_RefusesNonAdmin(t *testing.T) {
	captureOut(t)
	old := geteuid
	geteuid = func() int { return 1000 }
	t.Cleanup(func() { geteuid = old })
	state := filepath.Join(t.TempDir(), "state")
	pub, _, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]func() error{
		"trust add":       func() error { return runTrust([]string{"add", pub.String(), "--name", "acme", "--state", state}) },
		"trust revoke":    func() error { return runTrust([]string{"revoke", "acme", "--state", state}) },
		"plugin register": func() error { return runPlugin([]string{"register", "/bin/true", "--state", state}) },
		"plugin remove":   func() error { return runPlugin([]string{"remove", "X", "--state", state}) },
	}
	for name, run := range tests {
		t.Run(name, func(t *testing.T) {
			if err := run(); !errors.Is(err, ErrNotAdmin) {
				t.Fatalf("got %v, want ErrNotAdmin", err)
			}
		})
	}
	if os.Geteuid() == 0 { // only root could write the log the refusals went to
		got := auditActions(t, state)
		if len(got) != len(tests) {
			t.Fatalf("audit has %d refusals, want %d: %v", len(got), len(tests), got)
		}
		for _, a := range got {
			if !strings.HasPrefix(a, "admin:") || !strings.HasSuffix(a, ":refused") {
				t.Fatalf("audit entry %q", a)
			}
		}
	}
	c, err := catalog.Open(catalog.Config{StateDir: state}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pubs, err := c.Publishers(); err != nil || len(pubs) != 0 {
		t.Fatalf("non-admin changed the trust store: %v %v", pubs, err)
	}
}

func TestAdminCLI_RejectsBadUsage(t *testing.T) {
	captureOut(t)
	tests := map[string]func() error{
		"key without out":     func() error { return runKey([]string{"generate"}) },
		"key unknown":         func() error { return runKey([]string{"rotate"}) },
		"sign without lang":   func() error { return runPlugin([]string{"sign", "--key", "k", "--name", "N", "--version", "1", "b"}) },
		"register two":        func() error { return runPlugin([]string{"register", "a", "b"}) },
		"plugin unknown":      func() error { return runPlugin([]string{"frobnicate"}) },
		"trust add no name":   func() error { return runTrust([]string{"add", "KEY"}) },
		"trust unknown flag":  func() error { return runTrust([]string{"list", "--bogus"}) },
		"trust no subcommand": func() error { return runTrust(nil) },
	}
	for name, run := range tests {
		t.Run(name, func(t *testing.T) {
			if err := run(); !errors.Is(err, cli.ErrUsage) {
				t.Fatalf("got %v, want cli.ErrUsage", err)
			}
		})
	}
}
