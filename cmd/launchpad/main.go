package main

import (
	"errors"
	"fmt"
	"os"
)

const usage = `usage: launchpad <command> [flags]

Host:
  dev      run a development host on an embedded SQLite instance
  serve    run a host from a configuration file
Callers:
  exec     run a script on a host
Administrators:
  key      generate signing keys
  plugin   sign, register, list and remove launchers
  trust    add, list and revoke trusted publishers

Run 'launchpad <command> -h' for a command's flags.
`

// errUsage marks errors that are the caller's wording, not a failure.
var errUsage = errors.New("usage")

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "dev":
		err = runDev(args)
	case "serve":
		err = runServe(args)
	case "exec":
		os.Exit(runExec(args))
	case "key":
		err = runKey(args)
	case "plugin":
		err = runPlugin(args)
	case "trust":
		err = runTrust(args)
	case "sandbox-init":
		os.Exit(runSandboxInit(args))
	case "help", "-h", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "launchpad: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "launchpad %s: %v\n", cmd, err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}
