// Package satellite starts a launcher plugin as a separate process for one job
// and connects to it with go-plugin over gRPC (AutoMTLS on, no host
// environment passed down). The process is built by the job's sandbox, which
// also gets the chance to place it in its job object before it runs.
package satellite
