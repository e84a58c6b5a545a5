package pool

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/openlaunchpad/launchpad/host/job"
)

// Pools are a host's resource pools with their queues and classifier. It
// is a job.Pools; safe for concurrent use.
type Pools struct {
	// mu guards the fields below; a reload replaces them.
	mu         sync.Mutex
	specs      []Spec
	queues     map[string]*queue
	classifier *Classifier
}

var _ job.Pools = (*Pools)(nil)

// New checks specs and rules and makes a queue per pool. specs must hold
// the default pool (see WithDefault) and every pool a rule names.
func New(specs []Spec, rules []Rule) (*Pools, error) {
	p := &Pools{queues: map[string]*queue{}}
	if err := p.Update(specs, rules); err != nil {
		return nil, err
	}
	return p, nil
}

// WithDefault adds the default pool to specs unless they define it.
func WithDefault(specs []Spec, def Spec) []Spec {
	if slices.ContainsFunc(specs, func(s Spec) bool { return s.Name == DefaultName }) {
		return specs
	}
	return append(slices.Clone(specs), def)
}

// Update replaces the pools and rules (a reload). A pool that stays keeps
// its queue: running jobs keep their slots, waiting ones their places,
// under the new max_jobs and queue_timeout. A removed pool takes no new
// job; its running jobs finish.
func (p *Pools) Update(specs []Spec, rules []Rule) error {
	names := map[string]bool{}
	for _, s := range specs {
		if err := s.Validate(); err != nil {
			return fmt.Errorf("pool %q: %w", s.Name, err)
		}
		if names[s.Name] {
			return fmt.Errorf("pool %q is defined twice", s.Name)
		}
		names[s.Name] = true
	}
	if !names[DefaultName] {
		return fmt.Errorf("no %q pool", DefaultName)
	}
	for i, r := range rules {
		if !names[r.Pool] {
			return fmt.Errorf("classifier rule %d names pool %q, which is not defined", i+1, r.Pool)
		}
	}
	c, err := NewClassifier(rules)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	queues := make(map[string]*queue, len(specs))
	for _, s := range specs {
		q := p.queues[s.Name]
		if q == nil {
			q = &queue{name: s.Name}
		}
		q.set(s.MaxJobs, s.QueueTimeout)
		queues[s.Name] = q
	}
	p.specs, p.queues, p.classifier = slices.Clone(specs), queues, c
	return nil
}

// Specs are the pools as configured now.
func (p *Pools) Specs() []Spec {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.specs)
}

// Classify picks the pool of a job (job.Pools).
func (p *Pools) Classify(id *job.Identity, language string) string {
	p.mu.Lock()
	c := p.classifier
	p.mu.Unlock()
	return c.Classify(id, language)
}

// Admit waits for a slot in pool name (job.Pools): an error wraps
// job.ErrUnknownPool or job.ErrPoolFull, or is ctx's.
func (p *Pools) Admit(ctx context.Context, name string) (func(), error) {
	p.mu.Lock()
	q := p.queues[name]
	p.mu.Unlock()
	if q == nil {
		return nil, fmt.Errorf("pool %q: %w", name, job.ErrUnknownPool)
	}
	return q.admit(ctx)
}

// Figures are one pool's numbers now, for `launchpad jobs` and metrics.
type Figures struct {
	Spec
	Running, Queued int
	// MemoryBytes, MemoryLimitBytes and CPU are the pool's job object's
	// (zero without one: isolation "none").
	MemoryBytes, MemoryLimitBytes int64
	CPUSeconds                    float64
}

// Figures lists every pool's running and queued jobs, in configuration
// order; usage fills in what the pool's job object measures.
func (p *Pools) Figures(usage func(f *Figures)) []Figures {
	p.mu.Lock()
	specs := slices.Clone(p.specs)
	queues := p.queues
	p.mu.Unlock()
	out := make([]Figures, 0, len(specs))
	for _, s := range specs {
		f := Figures{Spec: s}
		f.Running, f.Queued = queues[s.Name].counts()
		if usage != nil {
			usage(&f)
		}
		out = append(out, f)
	}
	return out
}
