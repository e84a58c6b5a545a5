package main

import (
	"context"
	"embed"
	"fmt"
	"io"
	"os/exec"

	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// runtimeFS holds the R runtime: launchpad.R and the parts it sources from
// its own folder. Its tests (runtime/tests) are not embedded.
//
//go:embed runtime/*.R
var runtimeFS embed.FS

const (
	name           = "RLauncher"
	version        = "0.1.0"
	defaultRuntime = "/usr/bin/Rscript"
	runtimeDir     = "runtime"
	scriptFile     = "launchpad.R"
)

type rLauncher struct{}

func (rLauncher) Info(context.Context) (*launcher.Info, error) {
	return &launcher.Info{Name: name, Version: version, Languages: []string{"R"}, APIVersion: launcher.APIVersion, Warm: true}, nil
}

func (rLauncher) Run(ctx context.Context, req *launcher.RunRequest, stdout, stderr io.Writer) (*launcher.ExitStatus, error) {
	script, err := stageRuntime(req)
	if err != nil {
		return nil, err
	}
	bridge, err := launcher.NewBridge(req.DataPlane)
	if err != nil {
		return nil, fmt.Errorf("bridge data plane: %w", err)
	}
	cmd := exec.CommandContext(ctx, req.Setting("runtime", defaultRuntime), "--vanilla", script)
	cmd.ExtraFiles = bridge.RuntimeFiles()
	cmd.Env = launcher.RuntimeEnv(req, runtimeSettings(req)...)
	exit, runErr := launcher.RunRuntime(cmd, req, stdout, stderr)
	if err := bridge.Close(); err != nil && runErr == nil && exit.Success() {
		return nil, fmt.Errorf("data plane: %w", err)
	}
	return exit, runErr
}

// runtimeSettings carries the operator's launcher settings the R runtime
// reads: integer64 = true lets bigint columns a double would round arrive as
// bit64::integer64 (LAUNCHPAD_R_INTEGER64=1) instead of failing.
func runtimeSettings(req *launcher.RunRequest) []string {
	if req.Setting("integer64", "false") == "true" {
		return []string{"LAUNCHPAD_R_INTEGER64=1"}
	}
	return nil
}

// stageRuntime writes every runtime file into the job's folder, where
// launchpad.R finds its parts beside itself, and returns launchpad.R's path.
func stageRuntime(req *launcher.RunRequest) (string, error) {
	return launcher.StageDir(req, runtimeFS, runtimeDir, scriptFile)
}

func main() {
	launcher.Serve(rLauncher{})
}
