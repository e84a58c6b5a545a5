package launcher

import (
	"context"
	"io"
	"os"
)

// APIVersion is the launcher API version this SDK speaks; it is also the
// go-plugin protocol version and the "api" a signed manifest names.
const APIVersion = 1

// MaxEventChunk is the most stdout or stderr bytes the SDK puts in one event
// to the host; a host refuses events far larger (1 MiB) as a launcher fault.
const MaxEventChunk = 64 << 10

// DataFD is the descriptor number at which a runtime started with RunRuntime
// finds the data plane.
const DataFD = 3

// Launcher is implemented by a language launcher.
type Launcher interface {
	// Info describes the launcher.
	Info(ctx context.Context) (*Info, error)
	// Run runs one job's runtime to completion, copying its stdout and stderr
	// to the given writers as they arrive. Cancelling ctx must stop the runtime.
	// An error means the launcher could not run the runtime at all; a runtime
	// that ran and failed is reported through ExitStatus. The writers are
	// io.Closers: closing both once the runtime's stdout and stderr reached
	// EOF (RunRuntime does) lets the host answer the job without waiting for
	// the runtime's exit, which for an interpreter with its libraries loaded
	// takes 10–25 ms of unmapping.
	Run(ctx context.Context, req *RunRequest, stdout, stderr io.Writer) (*ExitStatus, error)
}

// Info describes a launcher.
type Info struct {
	Name      string
	Version   string
	Languages []string
	// APIVersion is the launcher API version the launcher was built for.
	APIVersion int
	// Warm opts into warm starts: the host may call Run before the job
	// exists, in a sandbox prepared ahead of demand, and hand the job over
	// later. A launcher says so when its runtime does all its set-up
	// (starting, importing its libraries) before it sends its HELLO, and
	// takes everything about the job from the JOB frame after it: under a
	// warm start RunRequest.JobID names the prepared sandbox ("w-…"), not
	// the job. A launcher that leaves Warm false is always started cold,
	// for one job it already has. See docs/launcher-guide.md, "Warm starts".
	Warm bool
}

// RunRequest is one job as the launcher sees it.
type RunRequest struct {
	JobID    string
	Language string
	// WorkingDir is the job's private folder: the runtime's current directory
	// and the only place it may write.
	WorkingDir string
	// Settings are the operator's settings for this launcher, e.g.
	// "runtime" = "/usr/bin/python3".
	Settings map[string]string
	// DataPlane is the launcher's end of the host's BXL socketpair. The
	// launcher hands it to its runtime and must not read or write it itself.
	DataPlane *os.File
}

// Setting returns the operator's setting key for this launcher, or def when
// the operator set none.
func (r *RunRequest) Setting(key, def string) string {
	if v := r.Settings[key]; v != "" {
		return v
	}
	return def
}

// ExitStatus is how the runtime ended.
type ExitStatus struct {
	// Code is the exit code, or -1 when a signal ended the runtime.
	Code int
	// Signal names the signal that ended the runtime, if any.
	Signal string
}

// Success reports whether the runtime exited with code 0.
func (s *ExitStatus) Success() bool { return s.Code == 0 && s.Signal == "" }
