package jobobject

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

var (
	// ErrControllerMissing is returned when a required cgroup controller is
	// not available; the message names it.
	ErrControllerMissing = errors.New("cgroup controller unavailable")
	// ErrNotWritable is returned when neither the hierarchy root nor the
	// caller's own cgroup accepts a parent group.
	ErrNotWritable = errors.New("cgroup hierarchy not writable")
	// ErrStillPopulated is returned when processes survive Kill.
	ErrStillPopulated = errors.New("cgroup still has processes")
	// ErrBadName is returned for a group or parent name that is not a plain
	// identifier (it becomes a path).
	ErrBadName = errors.New("invalid cgroup name")
)

// Version is the cgroup layout of the host.
type Version int

const (
	// V1 is the v1 (or hybrid) layout: one hierarchy per controller.
	V1 Version = 1
	// V2 is the unified layout.
	V2 Version = 2
)

func (v Version) String() string { return fmt.Sprintf("cgroup v%d", int(v)) }

// Defaults of a host's jobs (the configuration's limits { memory,
// max_processes }); Limits itself has no defaults: zero is no limit.
const (
	DefaultMemoryBytes = 2 << 30
	DefaultMaxProcs    = 128
)

// Limits of one job. Zero means "no limit" for every field.
type Limits struct {
	// MemoryBytes caps resident memory (and swap: a job cannot escape into swap).
	MemoryBytes int64
	// CPUQuotaMillis is CPU time per wall second, in milli-cores: 1000 = one core.
	CPUQuotaMillis int64
	// CPUShares is the relative CPU weight under contention (v1 shares, 2..262144;
	// mapped to cpu.weight on v2). 1024 is the default of an unlimited job.
	CPUShares uint64
	// MaxProcs caps the number of tasks (processes and threads) in the job.
	MaxProcs int64
}

// Validate rejects negative or out-of-range limits.
func (l Limits) Validate() error {
	switch {
	case l.MemoryBytes < 0:
		return fmt.Errorf("memory limit %d bytes is negative", l.MemoryBytes)
	case l.MemoryBytes > 0 && l.MemoryBytes < 1<<20:
		return fmt.Errorf("memory limit %d bytes is below 1 MiB", l.MemoryBytes)
	case l.CPUQuotaMillis < 0:
		return fmt.Errorf("cpu quota %d millis is negative", l.CPUQuotaMillis)
	case l.CPUQuotaMillis > 0 && l.CPUQuotaMillis < 10:
		return fmt.Errorf("cpu quota %d millis is below 10 (1%% of a core)", l.CPUQuotaMillis)
	case l.CPUShares != 0 && (l.CPUShares < 2 || l.CPUShares > 262144):
		return fmt.Errorf("cpu shares %d outside 2..262144", l.CPUShares)
	case l.MaxProcs < 0:
		return fmt.Errorf("max procs %d is negative", l.MaxProcs)
	}
	return nil
}

// cpuPeriodMicros is the CFS period the quota is expressed in.
const cpuPeriodMicros = 100_000

// quotaMicros converts milli-cores to a CFS quota per cpuPeriodMicros.
func (l Limits) quotaMicros() int64 { return l.CPUQuotaMillis * cpuPeriodMicros / 1000 }

// sharesToWeight maps v1 cpu.shares (2..262144) to v2 cpu.weight (1..10000),
// the same formula runc and systemd use.
func sharesToWeight(shares uint64) uint64 {
	if shares == 0 {
		return 0
	}
	return 1 + ((shares-2)*9999)/262142
}

// Stats of a job, read before its group is removed.
type Stats struct {
	PeakMemoryBytes int64
	CPUUser         time.Duration
	CPUSystem       time.Duration
	// OOMKilled is true when the kernel killed a process of the job because it
	// hit the memory limit.
	OOMKilled bool
	// PidsLimitHit is true when a fork or clone failed on the process limit.
	PidsLimitHit bool
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

func checkName(kind, s string) error {
	if !nameRE.MatchString(s) {
		return fmt.Errorf("%s %q: %w", kind, s, ErrBadName)
	}
	return nil
}
