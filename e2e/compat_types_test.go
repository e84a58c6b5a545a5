package e2e

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"
)

// Integers as users expect them, the session's predefined names and R's raw
// output, through the real host (issue 9 items 2, 3 and 4; docs/types.md).

// bigInts is an input of bigint columns beyond 2^31: y = 3x + 7, w small.
const bigInts = `WITH t(x, y, w) AS (VALUES (3000000000, 9000000007, 1), (3001000003, 9003000016, 2),
  (3002000006, 9006000025, 3), (3003000009, 9009000034, 4))
SELECT x, y, w FROM t`

// bigIntsDot is sum(x * w) over bigInts, below 2^53: a double holds it exactly.
const bigIntsDot = "30020000060"

// numberIs reports whether the JSON number got equals want exactly.
func numberIs(got, want string) bool {
	g, ok1 := new(big.Rat).SetString(got)
	w, ok2 := new(big.Rat).SetString(want)
	return ok1 && ok2 && g.Cmp(w) == 0
}

// numberNear repeats launchertest's near on purpose: e2e checks the CLI's JSON on its own, not through the launcher test kit.
func numberNear(got string, want, tol float64) bool {
	g, ok := new(big.Rat).SetString(got)
	if !ok {
		return false
	}
	f, _ := g.Float64()
	return math.Abs(f-want) <= tol
}

// R's base arithmetic on a bigint column: %*%, lm and data.frame recycling
// give the right numbers (on bit64::integer64 they computed on raw bits).
func TestCompatTypes_RBigintBaseArithmetic(t *testing.T) {
	script := `x <- InputDataSet$x
stopifnot(is.double(x), !inherits(x, "integer64"), is.integer(InputDataSet$w))
m <- lm(y ~ x, data = InputDataSet)
d <- data.frame(x = x, k = 1:2)
OutputDataSet <- data.frame(dot = as.vector(t(x) %*% InputDataSet$w), slope = coef(m)[["x"]],
  intercept = coef(m)[["(Intercept)"]], recycled = sum(d$x + d$k), x1 = x[1], w1 = InputDataSet$w[1])`
	jr, _ := runJSON(t, "--language", "R", "--input-query", bigInts, "--script", script)
	if got := jr.cell(t, 0, "dot"); !numberIs(got, bigIntsDot) {
		t.Errorf("t(x) %%*%% w = %s, want %s", got, bigIntsDot)
	}
	if s, i := jr.cell(t, 0, "slope"), jr.cell(t, 0, "intercept"); !numberNear(s, 3, 1e-9) || !numberNear(i, 7, 1e-3) {
		t.Errorf("lm slope, intercept = %s, %s; want 3, 7", s, i)
	}
	if got := jr.cell(t, 0, "recycled"); !numberIs(got, "12006000024") {
		t.Errorf("sum(x + recycled 1:2) = %s, want 12006000024", got)
	}
	if got := jr.cell(t, 0, "x1"); !numberIs(got, "3000000000") {
		t.Errorf("x[1] = %s", got)
	}
}

// A bigint column with NULLs comes back from R as the bigint it was: R holds
// it as integer or double, the output keeps the input column's type.
func TestCompatTypes_RBigintRoundTripKeepsType(t *testing.T) {
	q := `WITH t(id, v) AS (VALUES (1, 2147483647), (2, NULL), (3, -9007199254740992), (4, 9007199254740992)) SELECT id, v FROM t`
	jr, _ := runJSON(t, "--language", "R", "--input-query", q, "--script",
		"stopifnot(is.integer(InputDataSet$id), is.double(InputDataSet$v))\nOutputDataSet <- InputDataSet")
	for _, c := range []string{"id", "v"} {
		if got := jr.colType(t, c); got != "int64" {
			t.Errorf("column %s came back as %s, want int64", c, got)
		}
	}
	want := []string{"2147483647", "null", "-9007199254740992", "9007199254740992"}
	for i, w := range want {
		if got := jr.cell(t, i, "v"); got != w {
			t.Errorf("row %d: v = %s, want %s", i, got, w)
		}
	}
}

// A bigint a double would round fails the job naming the column and a CAST;
// with integer64 = true for RLauncher it arrives as bit64::integer64, exact.
func TestCompatTypes_RBigintBeyond2_53(t *testing.T) {
	q := "SELECT 9007199254740993 AS big, 1 AS id"
	r := execArgs(t, "--language", "R", "--input-query", q, "--script", "OutputDataSet <- InputDataSet")
	mustFail(t, r, "column big holds bigint values beyond", "CAST", "integer64 = true")

	h := startSharedHost(t, fmt.Sprintf("sandbox {\n  uid_base = %d\n  workers = 2\n}\nlauncher \"RLauncher\" {\n  integer64 = true\n}\n",
		extraUIDBase(16)))
	r = h.exec(t, "--language", "R", "--format", "json", "--input-query", q, "--script",
		"stopifnot(inherits(InputDataSet$big, \"integer64\"), is.integer(InputDataSet$id))\nOutputDataSet <- InputDataSet")
	if r.code != 0 {
		t.Fatalf("integer64 on: exit %d\n%s", r.code, tail(r.stderr, 2000))
	}
	if !strings.Contains(r.stdout, "9007199254740993") {
		t.Errorf("integer64 on: the value did not come back exactly:\n%s", r.stdout)
	}
}

// pandas: a NULL-free bigint is NumPy int64 and scikit-learn fits on it; a
// column with NULLs is float64 with NaN, and goes back as its bigint type.
func TestCompatTypes_PandasIntegers(t *testing.T) {
	script := `from sklearn.linear_model import LinearRegression
df = InputDataSet
assert str(df['x'].dtype) == 'int64' and str(df['w'].dtype) == 'int64', df.dtypes
m = LinearRegression().fit(df[['x']], df['y'])
OutputDataSet = pandas.DataFrame({'slope': [m.coef_[0]], 'intercept': [m.intercept_],
    'dot': [df['x'].to_numpy() @ df['w'].to_numpy()]})`
	jr, _ := runJSON(t, "--language", "Python", "--input-query", bigInts, "--script", script)
	if s, i := jr.cell(t, 0, "slope"), jr.cell(t, 0, "intercept"); !numberNear(s, 3, 1e-9) || !numberNear(i, 7, 1e-3) {
		t.Errorf("LinearRegression slope, intercept = %s, %s; want 3, 7", s, i)
	}
	if got := jr.cell(t, 0, "dot"); !numberIs(got, bigIntsDot) {
		t.Errorf("x @ w = %s, want %s", got, bigIntsDot)
	}

	q := `WITH t(v) AS (VALUES (3000000000), (NULL), (-5)) SELECT v FROM t`
	jr, _ = runJSON(t, "--language", "Python", "--input-query", q, "--script",
		"import math\nv = InputDataSet['v']\nassert str(v.dtype) == 'float64' and math.isnan(v[1]), v\n"+
			"OutputDataSet = InputDataSet")
	if got := jr.colType(t, "v"); got != "int64" {
		t.Errorf("NULL-holding bigint came back as %s, want int64", got)
	}
	for i, w := range []string{"3000000000", "null", "-5"} {
		if got := jr.cell(t, i, "v"); got != w {
			t.Errorf("row %d: v = %s, want %s", i, got, w)
		}
	}
}

// The session predefines what SQL Server's does: pandas in Python; an empty
// InputDataSet and OutputDataSet in R (left empty: no result set).
func TestCompatTypes_SessionPredefines(t *testing.T) {
	jr, _ := runJSON(t, "--language", "Python", "--script", "OutputDataSet = pandas.DataFrame({'n': pandas.Series([1, 2])})")
	if got := jr.cell(t, 1, "n"); got != "2" {
		t.Errorf("pandas without an import: n = %s", got)
	}
	r := execArgs(t, "--language", "R", "--result-schema", "NONE", "--script",
		"stopifnot(identical(InputDataSet, data.frame()), identical(OutputDataSet, data.frame()))")
	if r.code != 0 {
		t.Fatalf("R predefined frames: exit %d\n%s", r.code, tail(r.stderr, 2000))
	}
}

// R's raw column (one byte per row, as data.frame(model = as.raw(serialize(m,
// NULL))) builds it) is ONE varbinary value, as in SQL Server; a second job
// fed that value as a param unserializes the model and predicts with it.
func TestCompatTypes_RRawOutputIsOneVarbinary(t *testing.T) {
	train := `m <- lm(y ~ x, data = InputDataSet)
OutputDataSet <- data.frame(name = "line", model = as.raw(serialize(m, NULL)))`
	jr, _ := runJSON(t, "--language", "R", "--input-query", bigInts, "--script", train)
	if len(jr.Rows) != 1 {
		t.Fatalf("got %d rows, want one row holding the whole model", len(jr.Rows))
	}
	if got := jr.colType(t, "model"); got != "binary" {
		t.Fatalf("model column is %s, want binary", got)
	}
	model := strings.Trim(jr.cell(t, 0, "model"), `"`)
	if !strings.HasPrefix(model, "0x") || len(model) < 1000 {
		t.Fatalf("model value %.40s… (%d chars) is not a serialized model", model, len(model))
	}
	use := `m <- unserialize(model)
OutputDataSet <- data.frame(pred = predict(m, data.frame(x = 1e9)))`
	jr, _ = runJSON(t, "--language", "R", "--params", "@model varbinary(max)", "--param", "model="+model, "--script", use)
	if got := jr.cell(t, 0, "pred"); !numberNear(got, 3e9+7, 1e-2) {
		t.Errorf("prediction from the unserialized model = %s, want 3000000007", got)
	}
}
