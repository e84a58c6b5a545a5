package jobobject

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// Procs lists the pids in the group (all hierarchies, sorted, unique).
func (g *Group) Procs() ([]int, error) {
	set := map[int]bool{}
	dirs := g.dirs()
	for _, d := range dirs {
		pids, err := readProcsRecursive(d)
		if err != nil {
			return nil, err
		}
		for _, p := range pids {
			set[p] = true
		}
	}
	out := make([]int, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Ints(out)
	return out, nil
}

func (g *Group) dirs() []string {
	var out []string
	if g.v1 != nil {
		for _, c := range v1Controllers {
			out = append(out, g.v1Dir(c))
		}
	}
	if g.v2 != nil {
		out = append(out, g.v2Dir())
	}
	return out
}

// Kill kills every process in the group and waits until it is empty. A
// process cannot escape by forking while we kill: v2 (and the hybrid tracking
// group) use cgroup.kill, v1 freezes the group first.
func (g *Group) Kill() error {
	freezer := ""
	if g.v1 != nil {
		freezer = g.v1Dir(cgroup1.Freezer)
	}
	unified := ""
	if g.v2 != nil {
		unified = g.v2Dir()
	}
	return killDirs(g.dirs(), freezer, unified)
}

// killDirs empties the groups at dirs. freezer (v1) and unified (v2) are the
// directories used to stop and kill atomically; either may be "".
func killDirs(dirs []string, freezer, unified string) error {
	deadline := time.Now().Add(killTimeout)
	for {
		var pids []int
		for _, d := range dirs {
			p, err := readProcsRecursive(d)
			if err != nil {
				return err
			}
			pids = append(pids, p...)
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pids %v after %s: %w", pids, killTimeout, ErrStillPopulated)
		}
		// cgroup.kill is atomic for the whole subtree; without it, freeze so
		// nothing forks between listing and killing.
		if unified == "" || writeFile(filepath.Join(unified, "cgroup.kill"), "1") != nil {
			frozen := freezer != "" && writeFile(filepath.Join(freezer, "freezer.state"), "FROZEN") == nil
			for _, p := range pids {
				// ESRCH: already gone; anything else shows up as a survivor next round.
				_ = syscall.Kill(p, syscall.SIGKILL)
			}
			if frozen {
				if err := writeFile(filepath.Join(freezer, "freezer.state"), "THAWED"); err != nil {
					return fmt.Errorf("thaw %s: %w", freezer, err)
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Stats reads peak memory, CPU times and whether a limit was hit.
func (g *Group) Stats() (Stats, error) {
	var s Stats
	if g.v1 != nil {
		m, err := g.v1.Stat(cgroup1.IgnoreNotExist)
		if err != nil {
			return s, fmt.Errorf("stat %s: %w", g.name, err)
		}
		if m.Memory != nil && m.Memory.Usage != nil {
			s.PeakMemoryBytes = int64(m.Memory.Usage.Max)
		}
		if m.MemoryOomControl != nil {
			s.OOMKilled = m.MemoryOomControl.OomKill > 0
		}
		if m.CPU != nil && m.CPU.Usage != nil {
			s.CPUUser = time.Duration(m.CPU.Usage.User)
			s.CPUSystem = time.Duration(m.CPU.Usage.Kernel)
		}
		// cpuacct.stat (what the library reads) counts 10 ms ticks; the
		// nanosecond counters, where the kernel has them, see short jobs too.
		acct := g.v1Dir(cgroup1.Cpuacct)
		if u, err := readUint(filepath.Join(acct, "cpuacct.usage_user")); err == nil && u > 0 {
			s.CPUUser = time.Duration(u)
		}
		if k, err := readUint(filepath.Join(acct, "cpuacct.usage_sys")); err == nil && k > 0 {
			s.CPUSystem = time.Duration(k)
		}
		ev, err := readKV(filepath.Join(g.v1Dir(cgroup1.Pids), "pids.events"))
		if err != nil {
			return s, err
		}
		s.PidsLimitHit = ev["max"] > 0
		return s, nil
	}
	dir := g.v2Dir()
	peak, err := readUint(filepath.Join(dir, "memory.peak"))
	if err != nil {
		return s, err
	}
	s.PeakMemoryBytes = int64(peak)
	mev, err := readKV(filepath.Join(dir, "memory.events"))
	if err != nil {
		return s, err
	}
	s.OOMKilled = mev["oom_kill"] > 0
	cpu, err := readKV(filepath.Join(dir, "cpu.stat"))
	if err != nil {
		return s, err
	}
	s.CPUUser = time.Duration(cpu["user_usec"]) * time.Microsecond
	s.CPUSystem = time.Duration(cpu["system_usec"]) * time.Microsecond
	pev, err := readKV(filepath.Join(dir, "pids.events"))
	if err != nil {
		return s, err
	}
	s.PidsLimitHit = pev["max"] > 0
	return s, nil
}

// Delete removes the group from every hierarchy. It fails with
// ErrStillPopulated while processes remain (call Kill first) and is
// idempotent.
func (g *Group) Delete() error {
	var errs []error
	for _, d := range g.dirs() {
		if err := removeTree(d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeTree removes a cgroup directory and its sub-groups, deepest first
// (cgroupfs only allows rmdir, and only of empty groups).
func removeTree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove group: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if err := removeTree(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	var err2 error
	for i := 0; i < 50; i++ {
		err2 = syscall.Rmdir(dir)
		if err2 == nil || errors.Is(err2, syscall.ENOENT) {
			return nil
		}
		if errors.Is(err2, syscall.ENOTEMPTY) && !isCgroupFS(dir) {
			// A plain directory (tests on t.TempDir) holds the control files.
			return os.RemoveAll(dir)
		}
		if !errors.Is(err2, syscall.EBUSY) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if errors.Is(err2, syscall.EBUSY) {
		return fmt.Errorf("remove %s: %w", dir, ErrStillPopulated)
	}
	return fmt.Errorf("remove %s: %w", dir, err2)
}

func isCgroupFS(dir string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return false
	}
	const cgroupMagic, cgroup2Magic = 0x27e0eb, 0x63677270
	return st.Type == cgroupMagic || st.Type == cgroup2Magic
}

// Sweep kills and removes every job group under the parents: what a crashed
// host left behind. It returns the directories it removed.
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
	var removed []string
	var errs []error
	for n := range names {
		g := &Group{name: n, layout: l}
		var dirs []string
		freezer, unified := "", ""
		if l.Version == V1 {
			for _, c := range v1Controllers {
				dirs = append(dirs, g.v1Dir(c))
			}
			freezer = g.v1Dir(cgroup1.Freezer)
		}
		if l.unifiedMount != "" {
			unified = g.v2Dir()
			dirs = append(dirs, unified)
		}
		if err := killDirs(existing(dirs), ifExists(freezer), ifExists(unified)); err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: %w", n, err))
			continue
		}
		for _, d := range existing(dirs) {
			if err := removeTree(d); err != nil {
				errs = append(errs, err)
				continue
			}
			removed = append(removed, d)
		}
	}
	sort.Strings(removed)
	return removed, errors.Join(errs...)
}

func existing(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			out = append(out, d)
		}
	}
	return out
}

func ifExists(d string) string {
	if d == "" {
		return ""
	}
	if _, err := os.Stat(d); err != nil {
		return ""
	}
	return d
}

// readProcsRecursive reads cgroup.procs of dir and its sub-groups; a job can
// create sub-groups only if it can write cgroupfs, which it cannot, but a
// crashed host may have left nested ones.
func readProcsRecursive(dir string) ([]int, error) {
	var out []int
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		raw, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, f := range strings.Fields(string(raw)) {
			if pid, err := strconv.Atoi(f); err == nil {
				out = append(out, pid)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list processes of %s: %w", dir, err)
	}
	return out, nil
}

func writeFile(p, v string) error {
	return os.WriteFile(p, []byte(v), 0)
}

func readUint(p string) (uint64, error) {
	raw, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil // older kernels lack memory.peak
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

// readKV parses "key value" lines (memory.events, cpu.stat, pids.events).
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
