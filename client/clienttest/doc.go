// Package clienttest serves a stand-in for a host's API on a unix socket,
// for tests of code that talks to a host through the client package.
package clienttest
