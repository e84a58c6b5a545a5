// Package testcert makes throwaway certificate authorities and
// certificates for tests of the TLS listener, written as PEM files into a
// test's folder (no key material is committed).
package testcert
