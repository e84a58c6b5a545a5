package main

import (
	"os"
	"testing"

	"github.com/openlaunchpad/launchpad/sdk/launchertest"
)

// TestPythonLite_Conformance is the test a launcher author writes: build the
// host and the launcher, give the kit a snippet per check, and run it.
func TestPythonLite_Conformance(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance kit: starts a host and runs real jobs")
	}
	if _, err := os.Stat(defaultRuntime); err != nil {
		t.Skipf("no %s: %v", defaultRuntime, err)
	}
	launchertest.Run(t, launchertest.Config{
		LaunchpadBin: launchertest.GoBuild(t, "../..", "./cmd/launchpad-host"),
		LauncherBin:  launchertest.GoBuild(t, "../..", "./examples/pythonlite"),
		Name:         name,
		Version:      version,
		Languages:    []string{language},
		Runtime:      defaultRuntime,
		Snippets: launchertest.Snippets{
			Identity:       "OutputDataSet = InputDataSet",
			Print:          `print("conformance-stdout")`,
			PrintStderr:    "import sys\nprint('conformance-stderr', file=sys.stderr)",
			RaiseError:     "def fail():\n    raise ValueError('conformance-error')\n\nfail()\n",
			ErrorLine:      2,
			SetOutputParam: "out_n = in_n + 1\nout_s = in_s",
			Assign:         func(dst, src string) string { return dst + " = " + src },
			NoOutput:       "n = len(InputDataSet)",
			CountRows:      "OutputDataSet = {'n': [len(next(iter(InputDataSet.values()), []))]}",
			Sleep:          "import time\ntime.sleep(60)",
			Crash:          "import os\nos._exit(3)",
			MatrixProduct:  "OutputDataSet = {'dot': [sum(a * b for a, b in zip(InputDataSet['x'], InputDataSet['w']))]}",
			FitLine: "import statistics\n" +
				"slope, intercept = statistics.linear_regression(InputDataSet['x'], InputDataSet['y'])\n" +
				"OutputDataSet = {'slope': [slope], 'intercept': [intercept]}",
			Recycle: "x = InputDataSet['x']\nk = [i % 2 + 1 for i in range(len(x))]\n" +
				"OutputDataSet = {'x': x, 'k': k, 's': [a + b for a, b in zip(x, k)]}",
		},
	})
}
