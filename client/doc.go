// Package client is the Go client of a Launchpad host's API: Dial a host,
// Exec a job and read its events (start, messages, result set, final status)
// as they stream in, Cancel a job, and print a result set as a table, CSV
// or JSON (NewResultWriter; DecodeDocument reads the JSON back). The
// launchpad exec command, the end-to-end tests and the conformance kit
// share it.
package client
