package main

import (
	"os"
	"testing"

	"github.com/openlaunchpad/launchpad/sdk/launchertest"
)

// TestRLauncher_Conformance runs the launcher conformance kit on RLauncher
// through the real host.
func TestRLauncher_Conformance(t *testing.T) {
	if testing.Short() {
		t.Skip("conformance kit: starts a host and runs real jobs")
	}
	if _, err := os.Stat(defaultRuntime); err != nil {
		t.Skipf("no %s (install r-base-core): %v", defaultRuntime, err)
	}
	launchertest.Run(t, launchertest.Config{
		LaunchpadBin: launchertest.GoBuild(t, "../..", "./cmd/launchpad-host"),
		Warm:         true,
		LauncherBin:  launchertest.GoBuild(t, "../..", "./plugins/r"),
		Name:         name,
		Version:      version,
		Languages:    []string{"R"},
		Runtime:      defaultRuntime,
		// R's data.frame has no decimal, zoned time or uuid type
		// (docs/types.md); a bigint beyond 2^53 is neither an R integer nor
		// an exact double (integer64 is off by default, and its NA is
		// INT64_MIN), and a double holds 15 significant digits: those values
		// are refused, never changed.
		Narrows: map[string]string{"decimal": "float64", "datetimeoffset": "datetime", "uuid": "string"},
		Refuses: []string{launchertest.EdgeInt64Min, launchertest.EdgeWideDecimal, launchertest.EdgeInt64BeyondDouble},
		Snippets: launchertest.Snippets{
			Identity:       "OutputDataSet <- InputDataSet",
			Print:          `print("conformance-stdout")`,
			PrintStderr:    `message("conformance-stderr")`,
			RaiseError:     "fail <- function() {\n  stop(\"conformance-error\")\n}\nfail()\n",
			ErrorLine:      2,
			SetOutputParam: "out_n <- in_n + 1L\nout_s <- in_s",
			Assign:         func(dst, src string) string { return dst + " <- " + src },
			NoOutput:       "n <- nrow(InputDataSet)",
			CountRows:      "OutputDataSet <- data.frame(n = nrow(InputDataSet))",
			Sleep:          "Sys.sleep(60)",
			Crash:          `quit(save = "no", status = 3, runLast = FALSE)`,
			MatrixProduct:  "OutputDataSet <- data.frame(dot = as.vector(t(InputDataSet$x) %*% InputDataSet$w))",
			FitLine: "m <- lm(y ~ x, data = InputDataSet)\n" +
				"OutputDataSet <- data.frame(slope = coef(m)[[\"x\"]], intercept = coef(m)[[\"(Intercept)\"]])",
			Recycle: "d <- data.frame(x = InputDataSet$x, k = 1:2)\nd$s <- d$x + d$k\nOutputDataSet <- d",
		},
	})
}
