package main

import (
	"fmt"
	"os"

	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/cmd/internal/clientcmd"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, cli.Usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
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
	// The caller's commands too: one binary that does everything serves
	// the conformance kit and a host without its front binary.
	case "exec":
		os.Exit(clientcmd.Exec(args))
	case "jobs":
		run = clientcmd.Jobs
	case "cancel":
		run = clientcmd.Cancel
	case "version", "--version":
		fmt.Println(cli.Version())
		return
	case "help", "-h", "--help":
		fmt.Print(cli.Usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "launchpad: unknown command %q\n\n%s", cmd, cli.Usage)
		os.Exit(2)
	}
	cli.Exit(cmd, run(args))
}
