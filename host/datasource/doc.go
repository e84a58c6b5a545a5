// Package datasource is the host's view of a database instance: one Source
// interface that streams an input query's rows as BXL batches and writes an
// output data set back into a table in one transaction. Two drivers sit behind
// it: the embedded SQLite instance (modernc.org/sqlite, the default) and SQL
// Server (github.com/microsoft/go-mssqldb).
//
// Rows are converted as they arrive, never buffered whole, and a value that
// does not fit its column's type is an error naming the column and row rather
// than a silent, lossy coercion. Errors that may carry a connection string are
// sanitized before they leave the package.
//
// The caller's request is untrusted: SQLite input queries run on guarded,
// query-only connections that cannot attach, vacuum, change pragmas or
// write (sqliteguard.go); a value or row beyond the value limit is refused
// before the host copies it; a caller's own SQL Server connection string
// must name an allowed host and only options that name no file
// (callerdsn.go); SQLite write-backs are staged and published in one short
// transaction so they never hold the write lock while a script runs
// (sqlitewrite.go).
package datasource
