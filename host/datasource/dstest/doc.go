// Package dstest is the data source test suite every driver passes (Run
// with a Fixture giving the driver's SQL for the same expectations) and the
// helpers driver tests share (and other packages' tests that read a
// Source). It is imported by tests only.
package dstest
