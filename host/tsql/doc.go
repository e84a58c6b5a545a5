// Package tsql reads a T-SQL batch as SQL Server's documentation writes it —
// DECLAREd variables, one call of sp_execute_external_script with its
// arguments, OUTPUT bindings and WITH RESULT SETS, an optional INSERT INTO
// target, and a final SELECT of OUTPUT variables — into a plain Script value
// that `launchpad exec --tsql` maps onto a job request.
//
// It is a real lexer (lexer.go) and a recursive-descent parser (parser.go,
// call.go), not pattern matching: strings with doubled quotes, N” literals,
// nested block comments, bracketed and quoted identifiers and GO separators
// are read the way SQL Server reads them. Every statement that is not part of
// that one call is refused with an error that names it and says where it is,
// so nothing in a batch is silently skipped. A scalar subquery assigned to
// a variable, DECLARE @m varbinary(max) = (SELECT …), is carried as text
// with the variables it names, for the host to run (subquery in expr.go);
// only a param binding may take its value. Expressions are bounded in depth
// so any input, however hostile, ends in a result or an error.
package tsql
