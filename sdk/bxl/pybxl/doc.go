// Package pybxl ships launchpad_bxl.py, the BXL v1 codec in pure
// standard-library Python, for launchers whose runtime is written in Python.
//
// A launcher stages Module as FileName beside its own runtime script (with
// launcher.StageFile) and the runtime imports it, instead of carrying its own
// copy of the framing, schema, batch and conversation code:
//
//	if _, err := launcher.StageFile(req, pybxl.FileName, pybxl.Module); err != nil { ... }
//
// Under python3 -I the script's folder is not on sys.path, so the runtime
// adds it before `import launchpad_bxl` (see docs/launcher-guide.md).
// PythonLauncher and examples/pythonlite both use it; its unit tests
// (test_launchpad_bxl.py) run as part of go test.
package pybxl
