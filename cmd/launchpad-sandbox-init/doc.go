// Command launchpad-sandbox-init is what every job starts as: the host runs
// `launchpad-sandbox-init sandbox-init <spec>` in the job's new namespaces,
// and it builds the sandbox (mounts, limits, Landlock, seccomp, the worker's
// account) and becomes the launcher. It is launchpad-host's own
// `sandbox-init`, in a binary that links the sandbox package alone, so each
// job pays half the start-up. The host uses it when it lies beside the
// host's binary, owned by the host's account and writable by no other.
package main
