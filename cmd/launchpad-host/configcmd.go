package main

import (
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/host"
	"github.com/openlaunchpad/launchpad/host/config"
)

// errInvalidConfig: validate found problems (it listed them).
var errInvalidConfig = errors.New("the configuration has problems")

// runConfig implements `launchpad config validate [--config FILE]`: every
// check serve makes before it acts, each problem on a line of its own
// with file, line and setting; non-zero exit when there is one.
func runConfig(args []string) error {
	const usage = "launchpad config validate [--config FILE]"
	if len(args) == 0 || args[0] != "validate" {
		return cli.SubcommandUsage(args, usage)
	}
	fs := cli.NewFlagSet("config validate", usage)
	file := fs.String("config", defaultConfig, "configuration file")
	if rest, err := cli.ParseInterspersed(fs, args[1:]); err != nil || len(rest) > 0 {
		return usageOr(err, usage)
	}
	diags, err := validateConfig(*file)
	for _, d := range diags {
		fmt.Fprintln(adminOut, config.FormatDiag(d))
	}
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("%s: %w", *file, errInvalidConfig)
	}
	fmt.Fprintf(adminOut, "%s: valid\n", *file)
	return nil
}

// validateConfig collects every problem: the file's values, then what
// serve checks on the machine (the claims only when all else is sound).
func validateConfig(file string) (hcl.Diagnostics, error) {
	cfg, err := config.Parse(file)
	var cerr *config.Error
	if errors.As(err, &cerr) {
		return cerr.Diags, nil
	}
	if err != nil {
		return nil, err
	}
	var diags hcl.Diagnostics
	if err := cfg.Normalize(); errors.As(err, &cerr) {
		// Defaults are filled in: the machine checks can still run.
		diags = append(cerr.Diags, host.Check(cfg)...)
	} else if err != nil {
		return nil, err
	} else {
		diags = host.Validate(cfg)
	}
	config.SortDiags(diags)
	return diags, nil
}

// usageOr is err, or a usage error saying usage.
func usageOr(err error, usage string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%w: %s", cli.ErrUsage, usage)
}
