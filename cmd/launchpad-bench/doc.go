// Command launchpad-bench measures the data path of a Python job (`make bench`):
// an identity script over synthetic rows through the real host and
// PythonLauncher, against two baselines on the same data — the same BXL bytes
// through a socketpair into numpy arrays (the physical limit of the path) and
// CSV through pipes with pandas (what a user would do without Launchpad) — and
// checks the targets of issue 2. docs/bench.md describes the method.
package main
