// Package api serves the caller API of a host (host/api/proto) over gRPC:
// Execute runs a job and streams its result set, messages and final status;
// Cancel stops a running job. Job failures travel in the final Status with a
// typed error code, never as a gRPC error, so a caller always learns the job
// id and what went wrong.
package api
