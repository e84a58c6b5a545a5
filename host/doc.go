// Package host is the Launchpad daemon, one per database instance: it wires
// the instance's data source, the launcher catalog, the sandbox and the job
// runner together and serves the caller API on a unix socket.
package host
