package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"

	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/host/claim"
	"github.com/openlaunchpad/launchpad/host/config"
	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/mssql"
	"github.com/openlaunchpad/launchpad/host/datasource/sqlite"
	"github.com/openlaunchpad/launchpad/host/grant"
	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// Host is a running Launchpad daemon.
type Host struct {
	cfg     *config.Config
	log     hclog.Logger
	source  datasource.Source
	catalog *catalog.Catalog
	sandbox *sandboxes
	runner  *job.Runner
	state   *claim.State
	claims  *claim.Claims
	reload  func() (*config.Config, error)
	gate    gate
	watch   *watch
	// grants are the switch and grant blocks as of the last (re)load.
	grants atomic.Pointer[grant.Grants]

	// mu guards the settings a reload changes.
	mu        sync.Mutex
	launchers []config.Launcher
	grace     time.Duration
}

// Option changes how New builds a host.
type Option func(*options)

type options struct {
	source datasource.Source
	reload func() (*config.Config, error)
	state  *claim.State
}

// WithStateLock hands New the state folder's lock, taken by a caller that
// had to prepare the folder first (dev); the host releases it.
func WithStateLock(st *claim.State) Option {
	return func(o *options) { o.state = st }
}

// WithReload makes SIGHUP (Reload) read the configuration again with load.
func WithReload(load func() (*config.Config, error)) Option {
	return func(o *options) { o.reload = load }
}

// WithSource serves input queries from src instead of the configured
// instance (benchmarks and tests feed synthetic rows this way). The host
// closes src.
func WithSource(src datasource.Source) Option {
	return func(o *options) { o.source = src }
}

// New checks everything (Check) and claims the state folder, worker range,
// cgroup parent and work root before it touches any of them: a failed check
// or a claim held by a live host changes nothing. Then it opens everything a
// host needs, sweeping what a dead host left. It refuses to start when
// isolation is unavailable and the operator did not configure the
// relaxation.
func New(ctx context.Context, cfg *config.Config, logger hclog.Logger, opts ...Option) (*Host, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	// The state lock comes first, so its folder must exist.
	if diags := checkDir(cfg, "state_dir", cfg.StateDir, stateHint); diags.HasErrors() {
		return nil, errors.Join(&config.Error{Diags: diags}, o.state.Unlock())
	}
	state, claims, err := acquire(cfg, o.state, logger)
	if err != nil {
		return nil, err
	}
	h := &Host{cfg: cfg, log: logger, state: state, claims: claims, source: o.source, reload: o.reload,
		launchers: cfg.Launchers, grace: cfg.ShutdownGraceDuration()}
	if err := h.open(ctx); err != nil {
		return nil, errors.Join(err, h.Close())
	}
	return h, nil
}

// open runs the checks and opens the host's parts; the claims are held.
func (h *Host) open(ctx context.Context) error {
	cfg := h.cfg
	diags := Check(cfg)
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			h.log.Warn(config.FormatDiag(d))
		}
	}
	if diags.HasErrors() {
		return &config.Error{Diags: diags}
	}
	cat, err := catalog.Open(catalog.Config{StateDir: cfg.StateDir, PluginDir: cfg.PluginDir}, h.log)
	if err != nil {
		return fmt.Errorf("open catalog: %w", err)
	}
	h.catalog = cat
	if err := h.setGrants(cfg); err != nil {
		return err
	}
	dsOpts, allow, err := dataSourcePolicy(cfg)
	if err != nil {
		return err
	}
	if h.source == nil {
		if h.source, err = openInstance(ctx, cfg.Instance, dsOpts...); err != nil {
			return err
		}
	}
	if err := guardState(cfg); err != nil {
		return err
	}
	if h.watch, err = openWatch(cfg, h.log); err != nil {
		return err
	}
	if h.sandbox, err = newSandboxes(cfg, cfg.JobLimits(), h.log); err != nil {
		return err
	}
	h.runner = job.NewRunner(job.Config{
		Resolve: h.resolve,
		Sandbox: h.sandbox,
		Source:  h.source,
		// A caller's own data source is SQL Server only (a SQLite path would
		// let a caller read files with the host's rights), on a host the
		// operator allowed, with options that name no file.
		OpenDataSource: func(ctx context.Context, dsn string) (datasource.Source, error) {
			return mssql.OpenCaller(ctx, dsn, allow, dsOpts...)
		},
		Limits: cfg.JobLimits(),
		// Parallel partitions beyond the CPUs only wait on each other.
		Parallelism: min(cfg.Sandbox.Workers, runtime.NumCPU()),
		Logger:      h.log,
		Observers:   h.watch.observers(cat, h.log),
		Warm:        h.warmSpecs(cfg),
	})
	if h.watch.metrics != nil {
		h.watch.metrics.WatchWarm(h.runner.WarmStatus)
	}
	return nil
}

// warmSpecs asks for the warm runtimes the configuration names, for each
// registered launcher (resolved by its first language, as a job would be).
func (h *Host) warmSpecs(cfg *config.Config) []job.WarmSpec {
	entries, err := h.catalog.List()
	if err != nil {
		h.log.Warn("no warm runtimes: the catalog cannot be read", "error", err)
		return nil
	}
	var specs []job.WarmSpec
	for _, e := range entries {
		ready, mem := cfg.Warm(e.Name)
		if ready > 0 && len(e.Languages) > 0 {
			specs = append(specs, job.WarmSpec{Launcher: e.Name, Language: e.Languages[0], Ready: ready, MemoryBytes: mem})
		}
	}
	return specs
}

// setGrants makes the configuration's grants the ones calls are checked
// against.
func (h *Host) setGrants(cfg *config.Config) error {
	g, err := grant.New(cfg.ExternalScriptsEnabled, cfg.Grants)
	if err != nil {
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	h.grants.Store(g)
	return nil
}

// dataSourcePolicy turns data_source { } into the options every data
// source is opened with and the caller's host allowlist.
func dataSourcePolicy(cfg *config.Config) ([]datasource.Option, mssql.HostAllowlist, error) {
	limit, err := cfg.DataSource.ValueLimit()
	if err != nil {
		return nil, mssql.HostAllowlist{}, err
	}
	var hosts []string
	if cfg.DataSource != nil {
		hosts = cfg.DataSource.AllowHosts
	}
	allow, err := mssql.ParseHostAllowlist(hosts)
	if err != nil {
		return nil, allow, fmt.Errorf("%w: data_source %w", config.ErrInvalid, err)
	}
	return []datasource.Option{datasource.WithValueLimit(limit)}, allow, nil
}

func openInstance(ctx context.Context, in *config.Instance, opts ...datasource.Option) (datasource.Source, error) {
	dsn, err := datasource.ResolveDSN(in.DSN, in.DSNEnv, in.DSNFile)
	if err != nil {
		return nil, fmt.Errorf("instance: %w", err)
	}
	src, err := openDriver(ctx, in.Driver, dsn, opts...)
	if err != nil {
		return nil, fmt.Errorf("open instance database: %w", datasource.SanitizeError(err, dsn))
	}
	return src, nil
}

// openDriver opens a data source by driver name: "sqlite" (dsn is a file
// path) or "sqlserver" (dsn is a go-mssqldb connection string).
func openDriver(ctx context.Context, driver, dsn string, opts ...datasource.Option) (datasource.Source, error) {
	switch strings.ToLower(driver) {
	case datasource.DriverSQLite:
		return sqlite.Open(dsn, opts...)
	case datasource.DriverSQLServer:
		return mssql.Open(ctx, dsn, opts...)
	}
	return nil, fmt.Errorf("open data source %q: %w", driver, datasource.ErrUnknownDriver)
}

// guardState sets the state folder's modes: workers must traverse it to
// reach their job folder (state/jobs/ID) but may list and read nothing; the
// SQLite instance is the host's alone. Landlock denies jobs the state folder
// as well; the modes are the second layer.
func guardState(cfg *config.Config) error {
	if err := os.Chmod(cfg.StateDir, 0o711); err != nil {
		return fmt.Errorf("state folder: %w", err)
	}
	if cfg.Instance.Driver == "sqlite" && cfg.Instance.DSN != "" {
		for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
			err := os.Chmod(cfg.Instance.DSN+suffix, 0o600)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("instance database: %w", err)
			}
		}
	}
	return nil
}

// Runner returns the host's job runner (for in-process callers and benchmarks).
func (h *Host) Runner() *job.Runner { return h.runner }

// resolve finds and verifies the launcher for a language, with the
// operator's settings for it.
func (h *Host) resolve(language string) (*job.Launcher, error) {
	l, err := h.catalog.Resolve(language)
	if errors.Is(err, catalog.ErrNoLauncher) {
		return nil, fmt.Errorf("%w %q: %w", job.ErrUnknownLanguage, language, err)
	}
	if errors.Is(err, catalog.ErrHostFault) {
		return nil, fmt.Errorf("%w: %w", job.ErrResolveFault, err)
	}
	if err != nil {
		return nil, err
	}
	settings := h.launcherSettings(l.Name)
	check := func(info *launcher.Info) error { return h.catalog.CheckInfo(l, language, info) }
	verified := *l
	verified.Exe = nil // Admits needs the registration, not the bytes
	admits := func() error { return h.catalog.Admits(&verified) }
	return &job.Launcher{Name: l.Name, Version: l.Version, Exe: l.Exe, Settings: settings, Check: check,
		Identity: l.Identity, Admits: admits}, nil
}

// listen opens the API socket, replacing a stale one a crashed host left
// (but never a live one). Every local user may connect: the kernel tells
// the host who the peer is, and grants decide what it may do.
func listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil, fmt.Errorf("another host is serving on %s", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o666); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}
