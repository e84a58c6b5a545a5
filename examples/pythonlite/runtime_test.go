package main

import (
	"os"
	"os/exec"
	"testing"
)

// The runtime's own unit tests (test_runtime.py, unittest) run as part of go test.
func TestPythonLite_RuntimeUnitTests(t *testing.T) {
	if _, err := os.Stat(defaultRuntime); err != nil {
		t.Skipf("no %s: %v", defaultRuntime, err)
	}
	out, err := exec.Command(defaultRuntime, "-I", "-B", "-m", "unittest", "discover", "-s", ".", "-t", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("python unit tests failed: %v\n%s", err, out)
	}
}
