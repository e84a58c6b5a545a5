// Package job runs one script job end to end: it resolves a trusted launcher
// for the language, opens the job's sandbox, starts the launcher as a
// satellite process, feeds the input query's rows over the BXL data plane,
// streams the output data set and messages to a Sink, enforces the job's
// limits and turns every failure into a typed *Error carrying the job id.
//
// A job may instead take a warm runtime (warm.go, prepare.go): a sandbox,
// launcher and runtime prepared the same way before the job existed, handed
// to exactly one job. Resource pools (pools.go) admit jobs through their
// queues; scripts' queries back to the instance are served in query.go.
package job
