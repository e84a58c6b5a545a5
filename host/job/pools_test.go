package job

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// fakePools classifies by language and admits up to free jobs a pool.
type fakePools struct {
	mu       sync.Mutex
	free     map[string]int
	admitted []string
	released int
}

func (p *fakePools) Classify(id *Identity, language string) string {
	if id != nil && id.Name == "alice" {
		return "alice"
	}
	return "pool-" + strings.ToLower(language)
}

func (p *fakePools) Admit(_ context.Context, pool string) (func(), error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, ok := p.free[pool]
	switch {
	case !ok:
		return nil, fmt.Errorf("pool %q: %w", pool, ErrUnknownPool)
	case n == 0:
		return nil, fmt.Errorf("pool %q: waited its queue_timeout: %w", pool, ErrPoolFull)
	}
	p.free[pool]--
	p.admitted = append(p.admitted, pool)
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.free[pool]++
		p.released++
	}, nil
}

// poolSandbox records which pool each job was opened in.
type poolSandbox struct {
	*fakeSandbox
	mu    sync.Mutex
	pools []string
}

func (s *poolSandbox) OpenInPool(ctx context.Context, id, pool string, lim Limits) (Env, error) {
	s.mu.Lock()
	s.pools = append(s.pools, pool)
	s.mu.Unlock()
	return s.fakeSandbox.Open(ctx, id, lim)
}

func TestRunner_AdmitsThroughThePoolTheClassifierPicks(t *testing.T) {
	t.Parallel()
	pools := &fakePools{free: map[string]int{"pool-fake": 1, "alice": 0}}
	var ps *poolSandbox
	h := newHarness(t, func(s *fakeSandbox, c *Config) {
		ps = &poolSandbox{fakeSandbox: s}
		c.Sandbox, c.Pools = ps, pools
	})
	req := &Request{ID: "j-pool", Language: "Fake", Script: "echo"}
	if _, err := h.runner.Run(context.Background(), req, &recordSink{}); err != nil {
		t.Fatal(err)
	}
	if req.Pool != "pool-fake" || fmt.Sprint(pools.admitted) != "[pool-fake]" || fmt.Sprint(ps.pools) != "[pool-fake]" {
		t.Errorf("pool %q, admitted %v, opened in %v; want pool-fake everywhere", req.Pool, pools.admitted, ps.pools)
	}
	h.runner.Close() // the sandbox, and with it the slot, goes after the result
	if pools.released != 1 || pools.free["pool-fake"] != 1 {
		t.Errorf("released %d, free %d: the slot must come back when the job ends", pools.released, pools.free["pool-fake"])
	}

	// A full pool: a limit error naming it; no sandbox opened.
	_, err := h.runner.Run(context.Background(), &Request{ID: "j-full", Language: "Fake", Script: "echo",
		Identity: &Identity{Name: "alice"}}, &recordSink{})
	var jerr *Error
	if !errors.As(err, &jerr) || jerr.Code != CodeLimitExceeded || jerr.Limit != LimitPool || !strings.Contains(err.Error(), `pool "alice"`) {
		t.Errorf("full pool: err = %v, want a pool limit error naming pool alice", err)
	}
	// A request naming a pool keeps it; an unknown one is a bad request.
	_, err = h.runner.Run(context.Background(), &Request{ID: "j-bad", Language: "Fake", Script: "echo", Pool: "nope"}, &recordSink{})
	if !errors.As(err, &jerr) || jerr.Code != CodeInvalidRequest || !errors.Is(err, ErrUnknownPool) {
		t.Errorf("unknown pool: err = %v, want an invalid request", err)
	}
	if n := len(ps.pools); n != 1 {
		t.Errorf("%d sandboxes opened, want only the admitted job's", n)
	}
}
