package sandbox

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/openlaunchpad/launchpad/host/sandbox/jobobject"
)

// SetPools creates or updates a job object per resource pool (a reload
// rewrites the limits in place; running jobs stay) and removes the groups
// of pools no longer configured once they are empty. Without cgroups
// (isolation "none") it only records the names.
func (m *Manager) SetPools(limits map[string]Limits) error {
	m.poolMu.Lock()
	defer m.poolMu.Unlock()
	if m.pools == nil {
		m.pools = map[string]*jobobject.Pool{}
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(limits)) {
		lim := limits[name]
		if p, ok := m.pools[name]; ok && p != nil {
			errs = append(errs, p.Update(lim))
			continue
		}
		if m.layout == nil {
			m.pools[name] = nil
			continue
		}
		p, err := m.layout.NewPool(name, lim)
		if err != nil {
			errs = append(errs, fmt.Errorf("pool %q: %w", name, err))
			continue
		}
		m.pools[name] = p
	}
	for name, p := range m.pools {
		if _, keep := limits[name]; keep {
			continue
		}
		if p == nil || p.Remove() == nil {
			delete(m.pools, name)
		} // else: jobs still run in it; Close removes it
	}
	return errors.Join(errs...)
}

// MemoryCapacity is what pool memory percentages are percentages of (0
// without cgroups).
func (m *Manager) MemoryCapacity() (int64, error) {
	if m.layout == nil {
		return 0, nil
	}
	return m.layout.MemoryCapacity()
}

// PoolUsage is what the pool's job object holds now; false without one.
func (m *Manager) PoolUsage(name string) (jobobject.Usage, bool) {
	m.poolMu.Lock()
	p := m.pools[name]
	m.poolMu.Unlock()
	if p == nil {
		return jobobject.Usage{}, false
	}
	u, err := p.Usage()
	return u, err == nil
}

// NewJobInPool is NewJob with the job's group inside pool's group, so
// the pool's limits bind it with the pool's other jobs.
func (m *Manager) NewJobInPool(ctx context.Context, jobID, pool string, lim Limits) (*Job, error) {
	m.poolMu.Lock()
	_, ok := m.pools[pool]
	m.poolMu.Unlock()
	if !ok {
		return nil, fmt.Errorf("job %s: pool %q has no job object: %w", jobID, pool, ErrBadConfig)
	}
	return m.newJob(ctx, jobID, pool, lim)
}

// jobLayout is where a job of pool ("" outside pools) gets its group.
func (m *Manager) jobLayout(pool string) *jobobject.Layout {
	m.poolMu.Lock()
	defer m.poolMu.Unlock()
	if p := m.pools[pool]; pool != "" && p != nil {
		return p.Jobs
	}
	return m.layout
}

// removePools removes every pool's group (Close: no job is left).
func (m *Manager) removePools() error {
	m.poolMu.Lock()
	defer m.poolMu.Unlock()
	var errs []error
	for name, p := range m.pools {
		if p != nil {
			errs = append(errs, p.Remove())
		}
		delete(m.pools, name)
	}
	return errors.Join(errs...)
}

// PoolMemoryLimit is the memory limit of the job's pool (0: none).
func (j *Job) PoolMemoryLimit() int64 {
	if j.pool == "" {
		return 0
	}
	j.m.poolMu.Lock()
	p := j.m.pools[j.pool]
	j.m.poolMu.Unlock()
	if p == nil {
		return 0
	}
	return p.Limits().MemoryBytes
}

// PoolLimits are the limits last written into a pool's job object.
func (m *Manager) PoolLimits(name string) Limits {
	m.poolMu.Lock()
	p := m.pools[name]
	m.poolMu.Unlock()
	if p == nil {
		return Limits{}
	}
	return p.Limits()
}
