// Command launchpad is the one Launchpad binary: the host daemon (serve, dev),
// the caller's client (exec), the administrator's tools (key, plugin, trust)
// and the hidden sandbox-init entry every job's satellite starts with.
package main
