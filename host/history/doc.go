// Package history keeps a host's running and recent jobs, what `launchpad
// jobs` lists (like SQL Server's sys.dm_external_script_execution_stats).
// Ended jobs are appended to a JSON-lines file in the host's state folder
// and the file is compacted to the newest jobs when it grows past twice its
// bound, so history survives restarts and never grows without bound.
package history
