package sandbox

import "github.com/openlaunchpad/launchpad/host/sandbox/confine"

// InitMain is the body of `launchpad sandbox-init <spec>` in a binary that
// carries it beside other commands (launchpad-host, the bench, this
// package's tests): confine.Main.
func InitMain(args []string) int { return confine.Main(args) }
