package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host"
	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/host/config"
	"github.com/openlaunchpad/launchpad/host/datasource/sqlite"
	"github.com/openlaunchpad/launchpad/host/dev"
	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// identityScripts are the job every Launchpad measurement runs, by language.
var identityScripts = map[string]string{
	"Python": "OutputDataSet = InputDataSet",
	"R":      "OutputDataSet <- InputDataSet",
}

// benchUIDBase is the first worker uid of the bench's host, away from the
// default range (1890000000) and the e2e suite's (1890100000).
const benchUIDBase = 1_890_300_000

// errShortResult means a job returned fewer or more rows than it was given.
var errShortResult = errors.New("identity job returned a different row count")

// benchHost is a real host, in this process, on a throw-away state folder.
type benchHost struct {
	h         *host.Host
	state     string
	isolation string
	runtime   string // the launcher's python3
}

// startHost signs and registers the first-party launchers of pluginDir in a
// fresh state folder under /var/tmp (a job's private /tmp would hide /tmp)
// and opens a host whose input queries come from the synthetic source, or
// the state folder's SQLite instance for anything else.
func startHost(ctx context.Context, pluginDir, isolation, runtime string, log hclog.Logger) (*benchHost, error) {
	state, err := os.MkdirTemp("/var/tmp", "launchpad-bench-")
	if err != nil {
		return nil, err
	}
	bh := &benchHost{state: state, isolation: isolation, runtime: runtime}
	if err := bh.open(ctx, pluginDir, log); err != nil {
		bh.Close()
		return nil, err
	}
	return bh, nil
}

func (bh *benchHost) open(ctx context.Context, pluginDir string, log hclog.Logger) error {
	python := filepath.Join(pluginDir, "launchpad-python")
	if _, err := os.Stat(python); err != nil {
		return fmt.Errorf("launcher %s: %w (run make build)", python, err)
	}
	// DevBootstrap copies the launcher into a plugin folder of our own: a
	// snapshot that a `make build` elsewhere in the tree cannot change under
	// the running bench (its sha256 pin would then refuse it).
	pluginDir = filepath.Join(bh.state, "plugins")
	if err := os.Mkdir(pluginDir, 0o755); err != nil {
		return err
	}
	bins := []catalog.DevBinary{{Path: python, Name: "PythonLauncher", Version: "0.1.0", Languages: []string{"Python"}}}
	if r := filepath.Join(filepath.Dir(python), "launchpad-r"); fileExists(r) {
		bins = append(bins, catalog.DevBinary{Path: r, Name: "RLauncher", Version: "0.1.0", Languages: []string{"R"}})
	}
	if err := catalog.DevBootstrap(catalog.Config{StateDir: bh.state, PluginDir: pluginDir}, bins, log); err != nil {
		return fmt.Errorf("sign and register the dev launchers: %w", err)
	}
	db := filepath.Join(bh.state, "instance.db")
	if _, err := dev.EnsureSampleDB(db); err != nil {
		return fmt.Errorf("instance database: %w", err)
	}
	inst, err := sqlite.Open(db)
	if err != nil {
		return err
	}
	cfg := &config.Config{
		StateDir:  bh.state,
		PluginDir: pluginDir,
		Instance:  &config.Instance{Driver: "sqlite", DSN: db},
		Limits:    &config.Limits{Timeout: "30m", Memory: "8GiB", MaxOutput: "16GiB", MaxMessages: "64MiB"},
		// A worker range of its own: a host kills every process of its range
		// at start, which must not hit another host's jobs on this machine.
		Sandbox:   &config.Sandbox{Isolation: bh.isolation, UIDBase: benchUIDBase, Workers: 4},
		Launchers: []config.Launcher{{Name: "PythonLauncher", Runtime: bh.runtime}},
	}
	if err := cfg.Normalize(); err != nil {
		inst.Close()
		return err
	}
	h, err := host.New(ctx, cfg, log, host.WithSource(&synthSource{fallback: inst}))
	if err != nil {
		inst.Close()
		return err
	}
	bh.h = h
	return nil
}

// Close stops the host and removes the state folder.
func (bh *benchHost) Close() error {
	var err error
	if bh.h != nil {
		err = bh.h.Close()
	}
	return errors.Join(err, os.RemoveAll(bh.state))
}

// jobRun is one measured job.
type jobRun struct {
	wall     time.Duration
	rows     int64
	bytesIn  uint64 // BXL buffer bytes the host sent
	bytesOut int64  // BXL BATCH payload bytes the host received
	hwm      int64  // the host process's peak RSS during the job
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// runIdentity runs the identity script in language over query and checks
// the row count.
func (bh *benchHost) runIdentity(ctx context.Context, language, query string, want int64) (jobRun, error) {
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	sink := &countSink{}
	start := time.Now()
	res, err := bh.h.Runner().Run(ctx, &job.Request{Language: language, Script: identityScripts[language], InputQuery: query}, sink)
	wall := time.Since(start)
	if err != nil {
		return jobRun{}, fmt.Errorf("job %q: %w (messages: %s)", query, err, sink.messages())
	}
	r := jobRun{wall: wall, rows: sink.rows.Load(), bytesIn: res.Stats.BytesIn, bytesOut: sink.bytes.Load(), hwm: peakRSS()}
	if r.rows != want || int64(res.Stats.RowsIn) != want {
		return r, fmt.Errorf("%w: query %q: sent %d rows, got back %d, want %d", errShortResult, query, res.Stats.RowsIn, r.rows, want)
	}
	return r, nil
}

// countSink counts the result set and discards it, like a caller that
// streams rows on without keeping them.
type countSink struct {
	rows, bytes atomic.Int64
	// mu guards msg: the first few KiB of script output, to explain failures.
	mu  sync.Mutex
	msg bytes.Buffer
}

var _ job.Sink = (*countSink)(nil)

func (s *countSink) Started(job.Started) error        { return nil }
func (s *countSink) Schema([]byte, *bxl.Schema) error { return nil }
func (s *countSink) Batch(p []byte, b *bxl.Batch) error {
	s.rows.Add(int64(b.Rows))
	s.bytes.Add(int64(len(p)))
	return nil
}
func (s *countSink) Message(_ job.Stream, p []byte) error { s.keep(p); return nil }

func (s *countSink) keep(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if room := 4096 - s.msg.Len(); room > 0 {
		s.msg.Write(p[:min(room, len(p))])
	}
}

func (s *countSink) messages() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.TrimSpace(s.msg.String())
}

// resetPeakRSS resets this process's VmHWM to its current RSS (Linux ≥ 4.0),
// so peakRSS reports the peak of what follows.
func resetPeakRSS() {
	// Best effort: without it peaks only ever grow, which the report shows.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// peakRSS returns this process's VmHWM in bytes, or -1 when unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}
