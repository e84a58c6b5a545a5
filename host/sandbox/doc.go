// Package sandbox runs every Launchpad job in its own sandbox: a worker uid
// from a reserved range, a job object (cgroup) with limits and kill-on-close,
// a private working folder, and `launchpad sandbox-init`, which starts in new
// network, mount, PID, IPC and UTS namespaces, waits at a gate until the host
// has placed it in its cgroups, then drops to the worker uid under
// no_new_privs, rlimits and Landlock and executes the verified launcher bytes
// from a file descriptor. A job of a resource pool gets its job object
// inside the pool's (SetPools, NewJobInPool), whose limits bind all of the
// pool's jobs together.
//
// The host's job runner uses Manager and Job. sandbox-init itself, the
// inside of the sandbox, is package confine: a binary runs it with
// confine.Main. docs/isolation.md says what each layer blocks and how it is
// tested. Linux only.
package sandbox
