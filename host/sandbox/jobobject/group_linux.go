package jobobject

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// killTimeout bounds how long Kill waits for a group to empty.
const killTimeout = 10 * time.Second

// Group is one job's cgroup (one per v1 hierarchy, or one v2 group).
type Group struct {
	name   string
	layout *Layout
	v1     cgroup1.Cgroup
	// v2 is the job group on v2; on a hybrid host it is the tracking group in
	// the controller-less unified hierarchy; nil when there is none.
	v2 *cgroup2.Manager
}

// New creates the job group name with limits lim (idempotent: an existing
// group of that name is reused and its limits are rewritten).
func (l *Layout) New(name string, lim Limits) (*Group, error) {
	if err := checkName("cgroup name", name); err != nil {
		return nil, err
	}
	if err := lim.Validate(); err != nil {
		return nil, err
	}
	g := &Group{name: name, layout: l}
	var err error
	if l.Version == V1 {
		g.v1, err = cgroup1.New(g.v1Path, v1Resources(l.root, lim), cgroup1.WithHierarchy(l.v1Hierarchy))
		if err != nil {
			return nil, fmt.Errorf("create %s group %s: %w", l.Version, name, err)
		}
		if l.unifiedMount != "" {
			if g.v2, err = cgroup2.NewManager(l.unifiedMount, l.unifiedParent+"/"+name, &cgroup2.Resources{}); err != nil {
				_ = g.Delete()
				return nil, fmt.Errorf("create tracking group %s: %w", name, err)
			}
		}
		return g, nil
	}
	g.v2, err = cgroup2.NewManager(l.unifiedMount, l.unifiedParent+"/"+name, v2Resources(lim))
	if err != nil {
		return nil, fmt.Errorf("create %s group %s: %w", l.Version, name, err)
	}
	// Without swap accounting the file is absent and there is no swap to escape into.
	if lim.MemoryBytes > 0 && g.exists(filepath.Join(g.v2Dir(), "memory.swap.max")) {
		zero := int64(0)
		if err := g.v2.Update(&cgroup2.Resources{Memory: &cgroup2.Memory{Swap: &zero}}); err != nil {
			_ = g.Delete()
			return nil, fmt.Errorf("set swap limit of %s: %w", name, err)
		}
	}
	return g, nil
}

func (l *Layout) v1Hierarchy() ([]cgroup1.Subsystem, error) {
	return []cgroup1.Subsystem{
		cgroup1.NewMemory(l.root), cgroup1.NewPids(l.root), cgroup1.NewCpu(l.root),
		cgroup1.NewCpuacct(l.root), cgroup1.NewFreezer(l.root),
	}, nil
}

func (g *Group) v1Path(c cgroup1.Name) (string, error) {
	p, ok := g.layout.v1Parents[c]
	if !ok {
		return "", fmt.Errorf("%s: %w", c, ErrControllerMissing)
	}
	return p + "/" + g.name, nil
}

func (g *Group) v1Dir(c cgroup1.Name) string {
	p, _ := g.v1Path(c)
	return filepath.Join(g.layout.root, string(c), p)
}

func (g *Group) v2Dir() string {
	return filepath.Join(g.layout.unifiedMount, g.layout.unifiedParent, g.name)
}

func (g *Group) exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func v1Resources(root string, lim Limits) *specs.LinuxResources {
	r := &specs.LinuxResources{}
	if lim.MemoryBytes > 0 {
		m := lim.MemoryBytes
		// memsw = limit: the job gets no swap on top of its memory.
		swap := lim.MemoryBytes
		r.Memory = &specs.LinuxMemory{Limit: &m, Swap: &swap}
		if _, err := os.Stat(filepath.Join(root, "memory", "memory.memsw.limit_in_bytes")); err != nil {
			r.Memory.Swap = nil
		}
	}
	if lim.CPUQuotaMillis > 0 || lim.CPUShares > 0 {
		r.CPU = &specs.LinuxCPU{}
		if lim.CPUQuotaMillis > 0 {
			q, p := lim.quotaMicros(), uint64(cpuPeriodMicros)
			r.CPU.Quota, r.CPU.Period = &q, &p
		}
		if lim.CPUShares > 0 {
			s := lim.CPUShares
			r.CPU.Shares = &s
		}
	}
	if lim.MaxProcs > 0 {
		n := lim.MaxProcs
		r.Pids = &specs.LinuxPids{Limit: &n}
	}
	return r
}

func v2Resources(lim Limits) *cgroup2.Resources {
	r := &cgroup2.Resources{Memory: &cgroup2.Memory{}, CPU: &cgroup2.CPU{}, Pids: &cgroup2.Pids{}}
	if lim.MemoryBytes > 0 {
		m := lim.MemoryBytes
		// One OOM kills the whole job: a half-killed job is worse than none.
		oomGroup := true
		r.Memory.Max, r.Memory.OOMGroup = &m, &oomGroup
	}
	if lim.CPUQuotaMillis > 0 {
		q, p := lim.quotaMicros(), uint64(cpuPeriodMicros)
		r.CPU.Max = cgroup2.NewCPUMax(&q, &p)
	}
	if lim.CPUShares > 0 {
		w := sharesToWeight(lim.CPUShares)
		r.CPU.Weight = &w
	}
	r.Pids.Max = lim.MaxProcs
	return r
}

// Add places pid in every hierarchy of the group.
func (g *Group) Add(pid int) error {
	if g.v1 != nil {
		if err := g.v1.AddProc(uint64(pid)); err != nil {
			return fmt.Errorf("add pid %d to %s: %w", pid, g.name, err)
		}
	}
	if g.v2 != nil {
		if err := g.v2.AddProc(uint64(pid)); err != nil {
			return fmt.Errorf("add pid %d to %s: %w", pid, g.name, err)
		}
	}
	return nil
}

// Procs lists the pids in the group and its sub-groups (all hierarchies,
// sorted, unique). A hierarchy the group is already gone from has none.
func (g *Group) Procs() ([]int, error) {
	var dirs []string
	if g.v1 != nil {
		for _, s := range g.v1.Subsystems() {
			p, err := g.v1Path(s.Name())
			if err != nil {
				return nil, fmt.Errorf("list processes of %s: %w", g.name, err)
			}
			dirs = append(dirs, filepath.Join(g.layout.root, string(s.Name()), p))
		}
	}
	if g.v2 != nil {
		dirs = append(dirs, g.v2Dir())
	}
	set := map[int]bool{}
	for _, d := range dirs {
		// A group already deleted holds nothing.
		if err := procsUnder(d, set); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("list processes of %s: %w", g.name, err)
		}
	}
	return slices.Sorted(maps.Keys(set)), nil
}

// procsUnder adds the pids of dir's cgroup.procs, and of every group below
// it, to set. It reads the directories only, where the library's walk
// stats every file of every hierarchy: this runs several times in every
// job's teardown.
func procsUnder(dir string, set map[int]bool) error {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return err
	}
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return fmt.Errorf("%s/cgroup.procs: %w", dir, err)
		}
		set[pid] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		// A group removed since the listing holds nothing.
		if err := procsUnder(filepath.Join(dir, e.Name()), set); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Kill kills every process in the group and waits until it is empty. A
// process cannot escape by forking while we kill: v2 (and the hybrid tracking
// group) use cgroup.kill, v1 freezes the group first. The library kills; the
// wait until the group is empty is ours.
func (g *Group) Kill() error {
	deadline := time.Now().Add(killTimeout)
	for {
		pids, err := g.Procs()
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pids %v after %s: %w", pids, killTimeout, ErrStillPopulated)
		}
		if err := g.killOnce(pids); err != nil {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// killOnce sends SIGKILL to everything in the group once.
func (g *Group) killOnce(pids []int) error {
	// cgroup.kill is atomic for the whole subtree.
	if g.v2 != nil && g.v2.Kill() == nil {
		return nil
	}
	frozen := g.v1 != nil && g.v1.Freeze() == nil
	for _, p := range pids {
		// ESRCH: already gone; anything else shows up as a survivor next round.
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	if frozen {
		if err := g.v1.Thaw(); err != nil {
			return fmt.Errorf("thaw %s: %w", g.name, err)
		}
	}
	return nil
}

// Stats reads peak memory, CPU times and whether a limit was hit.
func (g *Group) Stats() (Stats, error) {
	if g.v1 != nil {
		return g.v1Stats()
	}
	var s Stats
	m, err := g.v2.Stat()
	if err != nil {
		return s, fmt.Errorf("stat %s: %w", g.name, err)
	}
	if m.Memory != nil {
		s.PeakMemoryBytes = int64(m.Memory.MaxUsage) // memory.peak; 0 on kernels without it
	}
	if m.MemoryEvents != nil {
		s.OOMKilled = m.MemoryEvents.OomKill > 0
	}
	if m.CPU != nil {
		s.CPUUser = time.Duration(m.CPU.UserUsec) * time.Microsecond
		s.CPUSystem = time.Duration(m.CPU.SystemUsec) * time.Microsecond
	}
	// The library does not read pids.events.
	pev, err := readKV(filepath.Join(g.v2Dir(), "pids.events"))
	if err != nil {
		return s, err
	}
	s.PidsLimitHit = pev["max"] > 0
	return s, nil
}

// v1Stats reads the five files the stats need, not the library's Stat
// (some thirty files): it is on every job's path.
func (g *Group) v1Stats() (Stats, error) {
	var s Stats
	mem := g.v1Dir(cgroup1.Memory)
	peak, err := readUint(filepath.Join(mem, "memory.max_usage_in_bytes"))
	if err != nil {
		return s, fmt.Errorf("stat %s: %w", g.name, err)
	}
	s.PeakMemoryBytes = int64(peak)
	oom, err := readKV(filepath.Join(mem, "memory.oom_control"))
	if err != nil {
		return s, fmt.Errorf("stat %s: %w", g.name, err)
	}
	s.OOMKilled = oom["oom_kill"] > 0
	if s.CPUUser, s.CPUSystem, err = g.v1CPU(); err != nil {
		return s, fmt.Errorf("stat %s: %w", g.name, err)
	}
	ev, err := readKV(filepath.Join(g.v1Dir(cgroup1.Pids), "pids.events"))
	if err != nil {
		return s, err
	}
	s.PidsLimitHit = ev["max"] > 0
	return s, nil
}

// v1CPU reads the nanosecond counters where the kernel has them; else
// cpuacct.stat, whose 10 ms ticks miss short jobs.
func (g *Group) v1CPU() (user, sys time.Duration, err error) {
	acct := g.v1Dir(cgroup1.Cpuacct)
	u, uerr := readUint(filepath.Join(acct, "cpuacct.usage_user"))
	k, kerr := readUint(filepath.Join(acct, "cpuacct.usage_sys"))
	if uerr == nil && kerr == nil && u+k > 0 {
		return time.Duration(u), time.Duration(k), nil
	}
	st, err := readKV(filepath.Join(acct, "cpuacct.stat"))
	if err != nil {
		return 0, 0, err
	}
	const tick = time.Second / 100 // USER_HZ
	return time.Duration(st["user"]) * tick, time.Duration(st["system"]) * tick, nil
}

// Delete removes the group from every hierarchy. It fails with
// ErrStillPopulated while processes remain (call Kill first) and is
// idempotent.
func (g *Group) Delete() error {
	pids, err := g.Procs()
	if err != nil {
		return err
	}
	if len(pids) > 0 {
		return fmt.Errorf("delete %s: pids %v: %w", g.name, pids, ErrStillPopulated)
	}
	var errs []error
	if g.v1 != nil {
		if err := g.v1.Delete(); err != nil && !errors.Is(err, cgroup1.ErrCgroupDeleted) {
			errs = append(errs, fmt.Errorf("delete %s: %w", g.name, err))
		}
	}
	if g.v2 != nil && g.exists(g.v2Dir()) {
		if err := g.v2.Delete(); err != nil {
			errs = append(errs, fmt.Errorf("delete %s: %w", g.name, err))
		}
	}
	return errors.Join(errs...)
}

// load returns the leftover group name as it exists now (any hierarchy may be
// missing); ok is false when it exists in none.
func (l *Layout) load(name string) (g *Group, ok bool, err error) {
	g = &Group{name: name, layout: l}
	if l.Version == V1 {
		g.v1, err = cgroup1.Load(g.v1Path, cgroup1.WithHierarchy(l.v1Hierarchy))
		if errors.Is(err, cgroup1.ErrCgroupDeleted) {
			g.v1, err = nil, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("load %s: %w", name, err)
		}
	}
	if l.unifiedMount != "" && g.exists(g.v2Dir()) {
		if g.v2, err = cgroup2.Load(l.unifiedParent+"/"+name, cgroup2.WithMountpoint(l.unifiedMount)); err != nil {
			return nil, false, fmt.Errorf("load %s: %w", name, err)
		}
	}
	return g, g.v1 != nil || g.v2 != nil, nil
}

// Sweep kills and removes every job group under the parents, and every
// pool group with the job groups in it: what a crashed host left behind.
// It returns the directories it removed.
func (l *Layout) Sweep() ([]string, error) {
	names := map[string]bool{}
	for _, d := range l.ParentDirs() {
		entries, err := os.ReadDir(d)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("list %s: %w", d, err)
		}
		for _, e := range entries {
			if e.IsDir() && nameRE.MatchString(e.Name()) {
				names[e.Name()] = true
			}
		}
	}
	removed, err := l.sweepPools(names)
	errs := []error{err}
	for n := range names {
		g, ok, err := l.load(n)
		if err != nil || !ok {
			errs = append(errs, err)
			continue
		}
		dirs := g.existingDirs()
		if err := g.Kill(); err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: %w", n, err))
			continue
		}
		if err := g.Delete(); err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: %w", n, err))
			continue
		}
		removed = append(removed, dirs...)
	}
	sort.Strings(removed)
	return removed, errors.Join(errs...)
}

// existingDirs lists the group's directories that exist now.
func (g *Group) existingDirs() []string {
	var out []string
	if g.v1 != nil {
		for _, s := range g.v1.Subsystems() {
			if d := g.v1Dir(s.Name()); g.exists(d) {
				out = append(out, d)
			}
		}
	}
	if g.v2 != nil {
		out = append(out, g.v2Dir())
	}
	return out
}

func readUint(p string) (uint64, error) {
	raw, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	s := strings.TrimSpace(string(raw))
	if s == "max" {
		return 0, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// readKV parses "key value" lines (pids.events).
func readKV(p string) (map[string]uint64, error) {
	out := map[string]uint64{}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			continue
		}
		out[k] = n
	}
	return out, sc.Err()
}
