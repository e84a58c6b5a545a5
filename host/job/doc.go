// Package job runs one script job end to end: it resolves a trusted launcher
// for the language, opens the job's sandbox, starts the launcher as a
// satellite process, feeds the input query's rows over the BXL data plane,
// streams the output data set and messages to a Sink, enforces the job's
// limits and turns every failure into a typed *Error carrying the job id.
package job
