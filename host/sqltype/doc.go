// Package sqltype is the host's one table of types: for every BXL type, how
// SQL Server and SQLite declare a created column of it, how a T-SQL literal
// parses into it and how its values print (CAST … AS nvarchar); which SQL
// Server type names and SQLite declarations map to it; and which CASTs a
// result schema may ask for. It also reads SQL Server style declarations —
// the params of sp_execute_external_script ("@n int, @msg nvarchar(100)
// OUTPUT") and result schemas ("id int, score decimal(10,2)") — into BXL
// fields. Adding a SQL type that maps to an existing BXL type is one line
// here and one in docs/types.md.
package sqltype
