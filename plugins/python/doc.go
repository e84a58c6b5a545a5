// Command python is PythonLauncher, the first-party launcher for Python: a
// go-plugin satellite that stages its embedded runtime (runtime/launchpad_*.py,
// main module launchpad_runtime.py) and the SDK's BXL codec (sdk/bxl/pybxl)
// into the job's working folder and runs it with the configured interpreter
// (default /usr/bin/python3), which speaks BXL on descriptor 3 and gives the
// script pandas DataFrames. runtime/launchpad_bxl.py is a link to the SDK's
// codec, so the runtime also runs from the source tree for its tests.
package main
