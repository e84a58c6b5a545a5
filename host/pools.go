package host

import (
	"fmt"
	"runtime"

	"github.com/openlaunchpad/launchpad/host/config"
	"github.com/openlaunchpad/launchpad/host/pool"
	"github.com/openlaunchpad/launchpad/host/sandbox"
)

// openPools makes the resource pools of cfg: their queues and classifier,
// and a job object per pool under the host's cgroup parent.
func (h *Host) openPools(cfg *config.Config) error {
	p, err := pool.New(cfg.PoolSpecs(), cfg.ClassifierRules())
	if err != nil {
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	if err := h.sandbox.setPools(p.Specs()); err != nil {
		return fmt.Errorf("resource pools: %w", err)
	}
	h.pools = p
	h.watch.pools = h.PoolFigures
	return nil
}

// reloadPools applies a reloaded configuration's pools: new limits are
// written into the pools' job objects at once and bind running jobs too.
func (h *Host) reloadPools(cfg *config.Config) error {
	specs, rules := cfg.PoolSpecs(), cfg.ClassifierRules()
	if err := h.pools.Update(specs, rules); err != nil {
		return fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	return h.sandbox.setPools(specs)
}

// setPools writes each pool's limits, its percentages of this host's
// memory and CPUs, into its job object.
func (s *sandboxes) setPools(specs []pool.Spec) error {
	mem, err := s.m.MemoryCapacity()
	if err != nil {
		return err
	}
	c := pool.Capacity{MemoryBytes: mem, CPUs: runtime.NumCPU()}
	limits := make(map[string]sandbox.Limits, len(specs))
	for _, sp := range specs {
		limits[sp.Name] = sp.Limits(c)
	}
	return s.m.SetPools(limits)
}

// poolUsage fills in what a pool's job object measures.
func (s *sandboxes) poolUsage(f *pool.Figures) {
	u, ok := s.m.PoolUsage(f.Name)
	if !ok {
		return
	}
	f.MemoryBytes, f.CPUSeconds = u.MemoryBytes, u.CPU.Seconds()
	f.MemoryLimitBytes = s.m.PoolLimits(f.Name).MemoryBytes
}

// PoolFigures are the resource pools' numbers now: jobs running and
// queued, memory and CPU of each pool's job object.
func (h *Host) PoolFigures() []pool.Figures { return h.pools.Figures(h.sandbox.poolUsage) }
