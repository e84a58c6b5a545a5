package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The paths the package installs, as README and docs name them.
const (
	pkgBin     = "/usr/bin/launchpad"
	pkgHost    = "/usr/lib/launchpad/launchpad-host"
	pkgInit    = "/usr/lib/launchpad/launchpad-sandbox-init"
	pkgPlugins = "/usr/lib/launchpad/plugins"
	pkgConfig  = "/etc/launchpad/launchpad.hcl"
	pkgState   = "/var/lib/launchpad"
	pkgUnit    = "/lib/systemd/system/launchpad.service"
)

// packageGate skips unless this test may install the package: root, dpkg,
// and no Launchpad on the machine that is not our package (never clobber
// an operator's install or another host's state).
func packageGate(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("installs a Debian package: needs root")
	}
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("no dpkg on this machine")
	}
	installed := exec.Command("dpkg-query", "-W", "-f=${Status}", "launchpad").Run() == nil
	for _, p := range []string{pkgBin, pkgState, "/etc/launchpad", "/usr/lib/launchpad"} {
		if _, err := os.Lstat(p); err == nil && !installed {
			t.Skipf("%s exists and is not from the launchpad package: not touching it", p)
		}
	}
}

// buildPackage runs `make package` into a private folder.
func buildPackage(t *testing.T) string {
	t.Helper()
	out := tempDirIn(t, "/var/tmp", "lpdeb-")
	cmd := exec.Command("make", "package", "BIN="+out, "VERSION=0.1.0~e2e")
	cmd.Dir = repoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make package: %v\n%s", err, tail(string(b), 4000))
	}
	deb := filepath.Join(out, "launchpad_0.1.0~e2e_amd64.deb")
	if _, err := os.Stat(deb); err != nil {
		t.Fatal(err)
	}
	return deb
}

func mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	b, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
	}
	return string(b)
}

// The package installs with dpkg -i, its host serves a job as installed
// (after the administrator signs, trusts and registers the launcher) and
// tells systemd READY=1, and dpkg --purge leaves nothing behind.
func TestPackage_InstallServeAndPurge(t *testing.T) {
	packageGate(t)
	deb := buildPackage(t)
	purged := false
	t.Cleanup(func() {
		if !purged {
			exec.Command("dpkg", "--purge", "launchpad").Run()
		}
	})
	mustRun(t, "dpkg", "-i", deb)
	for _, p := range []string{pkgBin, pkgHost, pkgInit, pkgPlugins + "/launchpad-python", pkgPlugins + "/launchpad-r", pkgConfig, pkgUnit,
		"/usr/share/man/man1/launchpad.1", "/usr/share/bash-completion/completions/launchpad", pkgState + "/instance.db"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	if unit, _ := os.ReadFile(pkgUnit); !strings.Contains(string(unit), "Type=notify") ||
		!strings.Contains(string(unit), "ExecStart="+pkgBin+" serve --config "+pkgConfig) {
		t.Errorf("unit file:\n%s", unit)
	}
	admitPythonLauncher(t)
	// This test's own worker range, so it never sweeps another host's.
	conf, err := os.OpenFile(pkgConfig, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conf, "sandbox {\n  uid_base = %d\n  workers = 2\n}\n%s", extraUIDBase(19), rootGrant)
	conf.Close()

	serveInstalled(t)
	mustRun(t, "dpkg", "--purge", "launchpad")
	purged = true
	for _, p := range []string{pkgBin, "/usr/lib/launchpad", "/etc/launchpad", pkgState, pkgUnit,
		"/usr/share/man/man1/launchpad.1", "/usr/share/bash-completion/completions/launchpad"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s is left after dpkg --purge", p)
		}
	}
}

// admitPythonLauncher does what the man page tells an administrator.
func admitPythonLauncher(t *testing.T) {
	t.Helper()
	keys := tempDirIn(t, "/var/tmp", "lpkey-")
	key := filepath.Join(keys, "site")
	mustRun(t, pkgBin, "key", "generate", "--out", key)
	mustRun(t, pkgBin, "plugin", "sign", "--key", key+".key", "--name", "PythonLauncher", "--language", "Python",
		"--version", "0.1.0", pkgPlugins+"/launchpad-python")
	mustRun(t, pkgBin, "trust", "add", key+".pub", "--name", "site")
	mustRun(t, pkgBin, "plugin", "register", "--plugin-dir", pkgPlugins, pkgPlugins+"/launchpad-python")
}

// serveInstalled starts the installed host as systemd would (with a
// NOTIFY_SOCKET), waits for READY=1, runs a job on the default address
// and stops the host with SIGTERM.
func serveInstalled(t *testing.T) {
	t.Helper()
	notifyDir := tempDirIn(t, "/var/tmp", "lpnotify-")
	notify := filepath.Join(notifyDir, "notify")
	ln, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notify, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	logs := &syncBuffer{}
	cmd := exec.Command(pkgBin, "serve", "--config", pkgConfig)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+notify)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("installed host exited with %v:\n%s", err, tail(logs.String(), 3000))
			}
		case <-time.After(45 * time.Second):
			cmd.Process.Kill()
			<-done
			t.Errorf("installed host did not stop within 45s of SIGTERM")
		}
	}()
	ln.SetReadDeadline(time.Now().Add(60 * time.Second))
	buf := make([]byte, 4096)
	n, err := ln.Read(buf)
	if err != nil || !strings.Contains(string(buf[:n]), "READY=1") {
		t.Fatalf("no READY=1 from the host (%v, %q):\n%s", err, buf[:n], tail(logs.String(), 3000))
	}
	out, err := exec.Command(pkgBin, "exec", "--language", "Python", "--format", "csv",
		"--script", "import pandas as pd\nOutputDataSet = pd.DataFrame({'x': [40 + 2]})").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "x\n42\n") {
		t.Errorf("job on the installed host: %v\n%s\nhost log:\n%s", err, out, tail(logs.String(), 3000))
	}
	jobs, err := exec.Command(pkgBin, "jobs").CombinedOutput()
	if err != nil || !strings.Contains(string(jobs), "succeeded") {
		t.Errorf("jobs on the installed host: %v\n%s", err, jobs)
	}
}
