package launchertest

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// GoBuild builds the Go main package pkg (e.g. "./cmd/launchpad-host") of the
// module at moduleDir into a folder of the test's and returns the binary's
// path. The kit installs its own copy, so the build folder may be anywhere.
func GoBuild(t *testing.T, moduleDir, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = moduleDir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}
