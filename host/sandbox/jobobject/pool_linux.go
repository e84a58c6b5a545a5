package jobobject

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// PoolPrefix starts the name of a resource pool's group under the parent,
// so a sweep tells pools (which hold job groups) from jobs.
const PoolPrefix = "pool-"

// Pool is a resource pool's group: it holds job groups, and its limits
// bind all of them together, beside each job's own.
type Pool struct {
	*Group
	// Jobs is where the pool's job groups are made (New) and swept.
	Jobs *Layout
	// mu guards lim, the limits last written.
	mu  sync.Mutex
	lim Limits
}

// Limits are the pool's limits as last written.
func (p *Pool) Limits() Limits {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lim
}

// NewPool creates (or reuses) the group of pool name with limits lim.
// Unlike a job, a pool that hits its memory limit loses one process (the
// kernel's pick), not all of its jobs.
func (l *Layout) NewPool(name string, lim Limits) (*Pool, error) {
	if err := checkName("pool name", name); err != nil {
		return nil, err
	}
	g, err := l.New(PoolPrefix+name, lim)
	if err != nil {
		return nil, err
	}
	p := &Pool{Group: g, Jobs: l.child(PoolPrefix + name)}
	if err := p.Update(lim); err != nil {
		return nil, errors.Join(err, g.Delete())
	}
	return p, nil
}

// child is the layout whose parents are l's group name.
func (l *Layout) child(name string) *Layout {
	c := *l
	c.v1Parents = maps.Clone(l.v1Parents)
	for k, p := range c.v1Parents {
		c.v1Parents[k] = p + "/" + name
	}
	if c.unifiedMount != "" {
		c.unifiedParent += "/" + name
	}
	return &c
}

// Update rewrites the pool's limits in place (a reload); zero fields lift
// a limit. Lowering memory below what the pool uses now fails (v1) or
// makes the kernel reclaim and, failing that, kill (v2).
func (p *Pool) Update(lim Limits) error {
	if err := lim.Validate(); err != nil {
		return err
	}
	if p.v1 != nil && p.layout.Version == V1 {
		r := poolV1Resources(p.layout.root, lim)
		mem := r.Memory
		r.Memory = nil
		if err := p.v1.Update(r); err != nil {
			return fmt.Errorf("update %s: %w", p.name, err)
		}
		if err := p.updateV1Memory(mem); err != nil {
			return fmt.Errorf("update %s: %w", p.name, err)
		}
	}
	if p.layout.Version == V1 && lim.MaxProcs == 0 {
		// The library writes pids.max only to set a limit, never to lift one.
		if err := os.WriteFile(filepath.Join(p.v1Dir(cgroup1.Pids), "pids.max"), []byte("max"), 0o644); err != nil {
			return fmt.Errorf("update %s: %w", p.name, err)
		}
	}
	if p.layout.Version == V2 {
		if err := p.v2.Update(poolV2Resources(lim)); err != nil {
			return fmt.Errorf("update %s: %w", p.name, err)
		}
	}
	p.mu.Lock()
	p.lim = lim
	p.mu.Unlock()
	return nil
}

// updateV1Memory writes the memory and memory+swap limits in the order
// the kernel accepts (memsw never below memory); the library's reordering
// swaps the wrong pair.
func (p *Pool) updateV1Memory(m *specs.LinuxMemory) error {
	dir := p.v1Dir(cgroup1.Memory)
	files := []string{"memory.limit_in_bytes", "memory.memsw.limit_in_bytes"}
	values := []*int64{m.Limit, m.Swap}
	cur, err := readUint(filepath.Join(dir, files[0]))
	if err != nil {
		return err
	}
	if raise := *m.Limit < 0 || uint64(*m.Limit) > cur; raise {
		files[0], files[1], values[0], values[1] = files[1], files[0], values[1], values[0]
	}
	for i, f := range files {
		v := values[i]
		if v == nil {
			if f != "memory.memsw.limit_in_bytes" {
				continue
			}
			v = m.Limit // memsw follows memory: no swap on top
		}
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			continue // no swap accounting: no memsw file
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte(strconv.FormatInt(*v, 10)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// poolV1Resources are lim with every limit explicit, so an update lifts a
// limit the new one does not set.
func poolV1Resources(root string, lim Limits) *specs.LinuxResources {
	r := v1Resources(root, lim)
	if r.Memory == nil {
		unlimited := int64(-1)
		r.Memory = &specs.LinuxMemory{Limit: &unlimited}
	}
	if r.CPU == nil {
		r.CPU = &specs.LinuxCPU{}
	}
	if r.CPU.Quota == nil {
		q := int64(-1)
		r.CPU.Quota = &q
	}
	if r.CPU.Shares == nil {
		s := uint64(1024)
		r.CPU.Shares = &s
	}
	return r
}

func poolV2Resources(lim Limits) *cgroup2.Resources {
	r := v2Resources(lim)
	// One process of the pool is the victim, not every job in it.
	off := false
	r.Memory.OOMGroup = &off
	if r.Memory.Max == nil {
		unlimited := int64(-1)
		r.Memory.Max = &unlimited
	}
	if r.CPU.Max == "" {
		r.CPU.Max = "max"
	}
	if r.CPU.Weight == nil {
		w := uint64(100)
		r.CPU.Weight = &w
	}
	if r.Pids.Max == 0 {
		r.Pids.Max = -1
	}
	return r
}

// Usage is what a group holds now.
type Usage struct {
	// MemoryBytes is the memory charged to the group now.
	MemoryBytes int64
	// CPU is the CPU time its processes used so far (user and system).
	CPU time.Duration
}

// Usage reads what the group holds now.
func (g *Group) Usage() (Usage, error) {
	var u Usage
	var mem, cpu uint64
	var err error
	if g.layout.Version == V1 {
		mem, err = readUint(filepath.Join(g.v1Dir(cgroup1.Memory), "memory.usage_in_bytes"))
		if err == nil {
			cpu, err = readUint(filepath.Join(g.v1Dir(cgroup1.Cpuacct), "cpuacct.usage"))
		}
		u.MemoryBytes, u.CPU = int64(mem), time.Duration(cpu)
	} else {
		dir := g.v2Dir()
		mem, err = readUint(filepath.Join(dir, "memory.current"))
		var st map[string]uint64
		if err == nil {
			st, err = readKV(filepath.Join(dir, "cpu.stat"))
		}
		u.MemoryBytes, u.CPU = int64(mem), time.Duration(st["usage_usec"])*time.Microsecond
	}
	if err != nil {
		return u, fmt.Errorf("usage of %s: %w", g.name, err)
	}
	return u, nil
}

// sweepPools empties and removes the pool groups under l: their job
// groups first (a group with children cannot be removed).
func (l *Layout) sweepPools(names map[string]bool) ([]string, error) {
	var removed []string
	var errs []error
	for n := range names {
		if !strings.HasPrefix(n, PoolPrefix) {
			continue
		}
		delete(names, n)
		r, err := l.child(n).Sweep()
		removed = append(removed, r...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		g, ok, err := l.load(n)
		if err != nil || !ok {
			errs = append(errs, err)
			continue
		}
		dirs := g.existingDirs()
		if err := g.Delete(); err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: %w", n, err))
			continue
		}
		removed = append(removed, dirs...)
	}
	return removed, errors.Join(errs...)
}

// Remove deletes the pool's group; its jobs must be gone (ErrStillPopulated
// otherwise, and a job group left in it fails the removal too).
func (p *Pool) Remove() error {
	for _, d := range p.Jobs.ParentDirs() {
		entries, err := os.ReadDir(d)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		for _, e := range entries {
			if e.IsDir() {
				return fmt.Errorf("delete %s: job group %s left: %w", p.name, e.Name(), ErrStillPopulated)
			}
		}
	}
	return p.Delete()
}

// MemoryCapacity is what pool memory percentages are percentages of: the
// machine's memory, or the smallest memory limit of the cgroups the
// parent sits in when that is smaller.
func (l *Layout) MemoryCapacity() (int64, error) {
	total, err := memTotal("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	mount, rel, file := l.unifiedMount, l.unifiedParent, "memory.max"
	if l.Version == V1 {
		mount, rel, file = filepath.Join(l.root, string(cgroup1.Memory)), l.v1Parents[cgroup1.Memory], "memory.limit_in_bytes"
	}
	for d := filepath.Dir(filepath.Join(mount, rel)); strings.HasPrefix(d, mount+"/"); d = filepath.Dir(d) {
		// v1 writes "no limit" as a huge number, v2 as "max" (read as 0).
		if n, err := readUint(filepath.Join(d, file)); err == nil && n > 0 && int64(n) > 0 && int64(n) < total {
			total = int64(n)
		}
	}
	return total, nil
}

// memTotal reads MemTotal from a meminfo file, in bytes.
func memTotal(p string) (int64, error) {
	kv, err := os.ReadFile(p)
	if err != nil {
		return 0, fmt.Errorf("read machine memory: %w", err)
	}
	for _, line := range strings.Split(string(kv), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("read machine memory: %q: %w", line, err)
			}
			return n << 10, nil
		}
	}
	return 0, fmt.Errorf("read machine memory: no MemTotal in %s", p)
}
