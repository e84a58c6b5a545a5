// Package sqlio is the driver-neutral database/sql plumbing of the data
// source drivers: streaming *sql.Rows as BXL batches with exact value
// conversion and a value limit (rows.go, convert.go), the one-transaction
// table writer (writer.go) and table name parsing and quoting (ident.go).
// A driver supplies only what differs: column typing, how a value is bound,
// how its load ends.
package sqlio
