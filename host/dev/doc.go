// Package dev makes what `launchpad dev` (and the benchmark) start from: a
// small sample instance database, so a first job has rows to read without
// any setup; and CreateTable, which makes a table on a SQLite instance from
// SQL Server declarations and T-SQL literals through the host's own type
// table and write-back (the conformance kit's tables).
package dev
