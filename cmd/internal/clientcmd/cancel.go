package clientcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/openlaunchpad/launchpad/client"
	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
)

// errNotRunning: cancel named a job the host is not running.
var errNotRunning = fmt.Errorf("not running")

// Cancel is `launchpad cancel ID`.
func Cancel(args []string) error {
	fs := cli.NewFlagSet("cancel", "launchpad cancel [--address unix://PATH|tls://HOST:PORT [--cert F --key F --ca F]] JOB_ID")
	address := fs.String("address", defaultAddress(), addressUsage)
	tlsFiles := tlsFlags(fs)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return cli.ErrHelp
	} else if err != nil || fs.NArg() != 1 {
		return cli.ErrUsage
	}
	id := fs.Arg(0)
	var found bool
	if err := callHost(*address, tlsFiles, func(ctx context.Context, c *client.Client) (err error) {
		found, err = c.Cancel(ctx, id)
		return err
	}); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("job %q: %w (it ended, or never ran; see launchpad jobs)", id, errNotRunning)
	}
	fmt.Printf("cancelled job %s\n", id)
	return nil
}
