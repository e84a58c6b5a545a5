// Package jobobject is Launchpad's Linux "job object": one cgroup per job,
// with memory, CPU and process limits, kill-on-close of every process in it
// (double-forked and setsid daemons included) and per-job statistics.
//
// It works on cgroup v2 and on the v1/hybrid layout (memory, pids, cpu,
// cpuacct, freezer as v1 hierarchies, plus the controller-less v2 mount used
// for cgroup.kill) through github.com/containerd/cgroups/v3. Job groups live
// under a parent group at the root of each hierarchy, or nested under the
// caller's own cgroup when the root is not writable. The cgroup root is
// injectable so the logic can be tested on a temporary directory.
package jobobject
