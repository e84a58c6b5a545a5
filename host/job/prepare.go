package job

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host/satellite"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// launched is a job's launcher once it runs: the host's end of the data
// plane, the satellite, and the outcome of its Run call to come.
type launched struct {
	conn    *net.UnixConn
	sat     *satellite.Satellite
	runDone <-chan runOutcome
	// rd, when set, is the reader that already read the runtime's HELLO
	// (a warm runtime, when it became ready).
	rd *bxl.Reader
}

// prepared is a warm runtime: a sandbox of its own, its launcher started
// and checked, Run called, and the runtime's HELLO read (its libraries are
// imported), waiting for one job. It never serves a second one.
type prepared struct {
	launched
	id       string // the sandbox's id ("w-…")
	env      Env
	identity string // the launcher's catalog identity
	launcher string
	lim      Limits
	out      [2]*heldWriter // stdout, stderr until a job takes them
	stopRun  context.CancelFunc
	readyAt  time.Time
	memory   int64 // the sandbox's peak memory once ready
}

// prepareTimeout bounds how long a runtime may take from sandbox to HELLO.
const prepareTimeout = 2 * time.Minute

// prepareWarm makes one warm runtime of l for language with lim. The caller
// closes l.Exe.
func (r *Runner) prepareWarm(ctx context.Context, l *Launcher, language string, lim Limits) (*prepared, error) {
	id := "w-" + NewJobID()[2:]
	// In the default pool's job object: waiting runtimes count against the
	// pool whose jobs they serve.
	env, err := r.openInPool(ctx, id, defaultPool, lim)
	if err != nil {
		return nil, err
	}
	p := &prepared{id: id, env: env, identity: l.Identity, launcher: l.Name, lim: lim,
		out: [2]*heldWriter{{}, {}}}
	if err := r.launchPrepared(p, l, language); err != nil {
		p.discard(r.log)
		return nil, err
	}
	p.readyAt = time.Now()
	p.memory = env.Usage().PeakMemoryBytes
	return p, nil
}

// launchPrepared starts the launcher, checks it opted into warm starts, calls
// Run and waits for the runtime's HELLO.
func (r *Runner) launchPrepared(p *prepared, l *Launcher, language string) error {
	conn, satEnd, err := NewDataPlane()
	if err != nil {
		return fmt.Errorf("data plane: %w", err)
	}
	p.conn = conn
	uid, gid := p.env.Owner()
	log := r.log.With("sandbox", p.id, "launcher", l.Name)
	p.sat, err = satellite.Start(satellite.Config{
		Name: l.Name, Exe: l.Exe, DataPlane: satEnd, SocketDir: p.env.SocketDir(), UID: uid, GID: gid,
		Process: p.env, Logger: log.Named("launcher"), Log: p.lim.Log,
	})
	satEnd.Close()
	if err != nil {
		return err
	}
	ictx, cancel := context.WithTimeout(context.Background(), infoTimeout)
	info, err := p.sat.Launcher.Info(ictx)
	cancel()
	if err != nil {
		return err
	}
	if l.Check != nil {
		if err := l.Check(info); err != nil {
			return err
		}
	}
	if !info.Warm {
		return errNotWarm
	}
	runCtx, stop := context.WithCancel(context.Background())
	p.stopRun = stop
	done := make(chan runOutcome, 1)
	p.runDone = done
	go func() {
		exit, err := p.sat.Launcher.Run(runCtx, &launcher.RunRequest{JobID: p.id, Language: language,
			WorkingDir: p.env.Dir(), Settings: l.Settings}, p.out[0], p.out[1])
		done <- runOutcome{exit, err}
	}()
	return p.readHello()
}

// errNotWarm: the launcher did not opt into warm starts (Info.Warm).
var errNotWarm = errors.New("the launcher does not support warm starts (its Info does not set Warm)")

// readHello waits for the runtime's HELLO, the sign that it is ready.
func (p *prepared) readHello() error {
	p.conn.SetReadDeadline(time.Now().Add(prepareTimeout))
	defer p.conn.SetReadDeadline(time.Time{})
	rd := bxl.NewReaderLimits(p.conn, bxl.Limits{MaxFrameBytes: 64})
	t, payload, err := rd.Next()
	if err != nil {
		select {
		case run := <-p.runDone:
			return fmt.Errorf("runtime ended before it was ready (%s): %v", describeExit(run), err)
		default:
		}
		return fmt.Errorf("runtime not ready: %w", err)
	}
	if t != bxl.FrameHello {
		return fmt.Errorf("%w: runtime sent %s before HELLO", bxl.ErrProtocol, t)
	}
	if err := bxl.CheckHello(payload); err != nil {
		return err
	}
	p.rd = rd
	return nil
}

// stop ends the runtime's launcher and data plane; the sandbox stays. It
// may be called again (the job that took the runtime stops it too).
func (p *prepared) stop() {
	if p.stopRun != nil {
		p.stopRun()
	}
	if p.sat != nil {
		p.sat.Stop()
	}
	if p.conn != nil {
		p.conn.Close()
	}
}

// discard stops a runtime that will serve no job and frees its sandbox.
// Its processes die first, so the launcher need not be asked to stop.
func (p *prepared) discard(log hclog.Logger) {
	if err := p.env.Kill(); err != nil {
		log.Warn("kill of a warm runtime failed", "sandbox", p.id, "error", err)
	}
	p.stop()
	if err := p.env.Close(); err != nil {
		log.Error("teardown of a warm runtime failed", "sandbox", p.id, "error", err)
	}
}

// heldMax bounds what a waiting runtime may write before its job arrives.
const heldMax = 64 << 10

// heldWriter keeps what a warm runtime writes before its job takes it (its
// start-up warnings belong to that job, as they would on a cold start), then
// passes everything to the job's writer.
type heldWriter struct {
	mu      sync.Mutex
	held    bytes.Buffer
	dropped int
	closed  bool // the stream ended before a job took the runtime
	to      io.Writer
}

func (h *heldWriter) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.to != nil {
		return h.to.Write(p)
	}
	keep := min(len(p), heldMax-h.held.Len())
	h.held.Write(p[:keep])
	h.dropped += len(p) - keep
	return len(p), nil
}

// Close passes the end of the stream on, or keeps it for the job.
func (h *heldWriter) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.to == nil {
		h.closed = true
		return nil
	}
	return closeWriter(h.to)
}

func closeWriter(w io.Writer) error {
	if c, ok := w.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// attach hands what was held, then the stream and its end, to w.
func (h *heldWriter) attach(w io.Writer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held.Len() > 0 {
		w.Write(h.held.Bytes())
	}
	if h.dropped > 0 {
		w.Write([]byte(fmt.Sprintf(bxl.TruncatedMarker, h.dropped)))
	}
	h.held.Reset()
	h.to = w
	if h.closed {
		closeWriter(w)
	}
}
