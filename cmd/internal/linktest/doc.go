// Package linktest checks what a command links. The binaries a caller or
// every job starts (launchpad, launchpad-sandbox-init) are small on
// purpose, since a Go binary's start-up grows with every package it
// initialises; their tests fail the day an import drags more in.
package linktest
