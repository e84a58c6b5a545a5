package catalog

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// A started launcher that describes itself unlike its signed manifest is
// refused, and the refusal is audited; one that matches passes.
func TestCatalog_CheckInfoRefusesAMismatch(t *testing.T) {
	e := newEnv(t, true)
	// Starts like the other catalog tests (env, resolve, check): a few lines, clearer inline than behind a helper.
	l, err := e.cat.Resolve("Python")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Exe.Close()
	good := launcher.Info{Name: "PythonLauncher", Version: "0.1.0", Languages: []string{"python"}, APIVersion: launcher.APIVersion}
	if err := e.cat.CheckInfo(l, "Python", &good); err != nil {
		t.Fatalf("matching info refused: %v", err)
	}
	tests := map[string]struct {
		change func(*launcher.Info)
		text   string
	}{
		"name":         {func(i *launcher.Info) { i.Name = "Other" }, `name "Other", signed "PythonLauncher"`},
		"version":      {func(i *launcher.Info) { i.Version = "9" }, `version "9", signed "0.1.0"`},
		"api version":  {func(i *launcher.Info) { i.APIVersion = 2 }, `api version "2", signed "1"`},
		"languages":    {func(i *launcher.Info) { i.Languages = []string{"Python", "R"} }, `languages "Python,R", signed "Python"`},
		"hostile name": {func(i *launcher.Info) { i.Name = "x\x1b[2J" + strings.Repeat("y", 1000) }, `name "x\x1b[2Jyyy`},
	}
	for name, tc := range tests {
		info := good
		tc.change(&info)
		err := e.cat.CheckInfo(l, "Python", &info)
		if !errors.Is(err, ErrInfoMismatch) || !errors.Is(err, ErrUntrustedPlugin) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: CheckInfo = %v, want a refusal saying %s", name, err, tc.text)
		}
		if len(err.Error()) > 600 {
			t.Errorf("%s: error of %d bytes: the launcher's text is not bounded", name, len(err.Error()))
		}
		ev := e.lastAudit(t)
		if ev.Action != "launcher.start" || ev.Result != ResultRefused || ev.Target != "PythonLauncher" || ev.Details["sha256"] != l.SHA256 {
			t.Errorf("%s: audit %+v", name, ev)
		}
	}
	if err := e.cat.CheckInfo(l, "Python", nil); !errors.Is(err, ErrInfoMismatch) {
		t.Errorf("no info: %v", err)
	}
}

// memfd_create failing is the host's fault: neither a refusal nor audited
// as one, at start and at registration.
func TestCatalog_MemfdFailureIsAHostFault(t *testing.T) {
	e := newEnv(t, true)
	memfdCreate = func(string, int) (int, error) { return -1, unix.ENOMEM }
	defer func() { memfdCreate = unix.MemfdCreate }()
	_, err := e.cat.Resolve("Python")
	if !errors.Is(err, ErrHostFault) || errors.Is(err, ErrUntrustedPlugin) || !strings.Contains(err.Error(), "memfd_create") {
		t.Fatalf("Resolve = %v, want a host fault that is not a refusal", err)
	}
	if ev := e.lastAudit(t); ev.Result != ResultError || ev.Action != "launcher.start" {
		t.Errorf("audit after Resolve: %+v", ev)
	}
	_, err = e.cat.Register(e.bin)
	if !errors.Is(err, ErrHostFault) || errors.Is(err, ErrUntrustedPlugin) || strings.Contains(err.Error(), "untrusted") {
		t.Fatalf("Register = %v, want a host fault that is not a refusal", err)
	}
	if ev := e.lastAudit(t); ev.Result != ResultError || ev.Action != "plugin.register" {
		t.Errorf("audit after Register: %+v", ev)
	}
}
