package host

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/host/config"
	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// testHost is a host with a real catalog in a temporary folder, owned by
// the test's own user (catalog.Config.OwnerUID), so it runs unprivileged.
// "Python" is served by a copy of /bin/true that `launchpad dev`'s own
// bootstrap signed and registered.
func testHost(t *testing.T) (*Host, string) {
	t.Helper()
	state := filepath.Join(t.TempDir(), "state")
	cfg := catalog.Config{StateDir: state, OwnerUID: os.Geteuid()}
	bins := []catalog.DevBinary{{Path: "/bin/true", Name: "PythonLauncher", Version: "0.1.0", Languages: []string{"Python"}}}
	if err := catalog.DevBootstrap(cfg, bins, hclog.NewNullLogger()); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Open(cfg, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	hcfg := &config.Config{Launchers: []config.Launcher{{Name: "pythonlauncher", Runtime: "/opt/py/bin/python3"}}}
	return &Host{cfg: hcfg, launchers: hcfg.Launchers, log: hclog.NewNullLogger(), catalog: cat}, state
}

// resolve turns the catalog's answers into the job's error classes: no
// launcher is an unknown language, a host fault is not an untrusted
// launcher, and the launcher it returns carries the operator's settings and
// a check of its own description.
func TestHost_ResolveClassifiesAndChecks(t *testing.T) {
	t.Parallel()
	h, state := testHost(t)
	l, err := h.resolve("Python")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Exe.Close()
	if l.Name != "PythonLauncher" || l.Version != "0.1.0" || l.Settings["runtime"] != "/opt/py/bin/python3" || l.Check == nil {
		t.Fatalf("launcher %+v", l)
	}
	good := &launcher.Info{Name: "PythonLauncher", Version: "0.1.0", Languages: []string{"Python"}, APIVersion: launcher.APIVersion}
	if err := l.Check(good); err != nil {
		t.Fatalf("the launcher's true description refused: %v", err)
	}
	bad := *good
	bad.Version = "6.6.6"
	if err := l.Check(&bad); !errors.Is(err, catalog.ErrInfoMismatch) || !errors.Is(err, catalog.ErrUntrustedPlugin) {
		t.Fatalf("a launcher claiming another version: %v", err)
	}

	if _, err := h.resolve("R"); !errors.Is(err, job.ErrUnknownLanguage) {
		t.Fatalf("no R launcher: %v, want job.ErrUnknownLanguage", err)
	}
	if err := os.WriteFile(filepath.Join(state, catalog.TrustFile), []byte("{broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = h.resolve("Python")
	if !errors.Is(err, job.ErrResolveFault) || errors.Is(err, catalog.ErrUntrustedPlugin) {
		t.Fatalf("corrupt trust store: %v, want job.ErrResolveFault and no refusal", err)
	}
}

// listen replaces a socket a crashed host left, but never a live one or
// anything that is not a socket.
func TestListen_ReplacesOnlyAStaleSocket(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	live := filepath.Join(dir, "live.sock")
	ln, err := listen(live)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if fi, err := os.Stat(live); err != nil || fi.Mode().Perm() != 0o666 {
		t.Fatalf("socket mode: %v %v", fi, err)
	}
	if _, err := listen(live); err == nil || !strings.Contains(err.Error(), "another host is serving") {
		t.Fatalf("second listen on a live socket: %v", err)
	}

	stale := filepath.Join(dir, "stale.sock")
	l2, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l2.(*net.UnixListener).SetUnlinkOnClose(false)
	l2.Close()
	l3, err := listen(stale)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	l3.Close()

	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := listen(file); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("listen over a file: %v", err)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the file was removed: %v", err)
	}
}

// guardState lets workers traverse the state folder only, and keeps the
// SQLite instance and its side files the host's alone.
func TestGuardState_Modes(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	db := filepath.Join(state, "instance.db")
	for _, p := range []string{db, db + "-wal"} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := &config.Config{StateDir: state, Instance: &config.Instance{Driver: "sqlite", DSN: db}}
	if err := guardState(cfg); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{state: 0o711, db: 0o600, db + "-wal": 0o600} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want mode %v", p, fi.Mode().Perm(), err, want)
		}
	}
}
