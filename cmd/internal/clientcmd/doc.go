// Package clientcmd is the caller's and the operator's commands: exec
// (a script on a host, from flags or a T-SQL batch), jobs and cancel. They
// talk to a host only through its API (package client), so both binaries
// link them: launchpad answers them itself, in a process that starts in
// milliseconds, and launchpad-host carries them for the conformance kit.
package clientcmd
