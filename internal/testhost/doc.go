// Package testhost runs a real launchpad host (`launchpad dev` or `serve`)
// for a test: Start waits until the host logs that it serves (an event, not
// a sleep), Log lets a test wait for what the host logs next, and Stop ends
// the host with SIGTERM and reports what it left behind (its socket, job
// cgroups). The end-to-end tests and the conformance kit share it.
package testhost
