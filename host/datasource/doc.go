// Package datasource is the host's view of a database instance: one Source
// interface that streams an input query's rows as BXL batches and writes an
// output data set back into a table in one transaction. The drivers live in
// their own packages: sqlite (the embedded instance, modernc.org/sqlite, the
// default) and mssql (SQL Server through github.com/microsoft/go-mssqldb);
// internal/sqlio holds the database/sql plumbing they share (row streaming,
// value conversion, the transactional writer, table names).
//
// Rows are converted as they arrive, never buffered whole, and a value that
// does not fit its column's type is an error naming the column and row rather
// than a silent, lossy coercion. Errors that may carry a connection string are
// sanitized (SanitizeError) before they leave the host.
package datasource
