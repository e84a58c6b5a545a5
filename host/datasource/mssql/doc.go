// Package mssql is the SQL Server data source (github.com/microsoft/go-mssqldb):
// input queries stream through the shared row reader with SQL Server's types
// mapped through host/sqltype, and write-backs are one bulk load (INSERT
// BULK) inside one transaction.
//
// A caller's own connection string is untrusted: it must be a sqlserver://
// URL naming a host the operator allowed and only options that name no file
// (callerdsn.go). Every error has the DSN's credentials removed.
package mssql
