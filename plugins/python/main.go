package main

import (
	"context"
	"embed"
	"io"
	"os/exec"

	"github.com/openlaunchpad/launchpad/sdk/bxl/pybxl"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// runtimeFS holds the runtime's modules, listed by name: runtime/ also holds
// their tests and launchpad_bxl.py, a link to the SDK's codec (pybxl.Module).
//
//go:embed runtime/launchpad_runtime.py runtime/launchpad_frames_in.py runtime/launchpad_frames_out.py
//go:embed runtime/launchpad_params.py runtime/launchpad_script.py runtime/launchpad_chunks.py
//go:embed runtime/launchpad_query.py
var runtimeFS embed.FS

const (
	name           = "PythonLauncher"
	version        = "0.1.0"
	defaultRuntime = "/usr/bin/python3"
	mainFile       = "launchpad_runtime.py"
)

type pythonLauncher struct{}

func (pythonLauncher) Info(context.Context) (*launcher.Info, error) {
	return &launcher.Info{Name: name, Version: version, Languages: []string{"Python"}, APIVersion: launcher.APIVersion, Warm: true}, nil
}

func (pythonLauncher) Run(ctx context.Context, req *launcher.RunRequest, stdout, stderr io.Writer) (*launcher.ExitStatus, error) {
	script, err := stageRuntime(req)
	if err != nil {
		return nil, err
	}
	// -I: ignore PYTHON* variables and the user's site-packages; -B: write no
	// bytecode into the working folder.
	cmd := exec.CommandContext(ctx, req.Setting("runtime", defaultRuntime), "-I", "-B", script)
	cmd.Env = launcher.RuntimeEnv(req, "MPLBACKEND=Agg")
	return launcher.RunRuntime(cmd, req, stdout, stderr)
}

// stageRuntime writes the runtime's modules and the SDK's BXL codec into the
// job's folder; returns the path of the main module.
func stageRuntime(req *launcher.RunRequest) (string, error) {
	if _, err := launcher.StageFile(req, pybxl.FileName, pybxl.Module); err != nil {
		return "", err
	}
	return launcher.StageDir(req, runtimeFS, "runtime", mainFile)
}

func main() {
	launcher.Serve(pythonLauncher{})
}
