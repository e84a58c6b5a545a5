package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/cmd/internal/clientcmd"
)

func main() {
	cmd, args := cli.Command()
	clientcmd.Main(cmd, args) // exits when it is the caller's command
	// The host's and the administrator's commands, and the usage error for
	// an unknown one, are launchpad-host's.
	err := execHost()
	fmt.Fprintf(os.Stderr, "launchpad %s: %v\n", cmd, err)
	os.Exit(1)
}

// execHost replaces this process with launchpad-host and the same
// arguments: the same pid, so a service manager's signals and
// NOTIFY_SOCKET reach the host. It returns only on failure.
func execHost() error {
	path, err := hostBinary()
	if err != nil {
		return err
	}
	return syscall.Exec(path, append([]string{path}, os.Args[1:]...), os.Environ())
}

// hostBinary is launchpad-host beside this binary (a build's bin/) or in
// ../lib/launchpad (the package's /usr/lib/launchpad).
func hostBinary() (string, error) {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return "", fmt.Errorf("find own binary: %w", err)
	}
	dir := filepath.Dir(exe)
	tried := []string{filepath.Join(dir, "launchpad-host"), filepath.Join(dir, "..", "lib", "launchpad", "launchpad-host")}
	for _, p := range tried {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("the host binary is not installed (looked for %s)", strings.Join(tried, " and "))
}
