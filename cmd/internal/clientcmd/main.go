package clientcmd

import (
	"fmt"
	"os"

	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
)

// Main runs cmd and exits when it is one of the caller's commands (exec,
// jobs, cancel) or version or help; for any other it returns. Both
// binaries answer these the same way.
func Main(cmd string, args []string) {
	switch cmd {
	case "exec":
		os.Exit(Exec(args))
	case "jobs":
		cli.Exit(cmd, Jobs(args))
	case "cancel":
		cli.Exit(cmd, Cancel(args))
	case "version", "--version":
		fmt.Println(cli.Version())
	case "help", "-h", "--help":
		fmt.Print(cli.Usage)
	default:
		return
	}
	os.Exit(0)
}
