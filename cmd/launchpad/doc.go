// Command launchpad is what callers, operators and administrators type.
// The caller's commands (exec, jobs, cancel) run here, in a binary that
// links only the API client: a warm job's answer takes milliseconds, and
// so must this process's start. Every other command (serve, dev, key,
// plugin, trust, config, table) replaces this process with launchpad-host,
// found beside it or in ../lib/launchpad.
package main
