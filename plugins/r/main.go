package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os/exec"

	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

//go:embed runtime/launchpad.R
var runtimeScript []byte

const (
	name           = "RLauncher"
	version        = "0.1.0"
	defaultRuntime = "/usr/bin/Rscript"
	scriptFile     = "launchpad.R"
)

type rLauncher struct{}

func (rLauncher) Info(context.Context) (*launcher.Info, error) {
	return &launcher.Info{Name: name, Version: version, Languages: []string{"R"}, APIVersion: launcher.APIVersion}, nil
}

func (rLauncher) Run(ctx context.Context, req *launcher.RunRequest, stdout, stderr io.Writer) (*launcher.ExitStatus, error) {
	script, err := launcher.StageFile(req, scriptFile, runtimeScript)
	if err != nil {
		return nil, err
	}
	bridge, err := launcher.NewBridge(req.DataPlane)
	if err != nil {
		return nil, fmt.Errorf("bridge data plane: %w", err)
	}
	cmd := exec.Command(req.Setting("runtime", defaultRuntime), "--vanilla", script)
	cmd.ExtraFiles = bridge.RuntimeFiles()
	cmd.Env = launcher.RuntimeEnv(req)
	exit, runErr := launcher.RunRuntime(ctx, cmd, req, stdout, stderr)
	if err := bridge.Close(); err != nil && runErr == nil && exit.Success() {
		return nil, fmt.Errorf("data plane: %w", err)
	}
	return exit, runErr
}

func main() {
	launcher.Serve(rLauncher{})
}
