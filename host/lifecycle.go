package host

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openlaunchpad/launchpad/host/api"
	"github.com/openlaunchpad/launchpad/host/config"
)

// ErrShuttingDown is the status callers get for a job asked for after
// SIGTERM: gRPC Unavailable with this text.
var ErrShuttingDown = errors.New("host is shutting down")

// gate admits new jobs (streaming calls) until the host stops taking them
// and counts those running, so shutdown can wait for them.
type gate struct {
	// jobs is the context of every admitted call; cancelling it cancels
	// their jobs, which then end with a status the caller reads.
	jobs       context.Context
	cancelJobs context.CancelFunc

	// mu guards the fields below.
	mu       sync.Mutex
	closed   bool
	running  int
	finished chan struct{} // closed when closed && running == 0
}

func (g *gate) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return status.Error(codes.Unavailable, ErrShuttingDown.Error())
	}
	g.running++
	g.mu.Unlock()
	defer g.done()
	ctx, stop := context.WithCancel(ss.Context())
	defer stop()
	unhook := context.AfterFunc(g.jobs, stop)
	defer unhook()
	return handler(srv, gatedStream{ServerStream: ss, ctx: ctx})
}

// gatedStream is a call whose context the gate can cancel.
type gatedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s gatedStream) Context() context.Context { return s.ctx }

func (g *gate) done() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running--
	if g.closed && g.running == 0 {
		close(g.finished)
	}
}

// close stops admitting jobs; the channel closes when none is left.
func (g *gate) close() (<-chan struct{}, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.closed {
		g.closed, g.finished = true, make(chan struct{})
		if g.running == 0 {
			close(g.finished)
		}
	}
	return g.finished, g.running
}

// Serve serves the caller API until ctx ends. Then it stops taking jobs
// (callers get Unavailable "host is shutting down"), lets running jobs
// finish for shutdown_grace and cancels those left.
func (h *Host) Serve(ctx context.Context) error {
	ln, err := listen(h.cfg.Socket)
	if err != nil {
		return err
	}
	tcp, tlsConfig, err := h.listenTCP()
	if err != nil {
		return errors.Join(err, ln.Close())
	}
	defer func() {
		if err := os.Remove(h.cfg.Socket); err != nil && !errors.Is(err, os.ErrNotExist) {
			h.log.Warn("remove API socket", "socket", h.cfg.Socket, "error", err)
		}
	}()
	h.gate.jobs, h.gate.cancelJobs = context.WithCancel(context.Background())
	defer h.gate.cancelJobs()
	g := grpc.NewServer(grpc.MaxRecvMsgSize(64<<20), grpc.Creds(api.ServerCredentials(tlsConfig, h.workerUID)),
		grpc.ChainStreamInterceptor(h.gate.stream))
	api.NewServer(h.runner, h.log, api.WithJobs(h.watch.history),
		api.WithGrants(h.grants.Load, h.catalog)).Register(g)

	errc := make(chan error, 2)
	go func() { errc <- g.Serve(ln) }()
	tcpAddr := ""
	if tcp != nil {
		tcpAddr = tcp.Addr().String()
		go func() { errc <- g.Serve(tcp) }()
	}
	h.watch.serve(h.log)
	if !h.grants.Load().Enabled() {
		h.log.Warn("external scripts are disabled: every job is refused until the configuration sets external_scripts_enabled = true and grants languages")
	}
	h.log.Info("host serving", "socket", h.cfg.Socket, "tls_address", tcpAddr, "instance", h.cfg.Instance.Driver,
		"isolation", h.cfg.Sandbox.Isolation, "external_scripts_enabled", h.grants.Load().Enabled())
	if err := notifyReady(); err != nil {
		h.log.Warn("could not tell systemd the host is ready", "error", err)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	h.drain()
	// Cancel what is left: those jobs end as cancelled, their callers told
	// so on their own call, and are torn down before Serve returns.
	h.gate.cancelJobs()
	finished, _ := h.gate.close()
	<-finished
	stopped := make(chan struct{})
	go func() { g.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second): // a unary call that hangs
		g.Stop()
		<-stopped
	}
	return nil
}

// workerUID reports whether uid is one of this host's worker accounts,
// which jobs run as: they may not call the host.
func (h *Host) workerUID(uid int) bool {
	s := h.cfg.Sandbox
	return s.Isolation == "full" && uid >= s.UIDBase && uid < s.UIDBase+s.Workers
}

// listenTCP opens the listener "tcp" block's address with its TLS
// settings; nil when there is none.
func (h *Host) listenTCP() (net.Listener, *tls.Config, error) {
	l := h.cfg.TCPListener()
	if l == nil {
		return nil, nil, nil
	}
	tlsConfig, err := l.TLSConfig()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", h.cfg.Where("listener.tcp"), err)
	}
	ln, err := net.Listen("tcp", l.Address)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", h.cfg.Where("listener.tcp.address"), err)
	}
	return ln, tlsConfig, nil
}

// drain stops taking jobs and waits up to the grace for running ones.
func (h *Host) drain() {
	h.mu.Lock()
	grace := h.grace
	h.mu.Unlock()
	finished, running := h.gate.close()
	h.log.Info("host stopping: no new jobs", "running_jobs", running, "grace_ms", grace.Milliseconds())
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-finished:
	case <-timer.C:
		h.gate.mu.Lock()
		left := h.gate.running
		h.gate.mu.Unlock()
		h.log.Warn("shutdown grace over: cancelling running jobs", "running_jobs", left)
	}
}

// Reload reads the configuration again (SIGHUP) and applies what can
// change while jobs run: limits (for jobs started from now on), the log
// level, launcher settings and the shutdown grace. It logs every changed
// setting it could not apply; a configuration with problems changes
// nothing.
func (h *Host) Reload() error {
	if h.reload == nil {
		return errors.New("this host has no configuration file to reload")
	}
	next, err := h.reload()
	if err != nil {
		h.log.Error("reload refused: the configuration has problems; nothing changed", "error", err.Error())
		return err
	}
	old := h.cfg
	if err := h.setGrants(next); err != nil {
		h.log.Error("reload refused: the grants have problems; nothing changed", "error", err.Error())
		return err
	}
	lim := next.JobLimits()
	cur := h.runner.Limits()
	// The sandbox applies these when it starts; the runner only names them.
	lim.DiskBytes, lim.QueueTimeout, lim.OpenFiles, lim.MaxFileBytes = cur.DiskBytes, cur.QueueTimeout, cur.OpenFiles, cur.MaxFileBytes
	h.runner.SetLimits(lim)
	if lvl := hclog.LevelFromString(next.LogLevel); lvl != hclog.NoLevel {
		h.log.SetLevel(lvl)
	}
	h.mu.Lock()
	h.launchers, h.grace = next.Launchers, next.ShutdownGraceDuration()
	h.mu.Unlock()
	h.runner.SetWarm(h.warmSpecs(next))
	kept := notReloaded(old, next)
	if len(kept) > 0 {
		h.log.Warn("reload: these settings changed but take effect only at the next start", "settings",
			strings.Join(kept, ", "))
	}
	h.log.Info("configuration reloaded", "timeout_ms", lim.Timeout.Milliseconds(), "memory_bytes", lim.MemoryBytes,
		"log_level", next.LogLevel, "external_scripts_enabled", next.ExternalScriptsEnabled, "grants", len(next.Grants))
	return nil
}

// notReloaded names the settings that differ between a and b and need a
// restart.
func notReloaded(a, b *config.Config) []string {
	var out []string
	add := func(name string, x, y any) {
		if fmt.Sprint(x) != fmt.Sprint(y) {
			out = append(out, name)
		}
	}
	add("state_dir", a.StateDir, b.StateDir)
	add("socket", a.Socket, b.Socket)
	add("plugin_dir", a.PluginDir, b.PluginDir)
	add("instance", *a.Instance, *b.Instance)
	add("data_source", *a.DataSource, *b.DataSource)
	add("sandbox", *a.Sandbox, *b.Sandbox)
	add("telemetry", telemetryAddress(a), telemetryAddress(b))
	add("listener", a.Listeners, b.Listeners)
	add("limits.disk", a.JobLimits().DiskBytes, b.JobLimits().DiskBytes)
	add("limits.open_files", a.JobLimits().OpenFiles, b.JobLimits().OpenFiles)
	add("limits.max_file_size", a.JobLimits().MaxFileBytes, b.JobLimits().MaxFileBytes)
	return out
}

func telemetryAddress(c *config.Config) string {
	if c.Telemetry == nil {
		return ""
	}
	return c.Telemetry.Address
}

// launcherSettings are the operator's settings for a launcher, as of the
// last reload.
func (h *Host) launcherSettings(name string) map[string]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return (&config.Config{Launchers: h.launchers}).LauncherSettings(name)
}

// Close releases the host's resources, its claims last.
func (h *Host) Close() error {
	var errs []error
	if h.watch != nil {
		errs = append(errs, h.watch.close())
	}
	if h.source != nil {
		errs = append(errs, h.source.Close())
	}
	if h.runner != nil {
		h.runner.Close() // warm runtimes hold sandboxes
	}
	if h.sandbox != nil {
		errs = append(errs, h.sandbox.Close())
	}
	if h.catalog != nil {
		h.catalog.Close()
	}
	return errors.Join(append(errs, h.release())...)
}

func (h *Host) release() error {
	err := errors.Join(h.claims.Release(), h.state.Unlock())
	h.claims, h.state = nil, nil
	return err
}
