// Command pythonlite is the smallest complete Launchpad launcher, written as
// documentation for launcher authors (docs/launcher-guide.md): language
// "PythonLite" runs scripts with /usr/bin/python3 and no third-party package.
// Its runtime (runtime.py, embedded) speaks BXL with the standard library
// alone, through the SDK's codec module (sdk/bxl/pybxl, staged beside it),
// and gives the script InputDataSet as a dict of column lists.
package main
