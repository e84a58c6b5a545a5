// Command launchpad-host is the whole of Launchpad in one binary: the host
// daemon (serve, dev), the administrator's tools (key, plugin, trust,
// config, table), the hidden sandbox-init entry every job's satellite
// starts with, and the caller's commands (exec, jobs, cancel). The
// launchpad command runs it for everything but the caller's commands,
// which it answers itself without linking the host (cmd/launchpad).
package main
