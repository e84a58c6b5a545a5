package main

import (
	"fmt"
	"os"

	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/cmd/internal/clientcmd"
)

func main() {
	cmd, args := cli.Command()
	var run func([]string) error
	switch cmd {
	case "dev":
		run = runDev
	case "serve":
		run = runServe
	case "key":
		run = runKey
	case "plugin":
		run = runPlugin
	case "trust":
		run = runTrust
	case "config":
		run = runConfig
	case "table":
		run = runTable
	case "sandbox-init":
		os.Exit(runSandboxInit(args))
	default:
		// The caller's commands too: one binary that does everything
		// serves the conformance kit and a host without its front binary.
		clientcmd.Main(cmd, args)
		fmt.Fprintf(os.Stderr, "launchpad: unknown command %q\n\n%s", cmd, cli.Usage)
		os.Exit(2)
	}
	cli.Exit(cmd, run(args))
}
