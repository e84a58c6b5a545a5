package main

import (
	"context"
	_ "embed"
	"io"
	"os/exec"

	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

//go:embed runtime/launchpad_runtime.py
var runtimeModule []byte

const (
	name           = "PythonLauncher"
	version        = "0.1.0"
	defaultRuntime = "/usr/bin/python3"
	moduleFile     = "launchpad_runtime.py"
)

type pythonLauncher struct{}

func (pythonLauncher) Info(context.Context) (*launcher.Info, error) {
	return &launcher.Info{Name: name, Version: version, Languages: []string{"Python"}, APIVersion: launcher.APIVersion}, nil
}

func (pythonLauncher) Run(ctx context.Context, req *launcher.RunRequest, stdout, stderr io.Writer) (*launcher.ExitStatus, error) {
	module, err := launcher.StageFile(req, moduleFile, runtimeModule)
	if err != nil {
		return nil, err
	}
	// -I: ignore PYTHON* variables and the user's site-packages; -B: write no
	// bytecode into the working folder.
	cmd := exec.Command(req.Setting("runtime", defaultRuntime), "-I", "-B", module)
	cmd.Env = launcher.RuntimeEnv(req, "MPLBACKEND=Agg")
	return launcher.RunRuntime(ctx, cmd, req, stdout, stderr)
}

func main() {
	launcher.Serve(pythonLauncher{})
}
