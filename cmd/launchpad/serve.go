package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host"
	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/host/config"
	"github.com/openlaunchpad/launchpad/host/datasource"
)

// firstParty are the launchers `make build` puts in bin/plugins, which
// `launchpad dev` signs with its dev key and registers.
var firstParty = []catalog.DevBinary{
	{Path: "launchpad-python", Name: "PythonLauncher", Version: "0.1.0", Languages: []string{"Python"}},
	{Path: "launchpad-r", Name: "RLauncher", Version: "0.1.0", Languages: []string{"R"}},
}

func newLogger(level string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "launchpad", Level: hclog.LevelFromString(level), Output: os.Stderr})
}

func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	file := fs.String("config", "/etc/launchpad/launchpad.hcl", "configuration file")
	level := fs.String("log-level", "info", "log level: trace, debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	cfg, err := config.Load(*file)
	if err != nil {
		return err
	}
	return serve(cfg, newLogger(*level))
}

func runDev(args []string) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	state := fs.String("state", "state", "state folder: instance.db, keys, catalog, socket")
	isolation := fs.String("isolation", "", `isolation: "full" (default), or "none" on a single-user laptop (every job then carries a warning)`)
	file := fs.String("config", "", "optional configuration file for limits, sandbox and launcher settings; the state folder, instance and plugin folder stay the dev defaults")
	level := fs.String("log-level", "info", "log level: trace, debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	log := newLogger(*level)
	dir, err := filepath.Abs(*state)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	db := filepath.Join(dir, "instance.db")
	created, err := datasource.EnsureSampleDB(db)
	if err != nil {
		return fmt.Errorf("instance database: %w", err)
	}
	if created {
		log.Info("created the sample instance database", "path", db)
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	pluginDir := filepath.Join(filepath.Dir(exe), "plugins")
	var bins []catalog.DevBinary
	for _, b := range firstParty {
		b.Path = filepath.Join(pluginDir, b.Path)
		if _, err := os.Stat(b.Path); err == nil {
			bins = append(bins, b)
		}
	}
	if len(bins) == 0 {
		return fmt.Errorf("no first-party launchers in %s: run make build", pluginDir)
	}
	// The launchers are copied into the state folder and signed there: what
	// this host trusts no other dev host (another state folder on the same
	// build) or rebuild can change under it.
	devPlugins := filepath.Join(dir, "plugins")
	catCfg := catalog.Config{StateDir: dir, PluginDir: devPlugins}
	if err := catalog.DevBootstrap(catCfg, bins, log); err != nil {
		return fmt.Errorf("sign and register the dev launchers: %w", err)
	}
	cfg := &config.Config{}
	if *file != "" {
		if cfg, err = config.Parse(*file); err != nil {
			return err
		}
	}
	cfg.StateDir, cfg.PluginDir, cfg.Socket = dir, devPlugins, ""
	cfg.Instance = &config.Instance{Driver: "sqlite", DSN: db}
	if cfg.Sandbox == nil {
		cfg.Sandbox = &config.Sandbox{}
	}
	if *isolation != "" {
		cfg.Sandbox.Isolation = *isolation
	}
	// Every job gets a private /tmp, which would hide job folders below a
	// state folder in /tmp (a checkout there, say): keep them in /var/tmp.
	if rel, err := filepath.Rel("/tmp", dir); cfg.Sandbox.WorkRoot == "" && err == nil && !strings.HasPrefix(rel, "..") {
		sum := sha256.Sum256([]byte(dir))
		cfg.Sandbox.WorkRoot = "/var/tmp/launchpad-jobs-" + hex.EncodeToString(sum[:4])
		log.Info("state folder is under /tmp: job folders go elsewhere", "work_root", cfg.Sandbox.WorkRoot)
	}
	if err := cfg.Normalize(); err != nil {
		return err
	}
	return serve(cfg, log)
}

// serve runs a host in the foreground until SIGINT or SIGTERM.
func serve(cfg *config.Config, log hclog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h, err := host.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer h.Close()
	return h.Serve(ctx)
}
