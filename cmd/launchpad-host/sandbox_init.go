package main

import "github.com/openlaunchpad/launchpad/host/sandbox/confine"

// runSandboxInit is the hidden `launchpad sandbox-init <spec>` subcommand:
// the first process of every satellite. The host starts it in new namespaces;
// it sets up the sandbox and becomes the launcher, so it returns only on
// failure (exit status 126, reason on stderr).
func runSandboxInit(args []string) int {
	return confine.Main(args)
}
