package main

import (
	"os/exec"
	"testing"

	"github.com/openlaunchpad/launchpad/sdk/launchertest"
)

// TestPythonLauncher_Conformance runs the launcher conformance kit on
// PythonLauncher through the real host.
func TestPythonLauncher_Conformance(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance kit: starts a host and runs real jobs")
	}
	if err := exec.Command(defaultRuntime, "-c", "import pandas").Run(); err != nil {
		t.Skipf("%s cannot import pandas (%v): install python3-pandas", defaultRuntime, err)
	}
	launchertest.Run(t, launchertest.Config{
		LaunchpadBin: launchertest.GoBuild(t, "../..", "./cmd/launchpad-host"),
		Warm:         true,
		LauncherBin:  launchertest.GoBuild(t, "../..", "./plugins/python"),
		Name:         name,
		Version:      version,
		Languages:    []string{"Python"},
		Runtime:      defaultRuntime,
		Snippets: launchertest.Snippets{
			Identity:       "OutputDataSet = InputDataSet",
			Print:          `print("conformance-stdout")`,
			PrintStderr:    "import sys\nsys.stderr.write('conformance-stderr\\n')",
			RaiseError:     "def fail():\n    raise ValueError('conformance-error')\n\nfail()\n",
			ErrorLine:      2,
			SetOutputParam: "out_n = in_n + 1\nout_s = in_s",
			Assign:         func(dst, src string) string { return dst + " = " + src },
			NoOutput:       "n = len(InputDataSet)",
			CountRows:      "import pandas as pd\nOutputDataSet = pd.DataFrame({'n': [len(InputDataSet)]})",
			Sleep:          "import time\ntime.sleep(60)",
			Crash:          "import os\nos._exit(3)",
			MatrixProduct: "x = InputDataSet['x'].to_numpy()\nw = InputDataSet['w'].to_numpy()\n" +
				"OutputDataSet = pandas.DataFrame({'dot': [x @ w]})",
			FitLine: "from sklearn.linear_model import LinearRegression\n" +
				"m = LinearRegression().fit(InputDataSet[['x']], InputDataSet['y'])\n" +
				"OutputDataSet = pandas.DataFrame({'slope': [m.coef_[0]], 'intercept': [m.intercept_]})",
			Recycle: "import numpy as np\nd = pandas.DataFrame({'x': InputDataSet['x'], 'k': np.resize([1, 2], len(InputDataSet))})\n" +
				"d['s'] = d['x'] + d['k']\nOutputDataSet = d",
		},
	})
}
