// Command launchpad-sandbox-init is what every job starts as: the host runs
// `launchpad-sandbox-init sandbox-init <spec>` in the job's new namespaces,
// and it builds the sandbox (mounts, limits, Landlock, seccomp, the worker's
// account) and becomes the launcher. It is launchpad-host's own
// `sandbox-init` (package confine) in a binary that links nothing else, so
// each job pays a third of the host's start-up. The host uses it when it
// lies beside the host's binary, owned by the host's account and writable by
// no other.
package main
