// Package sqltype reads SQL Server style declarations — the params of
// sp_execute_external_script ("@n int, @msg nvarchar(100) OUTPUT") and result
// schemas ("id int, score decimal(10,2)") — into BXL fields, and parses param
// values given as text into the Go values the BXL builder takes.
package sqltype
