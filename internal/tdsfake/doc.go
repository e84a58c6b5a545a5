// Package tdsfake is a FAKE SQL Server for tests. It is not a database and
// not a conforming server: it speaks just enough of TDS 7.4 over TCP for
// github.com/microsoft/go-mssqldb to connect without encryption (DSN
// encrypt=disable), log in (the password is checked so tests can see a login
// failure), run SQL batches and sp_executesql calls (recorded; a variable
// the declarations lack is the server's error 137) answered from canned
// results or from its own in-memory tables, run transactions, bulk insert
// (INSERT BULK + BULKLOAD packets), and keep EXECUTE AS LOGIN / REVERT per
// connection, recording each statement with the login it ran as
// (Statements). Every value type of the Launchpad type table is encoded and
// decoded on the wire, so the host's data source can be tested for type
// fidelity without a real server. Tests run the same assertions against a
// real SQL Server when one is configured.
package tdsfake
