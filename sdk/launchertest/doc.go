// Package launchertest is the launcher conformance kit: a Go test suite that
// any launcher binary, first-party or third-party, runs against the real
// host. The kit drives the host only through the launchpad binary, exactly as
// an administrator and a caller would (key generate, plugin sign, trust add,
// plugin register, serve, exec, table create); it imports nothing of host/,
// only the client package to read exec's JSON results and internal/testhost
// to run the host. It declares its tables in SQL Server types with T-SQL
// literals and `launchpad table create` makes them, so the host's type table
// alone decides how the instance declares and stores them.
//
// A launcher author supplies per-language script snippets (Snippets) and
// calls Run from a test; see docs/launcher-guide.md.
package launchertest
