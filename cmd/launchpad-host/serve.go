package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/host"
	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/host/claim"
	"github.com/openlaunchpad/launchpad/host/config"
	"github.com/openlaunchpad/launchpad/host/dev"
	"github.com/openlaunchpad/launchpad/host/grant"
)

// firstParty are the launchers `make build` puts in bin/plugins, which
// `launchpad dev` signs with its dev key and registers.
var firstParty = []catalog.DevBinary{
	{Path: "launchpad-python", Name: "PythonLauncher", Version: "0.1.0", Languages: []string{"Python"}},
	{Path: "launchpad-r", Name: "RLauncher", Version: "0.1.0", Languages: []string{"R"}},
}

// defaultConfig is the configuration file serve, config validate and the
// admin commands read unless --config names another.
const defaultConfig = "/etc/launchpad/launchpad.hcl"

const levelUsage = "log level: trace, debug, info, warn, error, off (default: the configuration's log_level, else info)"

func newLogger(level, format string) (hclog.Logger, error) {
	if format != "text" && format != "json" {
		return nil, fmt.Errorf("%w: --log-format %q: want text or json", cli.ErrUsage, format)
	}
	return hclog.New(&hclog.LoggerOptions{Name: "launchpad", Level: hclog.LevelFromString(level), Output: os.Stderr,
		JSONFormat: format == "json"}), nil
}

// checkLevel refuses a --log-level hclog does not know (it would log
// nothing at all).
func checkLevel(level string) error {
	if level != "" && hclog.LevelFromString(level) == hclog.NoLevel {
		return fmt.Errorf("%w: --log-level %q: want trace, debug, info, warn, error or off", cli.ErrUsage, level)
	}
	return nil
}

// logFlags adds --log-level and --log-format, which serve and dev share.
func logFlags(fs *flag.FlagSet) (level, format *string) {
	level = fs.String("log-level", "", levelUsage)
	format = fs.String("log-format", "text", "log format: text or json (one JSON object a line)")
	return level, format
}

func runServe(args []string) error {
	fs := cli.NewFlagSet("serve", "launchpad serve [--config FILE] [--log-level LEVEL] [--log-format text|json]")
	file := fs.String("config", defaultConfig, "configuration file")
	level, logFormat := logFlags(fs)
	if rest, err := cli.ParseInterspersed(fs, args); err != nil || len(rest) > 0 {
		return usageOr(err, "launchpad serve takes no arguments")
	}
	if err := checkLevel(*level); err != nil {
		return err
	}
	load := func() (*config.Config, error) {
		cfg, err := config.Load(*file)
		if err == nil && *level != "" {
			cfg.LogLevel = *level
		}
		return cfg, err
	}
	cfg, err := load()
	if err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel, *logFormat)
	if err != nil {
		return err
	}
	return serve(cfg, log, load)
}

func runDev(args []string) error {
	fs := cli.NewFlagSet("dev", "launchpad dev [--state DIR] [--isolation full|none] [--config FILE] [--log-level LEVEL] [--log-format text|json]")
	state := fs.String("state", "state", "state folder: instance.db, keys, catalog, socket")
	isolation := fs.String("isolation", "", `isolation: "full" (default), or "none" on a single-user laptop (every job then carries a warning)`)
	file := fs.String("config", "", "optional configuration file for limits, sandbox and launcher settings; the state folder, instance and plugin folder stay the dev defaults")
	level, logFormat := logFlags(fs)
	if rest, err := cli.ParseInterspersed(fs, args); err != nil || len(rest) > 0 {
		return usageOr(err, "launchpad dev takes no arguments")
	}
	if err := checkLevel(*level); err != nil {
		return err
	}
	log, err := newLogger(*level, *logFormat)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(*state)
	if err != nil {
		return err
	}
	// The state lock before dev prepares anything: a second dev host on
	// this state folder must not re-sign or re-register under the first.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	st, err := claim.LockState(dir)
	if err != nil {
		return err
	}
	if err := devPrepare(dir, log); err != nil {
		return errors.Join(err, st.Unlock())
	}
	load := func() (*config.Config, error) { return devConfig(dir, *file, *isolation, *level, log) }
	cfg, err := load()
	if err != nil {
		return errors.Join(err, st.Unlock())
	}
	if *level == "" {
		log.SetLevel(hclog.LevelFromString(cfg.LogLevel))
	}
	return serve(cfg, log, load, host.WithStateLock(st))
}

// devPrepare makes what a dev host needs and serve never makes: the state
// folder, the sample instance, the signed copies of the launchers.
func devPrepare(dir string, log hclog.Logger) error {
	db := filepath.Join(dir, "instance.db")
	created, err := dev.EnsureSampleDB(db)
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
	catCfg := catalog.Config{StateDir: dir, PluginDir: filepath.Join(dir, "plugins")}
	if err := catalog.DevBootstrap(catCfg, bins, log); err != nil {
		return fmt.Errorf("sign and register the dev launchers: %w", err)
	}
	return nil
}

// devConfig is a dev host's configuration: the file's settings (if any)
// with the dev state folder, instance and plugin folder.
func devConfig(dir, file, isolation, level string, log hclog.Logger) (*config.Config, error) {
	cfg := &config.Config{}
	if file != "" {
		var err error
		if cfg, err = config.Parse(file); err != nil {
			return nil, err
		}
	}
	cfg.StateDir, cfg.PluginDir, cfg.Socket = dir, filepath.Join(dir, "plugins"), ""
	cfg.WarmDefault = 1 // one warm runtime of each launcher
	cfg.Instance = &config.Instance{Driver: "sqlite", DSN: filepath.Join(dir, "instance.db")}
	if level != "" {
		cfg.LogLevel = level
	}
	if cfg.Sandbox == nil {
		cfg.Sandbox = &config.Sandbox{}
	}
	if isolation != "" {
		cfg.Sandbox.Isolation = isolation
	}
	devGrants(cfg, log)
	// Every job gets a private /tmp, which would hide job folders below a
	// state folder in /tmp (a checkout there, say): keep them in /var/tmp.
	if rel, err := filepath.Rel("/tmp", dir); cfg.Sandbox.WorkRoot == "" && err == nil && !strings.HasPrefix(rel, "..") {
		if cfg.Sandbox.WorkRoot, err = devWorkRoot(dir, log); err != nil {
			return nil, err
		}
		log.Info("state folder is under /tmp: job folders go elsewhere", "work_root", cfg.Sandbox.WorkRoot)
	}
	if err := cfg.Normalize(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// devGrants turn external scripts on (unless the file says otherwise) and
// grant everything to the user who started dev (SUDO_UID under sudo) and
// to root, after the file's own grants.
func devGrants(cfg *config.Config, log hclog.Logger) {
	if !cfg.Set("external_scripts_enabled") {
		cfg.ExternalScriptsEnabled = true
	}
	uids := []string{"0"}
	if u := invokingUID(); u != "0" {
		uids = append(uids, u)
	}
	for _, u := range uids {
		cfg.Grants = append(cfg.Grants, grant.Grant{Subject: "uid:" + u, Languages: []string{"*"},
			ReadTables: []string{"*"}, WriteTables: []string{"*"}, Pools: []string{"*"}, Admin: true})
	}
	log.Debug("dev grants every language, table and pool, and admin", "uids", strings.Join(uids, ","),
		"external_scripts_enabled", cfg.ExternalScriptsEnabled)
}

// invokingUID is the uid of the user who started this process: SUDO_UID
// under sudo, else the real uid.
func invokingUID() string {
	if u, err := strconv.Atoi(os.Getenv("SUDO_UID")); err == nil && u >= 0 && os.Getuid() == 0 {
		return strconv.Itoa(u)
	}
	return strconv.Itoa(os.Getuid())
}

// devWorkRootPrefix is where devWorkRoot makes work roots.
const devWorkRootPrefix = "/var/tmp/launchpad-jobs-"

// devWorkRoot is the work root of a dev host whose state folder is under
// /tmp. A predictable path in the world-writable /var/tmp (it once was
// launchpad-jobs-<hash of the state path>) lets a local user plant a
// symlink or a folder there first, and the root host then chmods, chowns
// and empties whatever it points at. So it is a fresh random name made by
// mkdir, which fails rather than adopt an existing one; its path is kept
// in the state folder (0700) so the next start reuses it and sweeps what a
// crashed host left, as long as it still is our own folder (the sticky
// /var/tmp keeps others from replacing it while it exists).
func devWorkRoot(state string, log hclog.Logger) (string, error) {
	record := filepath.Join(state, "work_root")
	if b, err := os.ReadFile(record); err == nil {
		p := strings.TrimSpace(string(b))
		if ownFolder(p) {
			return p, nil
		}
		log.Info("recorded work root is gone or not ours: making a new one", "work_root", p)
	}
	p, err := os.MkdirTemp(filepath.Dir(devWorkRootPrefix), filepath.Base(devWorkRootPrefix))
	if err != nil {
		return "", fmt.Errorf("make a work root: %w", err)
	}
	if err := os.WriteFile(record, []byte(p+"\n"), 0o600); err != nil {
		os.Remove(p)
		return "", fmt.Errorf("record the work root: %w", err)
	}
	return p, nil
}

// ownFolder reports whether p is a work root devWorkRoot made: a real
// folder (not a symlink) of ours directly in /var/tmp.
func ownFolder(p string) bool {
	if filepath.Dir(p) != filepath.Dir(devWorkRootPrefix) || !strings.HasPrefix(p, devWorkRootPrefix) {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		return false
	}
	return st.Mode&syscall.S_IFMT == syscall.S_IFDIR && int(st.Uid) == os.Geteuid()
}

// serve runs a host in the foreground until SIGINT or SIGTERM (running
// jobs get the shutdown grace); SIGHUP reloads the configuration with load.
func serve(cfg *config.Config, log hclog.Logger, load func() (*config.Config, error), opts ...host.Option) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Before the host starts: SIGHUP's default action would kill it.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	h, err := host.New(ctx, cfg, log, append(opts, host.WithReload(load))...)
	if err != nil {
		return err
	}
	go func() {
		for {
			select {
			case <-hup:
				log.Info("SIGHUP: reloading the configuration")
				h.Reload() // it logs what it did and did not apply
			case <-ctx.Done():
				return
			}
		}
	}()
	err = h.Serve(ctx)
	return errors.Join(err, h.Close())
}
