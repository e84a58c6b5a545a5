package host

import (
	"fmt"
	"net"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/host/config"
	"github.com/openlaunchpad/launchpad/host/history"
	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/host/pool"
	"github.com/openlaunchpad/launchpad/host/telemetry"
)

// watch is what lets an operator see the host's jobs: the job history,
// the metrics and their listener (nil without telemetry { address }).
type watch struct {
	history *history.Store
	metrics *telemetry.Metrics
	server  *telemetry.Server
	// pools reads the resource pools' figures (set once the pools exist).
	pools func() []pool.Figures
}

// openWatch loads the job history and opens the metrics listener; it runs
// before the sandbox sweeps anything, so a taken port changes nothing.
func openWatch(cfg *config.Config, logger hclog.Logger) (*watch, error) {
	hist, err := history.Open(cfg.StateDir, history.DefaultKeep, logger)
	if err != nil {
		return nil, err
	}
	w := &watch{history: hist}
	t := cfg.Telemetry
	if t == nil || t.Address == "" {
		return w, nil
	}
	if _, _, err := net.SplitHostPort(t.Address); err != nil {
		return nil, fmt.Errorf("%w: telemetry address %q: want host:port, e.g. 127.0.0.1:9273", config.ErrInvalid, t.Address)
	}
	w.metrics = telemetry.New(cfg.Sandbox.Workers)
	w.metrics.WatchPools(func() []pool.Figures {
		if w.pools == nil {
			return nil
		}
		return w.pools()
	})
	if w.server, err = telemetry.Listen(t.Address, w.metrics, logger); err != nil {
		return nil, err
	}
	return w, nil
}

// observers are the job observers: history, metrics, and the audit log's
// record of job starts.
func (w *watch) observers(cat *catalog.Catalog, logger hclog.Logger) []job.Observer {
	obs := []job.Observer{w.history, auditStarts{cat: cat, log: logger.Named("audit")}}
	if w.metrics != nil {
		obs = append(obs, w.metrics)
	}
	return obs
}

// serve serves the metrics until close, logging why it stopped early.
func (w *watch) serve(logger hclog.Logger) {
	if w.server == nil {
		return
	}
	go func() {
		if err := w.server.Serve(); err != nil {
			logger.Error("metrics listener stopped", "error", err)
		}
	}()
}

func (w *watch) close() error {
	if w == nil || w.server == nil {
		return nil
	}
	return w.server.Close()
}

// auditStarts records each job start in the audit log: who ran which
// script (its SHA-256) through which launcher.
type auditStarts struct {
	cat *catalog.Catalog
	log hclog.Logger
}

func (auditStarts) JobQueued(*job.Live) {}
func (auditStarts) JobEnded(*job.Live)  {}

func (a auditStarts) JobRunning(l *job.Live) {
	in := l.Record()
	err := a.cat.Audit(catalog.AuditEvent{Action: "job.start", Target: in.ID, Result: catalog.ResultOK,
		Details: map[string]string{
			"caller": in.Caller, "language": in.Language, "launcher": in.Launcher,
			"launcher_version": in.LauncherVersion, "script_sha256": in.ScriptSHA256,
		}})
	if err != nil {
		a.log.Error("audit log write failed", "action", "job.start", "job_id", in.ID, "error", err)
	}
}
