// Package python holds the Python client of the host's API (the launchpad
// package: execute a script, get a pandas DataFrame and OUTPUT params back);
// it has no Go code. Its tests run the client's Python unit tests, install
// it with pip from the repository, and check that launchpad/launchpad_pb2.py
// is what `make proto` generates from host/api/proto/launchpad.proto. The
// end-to-end test against a real host is e2e/pyclient_test.go.
package python
