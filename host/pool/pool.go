package pool

import (
	"fmt"
	"regexp"
	"time"

	"github.com/openlaunchpad/launchpad/host/sandbox/jobobject"
)

// DefaultName is the pool that always exists: jobs no classifier rule
// places elsewhere run there.
const DefaultName = "default"

// Defaults of a pool's settings. The default pool's memory share is SQL
// Server's default external pool's (MAX_MEMORY_PERCENT = 20).
const (
	DefaultMaxMemoryPercent = 20
	DefaultMaxCPUPercent    = 100
	DefaultCPUWeight        = 100
)

// Spec is one pool as configured: pool "NAME" { … }.
type Spec struct {
	Name string
	// MaxMemoryPercent is the memory all of the pool's jobs may hold
	// together, in percent of the host's memory (the machine's, or the
	// host's own cgroup limit when that is smaller). 1..100.
	MaxMemoryPercent int
	// MaxCPUPercent caps the pool's jobs together at this share of all
	// CPUs (a CFS quota on the pool); 100 is no cap. 1..100.
	MaxCPUPercent int
	// CPUWeight is the pool's share when pools contend for CPU (cgroup v2
	// cpu.weight; v1 cpu.shares = weight × 1024 / 100). 1..10000.
	CPUWeight int
	// MaxProcesses caps the processes and threads of all of the pool's
	// jobs together; 0 is no cap of the pool's own.
	MaxProcesses int64
	// MaxJobs is the most jobs of the pool that run at once; more wait in
	// the pool's queue. 0 is no cap of the pool's own (the host's worker
	// accounts still bound it).
	MaxJobs int
	// QueueTimeout is how long a job waits in the pool's queue.
	QueueTimeout time.Duration
}

// DefaultSpec is the default pool when the configuration does not define
// pool "default".
func DefaultSpec(queueTimeout time.Duration) Spec {
	return Spec{Name: DefaultName, MaxMemoryPercent: DefaultMaxMemoryPercent, MaxCPUPercent: DefaultMaxCPUPercent,
		CPUWeight: DefaultCPUWeight, QueueTimeout: queueTimeout}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$`)

// ValidName checks a pool's name: it becomes part of a cgroup's path and
// a metrics label.
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("pool name %q: use 1-32 letters, digits, '-' or '_', starting with a letter or digit", name)
	}
	return nil
}

// Validate checks every setting's range.
func (s Spec) Validate() error {
	switch {
	case ValidName(s.Name) != nil:
		return ValidName(s.Name)
	case s.MaxMemoryPercent < 1 || s.MaxMemoryPercent > 100:
		return fmt.Errorf("max_memory_percent %d: want 1..100", s.MaxMemoryPercent)
	case s.MaxCPUPercent < 1 || s.MaxCPUPercent > 100:
		return fmt.Errorf("max_cpu_percent %d: want 1..100", s.MaxCPUPercent)
	case s.CPUWeight < 1 || s.CPUWeight > 10000:
		return fmt.Errorf("cpu_weight %d: want 1..10000", s.CPUWeight)
	case s.MaxProcesses != 0 && s.MaxProcesses < 8:
		return fmt.Errorf("max_processes %d: want at least 8 (a launcher, its runtime and their threads), or 0 for no cap", s.MaxProcesses)
	case s.MaxJobs < 0:
		return fmt.Errorf("max_jobs %d: want 0 (no cap) or more", s.MaxJobs)
	case s.QueueTimeout < 0:
		return fmt.Errorf("queue_timeout %s is negative", s.QueueTimeout)
	}
	return nil
}

// Capacity is what pool percentages are percentages of.
type Capacity struct {
	MemoryBytes int64
	CPUs        int
}

// pageBytes is the unit the kernel keeps memory limits in.
const pageBytes = 4096

// Limits are the pool's job object limits on a host of capacity c.
func (s Spec) Limits(c Capacity) jobobject.Limits {
	lim := jobobject.Limits{
		// Whole pages, as the kernel keeps it: the limit shown is the one in force.
		MemoryBytes: max(c.MemoryBytes*int64(s.MaxMemoryPercent)/100&^(pageBytes-1), 1<<20),
		MaxProcs:    s.MaxProcesses,
		CPUShares:   min(max(uint64(s.CPUWeight)*1024/100, 2), 262144),
	}
	if s.MaxCPUPercent < 100 {
		lim.CPUQuotaMillis = max(int64(s.MaxCPUPercent)*int64(c.CPUs)*10, 10)
	}
	return lim
}
