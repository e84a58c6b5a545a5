// Package cli is the plumbing both Launchpad binaries share: the usage
// text, flag sets whose -h prints every flag, the errors that choose an
// exit code, the version string and --format json. It links nothing of the
// host, so the caller's binary (cmd/launchpad) starts in milliseconds.
package cli
