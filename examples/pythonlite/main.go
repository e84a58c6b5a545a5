package main

import (
	"context"
	_ "embed"
	"io"
	"os/exec"

	"github.com/openlaunchpad/launchpad/sdk/bxl/pybxl"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

//go:embed runtime.py
var runtimePy []byte

const (
	name           = "PythonLite"
	version        = "0.1.0"
	language       = "PythonLite"
	defaultRuntime = "/usr/bin/python3"
)

type liteLauncher struct{}

func (liteLauncher) Info(context.Context) (*launcher.Info, error) {
	return &launcher.Info{Name: name, Version: version, Languages: []string{language}, APIVersion: launcher.APIVersion}, nil
}

// Run stages the embedded runtime and the SDK's BXL codec it imports in the
// job's folder and runs it with the data plane as descriptor 3; RunRuntime
// forwards its output and kills it when the job is cancelled.
func (liteLauncher) Run(ctx context.Context, req *launcher.RunRequest, stdout, stderr io.Writer) (*launcher.ExitStatus, error) {
	if _, err := launcher.StageFile(req, pybxl.FileName, pybxl.Module); err != nil {
		return nil, err
	}
	file, err := launcher.StageFile(req, "runtime.py", runtimePy)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, req.Setting("runtime", defaultRuntime), "-I", "-B", file)
	// The runtime gets only what it needs, never the launcher's environment.
	cmd.Env = launcher.RuntimeEnv(req, "PYTHONUNBUFFERED=1")
	return launcher.RunRuntime(cmd, req, stdout, stderr)
}

func main() {
	launcher.Serve(liteLauncher{})
}
