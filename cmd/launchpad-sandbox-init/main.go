package main

import (
	"fmt"
	"os"

	"github.com/openlaunchpad/launchpad/host/sandbox/confine"
)

func main() {
	// The same argv as launchpad-host's: the host builds one command line.
	if len(os.Args) < 2 || os.Args[1] != "sandbox-init" {
		fmt.Fprintln(os.Stderr, "launchpad-sandbox-init is started by the Launchpad host for each job; it is not run by hand")
		os.Exit(2)
	}
	os.Exit(confine.Main(os.Args[2:]))
}
