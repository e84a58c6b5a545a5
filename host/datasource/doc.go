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
package datasource
