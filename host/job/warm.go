package job

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// WarmSpec asks for warm runtimes of one launcher: Ready of them prepared
// ahead of demand, each for one job (prepare.go).
type WarmSpec struct {
	// Launcher is the launcher's name; Language one it serves, by which it
	// is resolved (and verified) like a job's.
	Launcher, Language string
	Ready              int
	// MemoryBytes caps the memory the launcher's waiting runtimes hold
	// together (their sandboxes' peak); 0: no cap beyond Ready.
	MemoryBytes int64
}

// WarmStatus is one launcher's warm runtimes, as an operator sees them.
type WarmStatus struct {
	Launcher         string
	Target           int
	Ready, Preparing int
	// MemoryBytes is what the ready runtimes hold; Workers the worker
	// accounts held by ready and preparing ones.
	MemoryBytes int64
	Workers     int
	// Served counts jobs that started warm; Note says why none are kept
	// or the last preparation failed, when so.
	Served uint64
	Note   string
}

// Start modes a request may ask for.
const (
	StartAuto = ""     // warm when a runtime is ready, else cold
	StartCold = "cold" // always a fresh sandbox for this job
	StartWarm = "warm" // wait (up to the queue timeout) for a warm runtime
)

// defaultPool is the resource pool warm runtimes are prepared in and the
// only one whose jobs they serve.
const defaultPool = "default"

// warmPools keeps the warm runtimes of every launcher that has some.
type warmPools struct {
	r    *Runner
	wake chan struct{}
	stop chan struct{}
	wg   sync.WaitGroup // the maintainer and preparations in flight

	// mu guards pools and closed.
	mu     sync.Mutex
	pools  map[string]*warmPool // by lower-case launcher name
	closed bool
}

type warmPool struct {
	spec      WarmSpec
	ready     []*prepared
	preparing int
	served    uint64
	note      string
	// identity and admits are those of the launcher last resolved for the
	// pool: runtimes of another identity are stale.
	identity string
	admits   func() error
	// failures back preparation off after errors (retryAt).
	failures int
	retryAt  time.Time
	// disabled says why the pool prepares nothing (the launcher did not
	// opt in); a new registration may change it.
	disabled string
	// readyCh is closed (and replaced) when a preparation ends, well or not.
	readyCh chan struct{}
}

// watchInterval is how often waiting runtimes' launchers are checked
// against the catalog, besides every hand-over.
const watchInterval = 250 * time.Millisecond

func newWarmPools(r *Runner, specs []WarmSpec) *warmPools {
	w := &warmPools{r: r, wake: make(chan struct{}, 1), stop: make(chan struct{}), pools: map[string]*warmPool{}}
	w.set(specs)
	w.wg.Add(1)
	go w.maintain()
	return w
}

// set replaces the specs; pools no longer asked for are emptied.
func (w *warmPools) set(specs []WarmSpec) {
	w.mu.Lock()
	var drop []*prepared
	keep := map[string]bool{}
	for _, s := range specs {
		key := strings.ToLower(s.Launcher)
		keep[key] = true
		if p := w.pools[key]; p != nil {
			p.spec = s
			continue
		}
		w.pools[key] = &warmPool{spec: s, readyCh: make(chan struct{})}
	}
	for key, p := range w.pools {
		if !keep[key] {
			drop = append(drop, p.ready...)
			p.ready = nil
			p.spec.Ready = 0
		}
	}
	w.mu.Unlock()
	w.discard(drop)
	w.poke()
}

func (w *warmPools) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// maintain keeps each pool full and its runtimes' launchers admitted.
func (w *warmPools) maintain() {
	defer w.wg.Done()
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for {
		w.check()
		w.fill()
		select {
		case <-w.stop:
			return
		case <-w.wake:
		case <-t.C:
		}
	}
}

// check discards waiting runtimes whose launcher the catalog no longer
// admits, or whose limits are no longer the host's, or that died.
func (w *warmPools) check() {
	lim := w.r.Limits()
	w.mu.Lock()
	var drop []*prepared
	for _, p := range w.pools {
		var why error
		if p.admits != nil && len(p.ready) > 0 {
			why = p.admits()
		}
		kept := p.ready[:0]
		for _, rt := range p.ready {
			switch {
			case why != nil, rt.lim != lim, rt.identity != p.identity, rt.exited():
				drop = append(drop, rt)
			default:
				kept = append(kept, rt)
			}
		}
		p.ready = kept
		if why != nil {
			p.note = "discarded: " + why.Error()
			w.r.log.Warn("warm runtimes discarded: the catalog no longer admits their launcher",
				"launcher", p.spec.Launcher, "reason", why)
			p.admits, p.identity = nil, ""
		}
	}
	w.mu.Unlock()
	w.discard(drop)
}

// checkNow runs check at once, for a caller that learnt of a trust change.
func (w *warmPools) checkNow() {
	if w != nil {
		w.check()
	}
}

// exited reports whether a waiting runtime's Run already returned.
func (p *prepared) exited() bool {
	select {
	case run := <-p.runDone:
		p.runDone = closedRun(run)
		return true
	default:
		return false
	}
}

func closedRun(r runOutcome) <-chan runOutcome {
	c := make(chan runOutcome, 1)
	c <- r
	return c
}

// fill starts one preparation for each pool short of its target, unless
// the worker accounts are needed by jobs or the pool's memory is spent.
func (w *warmPools) fill() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	now := time.Now()
	busy := w.r.running.Load() > 0
	inflight := 0 // preparations not holding their worker account yet
	for _, p := range w.pools {
		inflight += p.preparing
	}
	for _, p := range w.pools {
		if p.preparing > 0 || len(p.ready) >= p.spec.Ready || now.Before(p.retryAt) || !w.r.spareWorker(inflight) {
			continue
		}
		// A preparation costs CPU a running job would miss: it waits for an
		// idle moment, unless the pool is empty (a busy host).
		if busy && len(p.ready) > 0 {
			continue
		}
		if p.spec.MemoryBytes > 0 && p.memory() >= p.spec.MemoryBytes {
			p.note = fmt.Sprintf("memory cap reached: %d of %d bytes held", p.memory(), p.spec.MemoryBytes)
			continue
		}
		p.preparing++
		inflight++
		w.wg.Add(1)
		go w.prepareOne(p, p.spec)
	}
}

func (p *warmPool) memory() int64 {
	var n int64
	for _, rt := range p.ready {
		n += rt.memory
	}
	return n
}

// prepareOne resolves the pool's launcher as a job would and prepares one
// runtime of it.
func (w *warmPools) prepareOne(p *warmPool, spec WarmSpec) {
	defer w.wg.Done()
	lim := w.r.Limits()
	rt, l, err := w.resolveAndPrepare(spec, lim)
	w.mu.Lock()
	p.preparing--
	switch {
	case errors.Is(err, errNotWarm):
		// Asked again only when the launcher is registered anew.
		p.disabled, p.note = err.Error(), err.Error()
		p.identity, p.retryAt = l.Identity, time.Now().Add(24*time.Hour)
	case err != nil:
		p.failures++
		p.retryAt = time.Now().Add(min(time.Second<<min(p.failures-1, 6), time.Minute))
		p.note = "preparation failed: " + err.Error()
	case w.closed || len(p.ready) >= p.spec.Ready || w.r.waiting.Load() > 0:
		// A job waits for a worker account: this one is its.
		w.mu.Unlock()
		rt.discard(w.r.log)
		w.poke()
		return
	default:
		p.failures, p.note, p.disabled = 0, "", ""
		p.identity, p.admits = l.Identity, l.Admits
		p.ready = append(p.ready, rt)
	}
	close(p.readyCh)
	p.readyCh = make(chan struct{})
	w.mu.Unlock()
	if err != nil {
		w.r.log.Warn("warm runtime not prepared", "launcher", spec.Launcher, "error", err)
	}
	w.poke()
}

func (w *warmPools) resolveAndPrepare(spec WarmSpec, lim Limits) (*prepared, *Launcher, error) {
	l, err := w.r.cfg.Resolve(spec.Language)
	if err != nil {
		return nil, nil, err
	}
	defer l.Exe.Close()
	if !strings.EqualFold(l.Name, spec.Launcher) {
		return nil, l, fmt.Errorf("language %s is served by launcher %s, not %s", spec.Language, l.Name, spec.Launcher)
	}
	ctx, cancel := context.WithTimeout(context.Background(), prepareTimeout)
	defer cancel()
	rt, err := w.r.prepareWarm(ctx, l, spec.Language, lim)
	return rt, l, err
}

// take hands a job a warm runtime of l when one fits, else says why the job
// starts cold. With StartWarm it waits for one up to the queue timeout.
func (w *warmPools) take(ctx context.Context, l *Launcher, req *Request, lim Limits) (*prepared, string, error) {
	if w == nil {
		if req.Start == StartWarm {
			return nil, "", errors.New("a warm start was asked but no launcher keeps warm runtimes")
		}
		return nil, "", nil
	}
	for {
		rt, why, wait, stale := w.tryTake(l, req, lim)
		w.discard(stale)
		if rt != nil || req.Start != StartWarm {
			return rt, why, nil
		}
		if wait == nil {
			return nil, why, fmt.Errorf("a warm start was asked but %s", why)
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, why, ctx.Err()
		case <-time.After(lim.QueueTimeout):
			return nil, why, fmt.Errorf("a warm start was asked but %s within %s", why, lim.QueueTimeout)
		}
	}
}

// tryTake takes a ready runtime, or says why not and what to wait on when
// one may come; stale are runtimes found unfit, for the caller to discard.
func (w *warmPools) tryTake(l *Launcher, req *Request, lim Limits) (rt *prepared, why string, wait <-chan struct{}, stale []*prepared) {
	if req.Start == StartCold {
		return nil, "a cold start was asked", nil, nil
	}
	if req.Pool != "" && req.Pool != defaultPool {
		return nil, fmt.Sprintf("resource pool %s keeps no warm runtimes", req.Pool), nil, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.pools[strings.ToLower(l.Name)]
	if p == nil || p.spec.Ready == 0 {
		if req.Start != StartWarm {
			return nil, "", nil, nil // nothing to say: the operator asked for none
		}
		return nil, fmt.Sprintf("launcher %s keeps no warm runtimes (warm = 0)", l.Name), nil, nil
	}
	if p.disabled != "" {
		if p.identity == l.Identity {
			return nil, p.disabled, nil, nil
		}
		p.disabled, p.retryAt = "", time.Time{} // registered anew: ask again
	}
	for len(p.ready) > 0 {
		rt := p.ready[0]
		p.ready = p.ready[1:]
		switch {
		case rt.identity != l.Identity, rt.exited():
			stale = append(stale, rt)
		case rt.lim != lim:
			stale = append(stale, rt)
			return nil, "the job's limits differ from the warm runtimes'", p.readyCh, stale
		default:
			p.served++
			return rt, "", nil, stale
		}
	}
	why = "no warm runtime was ready"
	if p.note != "" {
		why += " (" + p.note + ")"
	}
	return nil, why, p.readyCh, stale
}

// jobEnded lets the pools refill now that a job's CPU is free, a moment
// later: the caller's answer and the job's teardown go first (a preparation
// is a process start and an import, CPU the answer would wait for on a
// small machine).
func (w *warmPools) jobEnded() {
	if w != nil {
		time.AfterFunc(refillDelay, w.poke)
	}
}

// refillDelay is how long after a job's end a refill waits.
const refillDelay = 50 * time.Millisecond

// evictOne frees the worker account of one waiting runtime for a job that
// needs it; it reports whether there was one.
func (w *warmPools) evictOne() bool {
	if w == nil {
		return false
	}
	w.mu.Lock()
	var victim *prepared
	for _, p := range w.pools {
		if len(p.ready) > 0 {
			victim, p.ready = p.ready[0], p.ready[1:]
			break
		}
	}
	w.mu.Unlock()
	if victim == nil {
		return false
	}
	w.discard([]*prepared{victim})
	return true
}

func (w *warmPools) discard(rts []*prepared) {
	for _, rt := range rts {
		rt.discard(w.r.log)
	}
}

// status reports every pool, by launcher name.
func (w *warmPools) status() []WarmStatus {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]WarmStatus, 0, len(w.pools))
	for _, p := range w.pools {
		out = append(out, WarmStatus{Launcher: p.spec.Launcher, Target: p.spec.Ready, Ready: len(p.ready),
			Preparing: p.preparing, MemoryBytes: p.memory(), Workers: len(p.ready) + p.preparing,
			Served: p.served, Note: p.note})
	}
	return out
}

// close stops the maintainer, waits for preparations in flight and frees
// every waiting runtime.
func (w *warmPools) close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return
	}
	w.closed = true
	close(w.stop)
	w.mu.Unlock()
	w.wg.Wait()
	w.mu.Lock()
	var drop []*prepared
	for _, p := range w.pools {
		drop = append(drop, p.ready...)
		p.ready = nil
	}
	w.mu.Unlock()
	w.discard(drop)
}
