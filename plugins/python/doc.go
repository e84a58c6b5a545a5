// Command python is PythonLauncher, the first-party launcher for Python: a
// go-plugin satellite that stages its embedded runtime module
// (runtime/launchpad_runtime.py) into the job's working folder and runs it with
// the configured interpreter (default /usr/bin/python3), which speaks BXL on
// descriptor 3 and gives the script pandas DataFrames.
package main
