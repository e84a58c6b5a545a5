package main

import (
	"bytes"
	"os/exec"
	"testing"
)

// The R runtime's own tests (a Python unittest driver that runs the real
// Rscript with real pipes on descriptors 3 and 4) run as part of go test.
func TestRuntime_RUnitTests(t *testing.T) {
	if err := exec.Command("/usr/bin/Rscript", "-e", "0").Run(); err != nil {
		t.Skipf("/usr/bin/Rscript is not installed (apt-get install r-base-core): %v", err)
	}
	cmd := exec.Command("/usr/bin/python3", "-B", "-m", "unittest", "discover", "-s", "runtime", "-t", "runtime")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("R runtime tests failed: %v\n%s", err, out)
	}
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	t.Logf("%s", lines[len(lines)-1])
}
