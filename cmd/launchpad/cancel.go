package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/openlaunchpad/launchpad/client"
)

// errNotRunning: cancel named a job the host is not running.
var errNotRunning = fmt.Errorf("not running")

func runCancel(args []string) error {
	fs := newFlagSet("cancel", "launchpad cancel [--address unix://PATH|tls://HOST:PORT [--cert F --key F --ca F]] JOB_ID")
	address := fs.String("address", defaultAddress(), addressUsage)
	tlsFiles := tlsFlags(fs)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return errHelp
	} else if err != nil || fs.NArg() != 1 {
		return errUsage
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
