package sandbox

import "time"

// Defaults of the sandbox's per-job settings, here (not in a _linux file)
// so the configuration can fill them in on any platform.
const (
	// DefaultQueueTimeout is how long a job waits for a free worker.
	DefaultQueueTimeout = 60 * time.Second
	// DefaultDiskBytes is each job's disk limit.
	DefaultDiskBytes = 1 << 30
	// MinDiskBytes is the smallest disk limit: the staged runtime file and
	// the launcher's socket must fit.
	MinDiskBytes = 1 << 20
)
