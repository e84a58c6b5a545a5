// Package sqlite is the embedded instance's data source (modernc.org/sqlite,
// pure Go): one database file in WAL mode, read through a guarded pool and
// written through another.
//
// The caller's input query is untrusted SQL running inside the root host, so
// it runs on query-only connections whose authorizer allows nothing but
// reading, that cannot attach, vacuum, change pragmas or write, and that
// refuse a value beyond the value limit before the host copies it (guard.go);
// its text must be one SELECT, WITH or VALUES statement (stmt.go).
// Write-backs are staged in the writer's own temp database and published in
// one short transaction, so they never hold the write lock while a script
// runs (write.go).
package sqlite
