package job

import (
	"errors"
	"fmt"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// Code classifies why a job failed.
type Code int

// The failure classes a caller can tell apart.
const (
	CodeScript Code = iota + 1
	CodeInvalidRequest
	CodeUnknownLanguage
	CodeUntrustedLauncher
	CodeLimitExceeded
	CodeCancelled
	CodeLauncherFault
	CodeDataSource
	CodeOutput
	CodeHostFault
	// CodePermissionDenied: the caller's grants do not allow the job.
	CodePermissionDenied
)

var codeNames = map[Code]string{
	CodeScript:            "script error",
	CodeInvalidRequest:    "invalid request",
	CodeUnknownLanguage:   "unknown language",
	CodeUntrustedLauncher: "untrusted launcher",
	CodeLimitExceeded:     "limit exceeded",
	CodeCancelled:         "cancelled",
	CodeLauncherFault:     "launcher fault",
	CodeDataSource:        "data source error",
	CodeOutput:            "output error",
	CodeHostFault:         "host fault",
	CodePermissionDenied:  "refused",
}

func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("code(%d)", int(c))
}

// Limits a job can hit, as named in errors.
const (
	LimitMemory    = "memory"
	LimitTime      = "time"
	LimitProcesses = "processes"
	LimitDisk      = "disk"
	LimitOutput    = "output"
	LimitMessages  = "messages"
	LimitWorkers   = "workers"
)

// ErrUnknownLanguage is wrapped when no launcher is registered for a language.
var ErrUnknownLanguage = errors.New("unknown language")

// ErrResolveFault is wrapped by Config.Resolve when the host could not verify
// a launcher at all: a host fault, not an untrusted launcher.
var ErrResolveFault = errors.New("could not verify the launcher")

// ErrNoWorker is wrapped by a Sandbox when no worker account became free in
// time.
var ErrNoWorker = errors.New("no worker account free")

// Error is how a job failed.
type Error struct {
	JobID string
	Code  Code
	// Limit names the limit hit, for CodeLimitExceeded.
	Limit string
	// Script is the runtime's report, for script, input and output errors.
	Script *bxl.ScriptError
	Err    error
}

func (e *Error) Error() string {
	// A runtime's own report already starts with its kind ("script error:
	// ZeroDivisionError: …"); saying the code again adds nothing.
	if e.Script != nil && e.Err == error(e.Script) && (e.Code == CodeScript || e.Code == CodeOutput) {
		return "job " + e.JobID + ": " + e.Script.Error()
	}
	msg := e.Code.String()
	if e.Limit != "" {
		msg += " (" + e.Limit + ")"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return "job " + e.JobID + ": " + msg
}

func (e *Error) Unwrap() error { return e.Err }

func failf(id string, code Code, format string, args ...any) *Error {
	return &Error{JobID: id, Code: code, Err: fmt.Errorf(format, args...)}
}
