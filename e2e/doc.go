// Package e2e holds Launchpad's end-to-end tests: they build the real
// launchpad binary and first-party launchers, start `launchpad dev` on a
// private state folder and run jobs through `launchpad exec`, with the real
// python3 and Rscript. As root (CI) the host runs with full isolation.
package e2e
