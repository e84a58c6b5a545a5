package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"

	"github.com/openlaunchpad/launchpad/host/api"
	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/host/config"
	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// stopGrace is how long running jobs get to finish on shutdown before they
// are cancelled.
const stopGrace = 30 * time.Second

// Host is a running Launchpad daemon.
type Host struct {
	cfg     *config.Config
	log     hclog.Logger
	source  datasource.Source
	catalog *catalog.Catalog
	sandbox *sandboxes
	runner  *job.Runner
	watch   *watch
}

// Option changes how New builds a host.
type Option func(*options)

type options struct {
	source datasource.Source
}

// WithSource serves input queries from src instead of the configured
// instance (benchmarks and tests feed synthetic rows this way). The host
// closes src.
func WithSource(src datasource.Source) Option {
	return func(o *options) { o.source = src }
}

// New opens everything a host needs. It refuses to start when isolation is
// unavailable and the operator did not configure the relaxation.
func New(ctx context.Context, cfg *config.Config, logger hclog.Logger, opts ...Option) (*Host, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	lim, err := cfg.JobLimits()
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Open(catalog.Config{StateDir: cfg.StateDir, PluginDir: cfg.PluginDir}, logger)
	if err != nil {
		return nil, fmt.Errorf("open catalog: %w", err)
	}
	if err := guardState(cfg); err != nil {
		return nil, err
	}
	w, err := openWatch(cfg, logger)
	if err != nil {
		return nil, err
	}
	sb, err := newSandboxes(cfg, lim, logger)
	if err != nil {
		w.close()
		return nil, err
	}
	dsOpts, allow, err := dataSourcePolicy(cfg)
	if err != nil {
		sb.Close()
		w.close()
		return nil, err
	}
	src := o.source
	if src == nil {
		if src, err = openInstance(ctx, cfg.Instance, dsOpts...); err != nil {
			sb.Close()
			w.close()
			return nil, err
		}
	}
	h := &Host{cfg: cfg, log: logger, source: src, catalog: cat, sandbox: sb, watch: w}
	h.runner = job.NewRunner(job.Config{
		Resolve: h.resolve,
		Sandbox: sb,
		Source:  src,
		// A caller's own data source is SQL Server only (a SQLite path would
		// let a caller read files with the host's rights), on a host the
		// operator allowed, with options that name no file.
		OpenDataSource: func(ctx context.Context, dsn string) (datasource.Source, error) {
			return datasource.OpenCallerSQLServer(ctx, dsn, allow, dsOpts...)
		},
		Limits: job.Limits{
			Timeout: lim.Timeout, MemoryBytes: lim.MemoryBytes, MaxProcs: lim.MaxProcesses,
			CPUQuotaMillis: lim.CPUQuotaMillis, MaxOutputBytes: lim.MaxOutputBytes, MaxMessageBytes: lim.MaxMessageBytes,
			DiskBytes: lim.DiskBytes,
			Decode:    bxl.Limits{MaxFrameBytes: lim.MaxFrameBytes},
		},
		BatchBytes: lim.BatchBytes,
		Logger:     logger,
		Observers:  w.observers(cat, logger),
	})
	return h, nil
}

// dataSourcePolicy turns data_source { } into the options every data
// source is opened with and the caller's host allowlist.
func dataSourcePolicy(cfg *config.Config) ([]datasource.Option, datasource.HostAllowlist, error) {
	limit, err := cfg.DataSource.ValueLimit()
	if err != nil {
		return nil, datasource.HostAllowlist{}, err
	}
	var hosts []string
	if cfg.DataSource != nil {
		hosts = cfg.DataSource.AllowHosts
	}
	allow, err := datasource.ParseHostAllowlist(hosts)
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
	src, err := datasource.Open(ctx, in.Driver, dsn, opts...)
	if err != nil {
		return nil, fmt.Errorf("open instance database: %w", datasource.SanitizeError(err, dsn))
	}
	return src, nil
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
	settings := h.cfg.LauncherSettings(l.Name)
	return &job.Launcher{Name: l.Name, Version: l.Version, Exe: l.Exe, Settings: settings}, nil
}

// Serve serves the caller API until ctx ends, then stops gracefully: running
// jobs get stopGrace to finish and are cancelled after that.
func (h *Host) Serve(ctx context.Context) error {
	ln, err := listen(h.cfg.Socket)
	if err != nil {
		return err
	}
	defer os.Remove(h.cfg.Socket)
	g := grpc.NewServer(grpc.MaxRecvMsgSize(64<<20), grpc.Creds(api.PeerCredentials()))
	api.NewServer(h.runner, h.log, api.WithJobs(h.watch.history)).Register(g)

	errc := make(chan error, 1)
	go func() { errc <- g.Serve(ln) }()
	h.watch.serve(h.log)
	h.log.Info("host serving", "socket", h.cfg.Socket, "instance", h.cfg.Instance.Driver,
		"isolation", h.cfg.Sandbox.Isolation)
	if err := notifyReady(); err != nil {
		h.log.Warn("could not tell systemd the host is ready", "error", err)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	h.log.Info("host stopping", "grace_ms", stopGrace.Milliseconds())
	done := make(chan struct{})
	go func() { g.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(stopGrace):
		g.Stop()
		<-done
	}
	return nil
}

// Close releases the host's resources.
func (h *Host) Close() error {
	return errors.Join(h.watch.close(), h.source.Close(), h.sandbox.Close())
}

// listen opens the API socket, replacing a stale one a crashed host left
// (but never a live one). Callers need write access to it: root and the
// socket's group.
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
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}
