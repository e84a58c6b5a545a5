// Package pool is Launchpad's external resource pools, after SQL Server's
// CREATE EXTERNAL RESOURCE POOL: named shares of the machine (memory, CPU,
// processes) that bind all of their jobs together, a queue per pool that
// admits at most max_jobs at once, and a classifier that picks a job's
// pool from its caller and language. The cgroups themselves are the
// sandbox's (host/sandbox/jobobject); this package decides and counts.
package pool
