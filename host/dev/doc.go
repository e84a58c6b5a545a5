// Package dev makes what `launchpad dev` (and the benchmark) start from: a
// small sample instance database, so a first job has rows to read without
// any setup.
package dev
