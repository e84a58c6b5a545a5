package launchertest

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

// Snippets are script fragments in the launcher's language. Each one is a
// whole script unless noted; the kit joins lines with "\n".
type Snippets struct {
	// Identity sets the output data set to the input data set.
	Identity string
	// Print writes the text "conformance-stdout" to standard output.
	Print string
	// PrintStderr writes the text "conformance-stderr" to standard error.
	PrintStderr string
	// RaiseError raises an error whose message is "conformance-error" on
	// line ErrorLine (1-based) of the snippet, preferably from inside a
	// function the snippet defines and calls.
	RaiseError string
	ErrorLine  int
	// SetOutputParam sets the OUTPUT param out_n (int) to in_n + 1 and the
	// OUTPUT param out_s (nvarchar) to in_s.
	SetOutputParam string
	// Assign returns one statement that sets variable dst to variable src,
	// e.g. "dst = src" in Python or "dst <- src" in R. It copies params of
	// every type into OUTPUT params.
	Assign func(dst, src string) string
	// NoOutput runs without defining an output data set.
	NoOutput string
	// CountRows sets the output data set to one row with one integer column
	// n holding the number of input rows.
	CountRows string
	// Sleep sleeps about 60 seconds.
	Sleep string
	// Crash ends the runtime at once with exit status 3, without writing
	// its output.
	Crash string

	// The integer snippets read the kit's integer input: columns x and y
	// (bigint values beyond 2^31) and w (small), never NULL. Each uses the
	// language's own numeric library on the columns as they arrive, so a
	// runtime that presents integers in a form that library miscomputes
	// (R's bit64::integer64 under %*% or lm) fails the check.

	// MatrixProduct sets the output data set to one row with one column dot:
	// x and w multiplied with the language's matrix product (R: t(x) %*% w;
	// Python: numpy's x @ w).
	MatrixProduct string
	// FitLine fits y = slope * x + intercept by least squares with the
	// language's usual estimator (R: lm or glm; Python: scikit-learn's
	// LinearRegression) and sets the output data set to one row with columns
	// slope and intercept.
	FitLine string
	// Recycle sets the output data set to x beside a column k holding 1, 2,
	// 1, 2, … recycled to x's length the language's way (R:
	// data.frame(x = x, k = 1:2)), and a column s = x + k.
	Recycle string
}

// Edge values a runtime may declare it refuses (Config.Refuses).
const (
	// EdgeInt64Min is -9223372036854775808 (NA in R's bit64::integer64).
	EdgeInt64Min = "int64_min"
	// EdgeWideDecimal is a decimal with 38 significant digits.
	EdgeWideDecimal = "wide_decimal"
	// EdgeInt64BeyondDouble is 9007199254740993 (2^53 + 1), which a double
	// would round (R without integer64).
	EdgeInt64BeyondDouble = "int64_beyond_double"
)

// Config describes the launcher under test.
type Config struct {
	// LaunchpadBin is the path of a built launchpad-host binary
	// (./cmd/launchpad-host: every launchpad command in one binary).
	LaunchpadBin string
	// LauncherBin is the path of the built launcher binary under test; the
	// kit copies it into its own plugin folder.
	LauncherBin string
	// Name, Version and Languages go into the signed manifest and must match
	// what the launcher's Info reports. Jobs use Languages[0].
	Name      string
	Version   string
	Languages []string
	// Runtime is the interpreter's path (the launcher's "runtime" setting);
	// empty leaves the launcher's default.
	Runtime  string
	Snippets Snippets
	// Narrows declares the BXL types the runtime's data frames cannot keep
	// and the type each comes back as, as the launcher documents it: R's
	// {"decimal": "float64", "datetimeoffset": "datetime", "uuid": "string"}.
	// Values must still come back equal (a datetimeoffset as its UTC wall
	// clock; a uuid as its text in either case). Supported:
	// decimal→float64, datetimeoffset→datetime, uuid→string.
	Narrows map[string]string
	// Refuses declares the edge values the runtime cannot represent; for
	// each, a job must fail with an error naming the column instead of
	// changing the value. Known edges: EdgeInt64Min, EdgeWideDecimal,
	// EdgeInt64BeyondDouble.
	Refuses []string
	// LargeRows is the row count of the large streamed input. Default
	// 1,000,000.
	LargeRows int
	// Warm says the launcher opts into warm starts (launcher.Info.Warm):
	// the host keeps one runtime prepared and the kit runs every check
	// twice, with each job started cold and then warm. Without it the
	// checks run cold, and a warm start must be refused clearly.
	Warm bool
}

// ErrBadConfig is wrapped by Config.Validate's errors.
var ErrBadConfig = errors.New("bad conformance config")

// Validate reports what a Config lacks.
func (c *Config) Validate() error {
	var errs []error
	need := func(ok bool, what string) {
		if !ok {
			errs = append(errs, fmt.Errorf("%w: %s", ErrBadConfig, what))
		}
	}
	need(c.LaunchpadBin != "", "LaunchpadBin is empty")
	need(c.LauncherBin != "", "LauncherBin is empty")
	need(c.Name != "", "Name is empty")
	need(c.Version != "", "Version is empty")
	need(len(c.Languages) > 0, "Languages is empty")
	s := c.Snippets
	for name, v := range map[string]string{
		"Identity": s.Identity, "Print": s.Print, "PrintStderr": s.PrintStderr, "RaiseError": s.RaiseError,
		"SetOutputParam": s.SetOutputParam, "NoOutput": s.NoOutput, "CountRows": s.CountRows,
		"Sleep": s.Sleep, "Crash": s.Crash, "MatrixProduct": s.MatrixProduct, "FitLine": s.FitLine,
		"Recycle": s.Recycle,
	} {
		need(v != "", "Snippets."+name+" is empty")
	}
	need(s.Assign != nil, "Snippets.Assign is nil")
	need(s.ErrorLine > 0, "Snippets.ErrorLine must be the 1-based line of the error")
	for from, to := range c.Narrows {
		ok := (from == "decimal" && to == "float64") || (from == "datetimeoffset" && to == "datetime") ||
			(from == "uuid" && to == "string")
		need(ok, fmt.Sprintf("Narrows %s→%s is not a supported narrowing", from, to))
	}
	for _, r := range c.Refuses {
		need(r == EdgeInt64Min || r == EdgeWideDecimal || r == EdgeInt64BeyondDouble,
			fmt.Sprintf("Refuses names unknown edge %q", r))
	}
	return errors.Join(errs...)
}

// Run checks the launcher against the real host. Each check is a subtest.
// It needs root (the host's catalog accepts only root-owned launchers and
// runs jobs under worker accounts) and skips otherwise.
func Run(t *testing.T, cfg Config) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		t.Skip("launchertest needs root: the host trusts only root-owned launchers and runs jobs as worker accounts")
	}
	if cfg.LargeRows == 0 {
		cfg.LargeRows = 1_000_000
	}
	h := startHost(t, &cfg)
	starts := []string{"cold"}
	if cfg.Warm {
		starts = append(starts, "warm")
	}
	for _, start := range starts {
		t.Run(start, func(t *testing.T) {
			k := &kit{t: t, cfg: &cfg, h: h, lang: cfg.Languages[0], start: start}
			for _, c := range k.cases() {
				t.Run(c.name, c.fn)
			}
		})
	}
}

type kitCase struct {
	name string
	fn   func(*testing.T)
}

func (k *kit) cases() []kitCase {
	cs := []kitCase{
		{"IdentityEveryTypeWithNulls", k.identityEveryType},
		{"IdentityEdgeValues", k.identityEdges},
		{"ParamsInAndOut", k.paramsInAndOut},
		{"ParamsOfEveryType", k.paramsEveryType},
		{"Messages", k.messages},
		{"ErrorWithLine", k.errorWithLine},
		{"EmptyInput", k.emptyInput},
		{"NoInputQuery", k.noInputQuery},
		{"NoOutputDataSet", k.noOutputDataSet},
		{"LargeStreamedInput", k.largeStreamedInput},
		{"ConcurrentJobs", k.concurrentJobs},
		{"Cancellation", k.cancellation},
		{"RuntimeCrash", k.runtimeCrash},
		{"IntegersFeedMatrixProduct", k.matrixProduct},
		{"IntegersFeedLinearFit", k.fitLine},
		{"IntegersRecycled", k.recycle},
		{"UnknownLanguageRefused", k.unknownLanguage},
	}
	if !k.cfg.Warm {
		cs = append(cs, kitCase{"WarmStartRefused", k.warmRefused})
	}
	return cs
}
