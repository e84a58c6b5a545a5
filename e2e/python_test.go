package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// typesQuery yields the types an SQLite expression can carry, with a row of
// NULLs and an int64 above 2^53 that a float64 would round. (SQLite has no
// boolean values: CAST(1 AS BOOLEAN) is the integer 1; bool travels in the
// params test and in the runtime's own type tests.)
const typesQuery = `
SELECT CAST(1 AS BOOLEAN) AS b, 9007199254740993 AS big, 1.5 AS f, 'héllo ✓ 你好 🙂' AS s,
       x'00ff10' AS bin, DATE('2024-02-29') AS d
UNION ALL SELECT 0, -9223372036854775808, -2.25, '', x'', DATE('1969-12-31')
UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL`

func TestPython_IdentityKeepsValuesTypesAndNulls(t *testing.T) {
	jr, _ := runJSON(t, "--language", "Python", "--input-query",
		"SELECT id, region, units, unit_price, sold_on, big_id FROM sales ORDER BY id",
		"--script", "OutputDataSet = InputDataSet")
	if len(jr.Rows) != 150 {
		t.Fatalf("got %d rows, want the sample's 150", len(jr.Rows))
	}
	// big_id holds values above 2^53: they must come back exact, as int64.
	if got := jr.colType(t, "big_id"); got != "int64" {
		t.Errorf("big_id type = %s, want int64", got)
	}
	if got := jr.cell(t, 0, "big_id"); got != "9007199254740993" {
		t.Errorf("big_id[0] = %s, want 9007199254740993 exactly", got)
	}
	// Row 23 (id 23) has a NULL region in the sample.
	if got := jr.cell(t, 22, "region"); got != "null" {
		t.Errorf("region of id 23 = %s, want null", got)
	}
	if got := jr.cell(t, 16, "units"); got != "null" {
		t.Errorf("units of id 17 = %s, want null (nullable int stays int, not float)", got)
	}
	if got := jr.colType(t, "units"); got != "int64" {
		t.Errorf("units type = %s, want int64", got)
	}
	if got := jr.colType(t, "sold_on"); got != "date" {
		t.Errorf("sold_on type = %s, want date", got)
	}
}

func TestPython_IdentityOverEveryInstanceType(t *testing.T) {
	jr, _ := runJSON(t, "--language", "Python", "--input-query", typesQuery,
		"--script", "OutputDataSet = InputDataSet")
	want := [][]string{
		{`1`, `9007199254740993`, `1.5`, `"héllo ✓ 你好 🙂"`, `"0x00FF10"`, `"2024-02-29"`},
		{`0`, `-9223372036854775808`, `-2.25`, `""`, `"0x"`, `"1969-12-31"`},
		{`null`, `null`, `null`, `null`, `null`, `null`},
	}
	cols := []string{"b", "big", "f", "s", "bin", "d"}
	if len(jr.Rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(jr.Rows), len(want))
	}
	for r := range want {
		for c, name := range cols {
			if got := jr.cell(t, r, name); got != want[r][c] {
				t.Errorf("row %d %s = %s, want %s", r, name, got, want[r][c])
			}
		}
	}
}

// Params carry every BXL type in and out: each OUTPUT param is set from its
// input twin inside the script, so the values cross the data plane twice.
func TestPython_ParamsInAndOutOfEveryType(t *testing.T) {
	decls := []struct{ name, typ, value string }{
		{"b", "bit", "1"},
		{"i8", "tinyint", "200"},
		{"i16", "smallint", "-32768"},
		{"i32", "int", "2147483647"},
		{"i64", "bigint", "9007199254740993"},
		{"f32", "real", "1.5"},
		{"f64", "float", "-2.000000000000001"},
		{"dec", "decimal(38,10)", "-1234567890123456789012345678.0123456789"},
		{"s", "nvarchar(50)", "Grüße, 世界"},
		{"bin", "varbinary(max)", "0x00FF7F"},
		{"d", "date", "1900-01-01"},
		{"tm", "time", "23:59:59.999999"},
		{"dt", "datetime2", "2024-02-29 13:45:00.123456"},
		{"dto", "datetimeoffset", "2024-02-29T13:45:00.5+05:45"},
		{"u", "uniqueidentifier", "6f9619ff-8b86-d011-b42d-00c04fc964ff"},
	}
	var decl, script []string
	args := []string{"--language", "Python"}
	for _, d := range decls {
		decl = append(decl, fmt.Sprintf("@%s %s, @%s_out %s OUTPUT", d.name, d.typ, d.name, d.typ))
		script = append(script, fmt.Sprintf("%s_out = %s", d.name, d.name))
		args = append(args, "--param", d.name+"="+d.value)
	}
	decl = append(decl, "@missing int, @missing_out int OUTPUT")
	script = append(script, "missing_out = missing")
	args = append(args, "--params", strings.Join(decl, ", "), "--script", strings.Join(script, "\n"))
	jr, _ := runJSON(t, args...)
	want := map[string]string{
		"b_out": `true`, "i8_out": `200`, "i16_out": `-32768`, "i32_out": `2147483647`,
		"i64_out": `9007199254740993`, "f32_out": `1.5`, "f64_out": `-2.000000000000001`,
		"dec_out": `-1234567890123456789012345678.0123456789`, "s_out": `"Grüße, 世界"`,
		"bin_out": `"0x00FF7F"`, "d_out": `"1900-01-01"`, "tm_out": `"23:59:59.999999"`,
		"dt_out": `"2024-02-29 13:45:00.123456"`, "dto_out": `"2024-02-29 13:45:00.5 +05:45"`,
		"u_out": `"6f9619ff-8b86-d011-b42d-00c04fc964ff"`, "missing_out": `null`,
	}
	for k, v := range want {
		if got := string(jr.OutputParams[k]); got != v {
			t.Errorf("@%s = %s, want %s", k, got, v)
		}
	}
	if len(jr.OutputParams) != len(want) {
		t.Errorf("got %d output params, want %d: %v", len(jr.OutputParams), len(want), jr.OutputParams)
	}
}

func TestPython_MessagesReachTheCaller(t *testing.T) {
	_, r := runJSON(t, "--language", "python", "--script",
		"import sys\nprint('hello from stdout')\nsys.stderr.write('careful: stderr\\n')")
	for _, want := range []string{"hello from stdout", "careful: stderr"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("caller's stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestPython_ScriptErrorReportsUserLine(t *testing.T) {
	r := execArgs(t, "--language", "Python", "--script",
		"x = 1\ndef f(n):\n    return n / 0\n\ny = f(x)\n")
	if r.code == 0 {
		t.Fatalf("exit 0 for a failing script; stderr:\n%s", r.stderr)
	}
	for _, want := range []string{"script error", "ZeroDivisionError", "division by zero", "line 3", "line 5", "failed"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("error output lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "launchpad_runtime.py") {
		t.Errorf("traceback shows runtime frames:\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, "job j-") {
		t.Errorf("error lacks the job id:\n%s", r.stderr)
	}
}

func TestPython_NoInputQueryGivesEmptyFrame(t *testing.T) {
	jr, _ := runJSON(t, "--language", "Python", "--script",
		"import pandas as pd\nOutputDataSet = pd.DataFrame({'n': [len(InputDataSet)], 'cols': [len(InputDataSet.columns)]})")
	if got := jr.cell(t, 0, "n") + "," + jr.cell(t, 0, "cols"); got != "0,0" {
		t.Errorf("InputDataSet rows,cols = %s, want 0,0", got)
	}
}

func TestPython_CustomDataSetNames(t *testing.T) {
	jr, _ := runJSON(t, "--language", "Python", "--input-query", "SELECT 41 AS v",
		"--input-name", "df_in", "--output-name", "df_out", "--script", "df_out = df_in + 1")
	if got := jr.cell(t, 0, "v"); got != "42" {
		t.Errorf("v = %s, want 42", got)
	}
}

func TestPython_CSVAndTableFormats(t *testing.T) {
	r := execArgs(t, "--language", "Python", "--format", "csv", "--input-query",
		"SELECT 1 AS id, 'a,b' AS s UNION ALL SELECT 2, NULL", "--script", "OutputDataSet = InputDataSet")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if want := "id,s\n1,\"a,b\"\n2,\n"; r.stdout != want {
		t.Errorf("csv = %q, want %q", r.stdout, want)
	}
	r = execArgs(t, "--language", "Python", "--input-query", "SELECT 1 AS id, NULL AS s",
		"--script", "OutputDataSet = InputDataSet")
	if r.code != 0 || !strings.Contains(r.stdout, "NULL") || !strings.Contains(r.stdout, "(1 rows)") {
		t.Errorf("table output (exit %d):\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestPython_UnknownLanguageFails(t *testing.T) {
	r := execArgs(t, "--language", "Cobol", "--script", "DISPLAY 'HI'")
	if r.code == 0 || !strings.Contains(r.stderr, "unknown language") || !strings.Contains(r.stderr, "Cobol") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestPython_BadRequestsFailClearly(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"BadParamDeclaration", []string{"--params", "n int", "--script", "pass"}, "must start with @"},
		{"BadParamValue", []string{"--params", "@n int", "--param", "n=abc", "--script", "pass"}, "not a 32-bit integer"},
		{"UndeclaredParam", []string{"--param", "n=1", "--script", "pass"}, "undeclared param @n"},
		{"BadQuery", []string{"--input-query", "SELEKT 1", "--script", "pass"}, "data source error"},
		{"BadOutputName", []string{"--output-name", "1x", "--script", "pass"}, "not a valid identifier"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := execArgs(t, append([]string{"--language", "Python"}, c.args...)...)
			if r.code == 0 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("exit %d, want failure mentioning %q; stderr:\n%s", r.code, c.want, r.stderr)
			}
		})
	}
}

func TestExec_HostUnreachable(t *testing.T) {
	r := execArgsAt(t, "unix:///nonexistent/launchpad.sock", "--language", "Python", "--script", "pass")
	if r.code != 3 || !strings.Contains(r.stderr, "host unreachable") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// A script that writes garbage on the data plane (its descriptor 3) must get
// a clear error, and the host must keep serving.
func TestPython_GarbageOnDataPlaneIsAClearError(t *testing.T) {
	scripts := map[string]string{
		"HugeLength": "import os\nos.write(3, b'\\xff\\xff\\xff\\x7f\\x04garbage')\nos._exit(0)",
		"BadFrame":   "import os\nos.write(3, b'\\x02\\x00\\x00\\x00\\x63zz')\nos._exit(0)",
		"Truncated":  "import os\nos.write(3, b'\\x10\\x00\\x00\\x00\\x04abc')\nos._exit(0)",
	}
	for name, s := range scripts {
		t.Run(name, func(t *testing.T) {
			r := execArgs(t, "--language", "Python", "--script", s)
			if r.code == 0 || !strings.Contains(r.stderr, "launcher fault") {
				t.Errorf("exit %d, want a launcher fault; stderr:\n%s", r.code, r.stderr)
			}
		})
	}
	jr, _ := runJSON(t, "--language", "Python", "--input-query", "SELECT 7 AS n", "--script", "OutputDataSet = InputDataSet")
	if got := jr.cell(t, 0, "n"); got != "7" {
		t.Errorf("host did not keep serving: n = %s", got)
	}
}

func TestPython_TenConcurrentJobs(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			jr, r := runJSONNoFatal(t, "--language", "Python", "--params", "@k int", "--param", fmt.Sprintf("k=%d", i),
				"--input-query", "SELECT id, units FROM sales",
				"--script", "import pandas as pd\nOutputDataSet = pd.DataFrame({'k': [k], 'n': [len(InputDataSet)]})")
			if r.code != 0 {
				errs <- fmt.Errorf("job %d: exit %d: %s", i, r.code, r.stderr)
				return
			}
			if len(jr.Rows) != 1 || string(jr.Rows[0][0]) != fmt.Sprint(i) || string(jr.Rows[0][1]) != "150" {
				errs <- fmt.Errorf("job %d: rows %v", i, jr.Rows)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A million rows stream through the host without the host's memory growing
// with them: about 140 MB cross the host each way, the host's peak RSS must
// stay far below that.
func TestPython_MillionRowsStreamWithBoundedHostMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves ~300 MB")
	}
	before := hostPeakRSS(t)
	r := execArgs(t, "--language", "Python", "--format", "csv", "--input-query", `
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000000)
SELECT i AS id, i * 0.5 AS x, printf('%0100d', i) AS pad FROM c`,
		"--script", "assert len(InputDataSet) == 1000000\nOutputDataSet = InputDataSet")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if n := strings.Count(r.stdout, "\n"); n != 1000001 {
		t.Fatalf("got %d csv lines, want 1000001", n)
	}
	if !strings.HasSuffix(r.stdout, "1000000,500000,"+strings.Repeat("0", 93)+"1000000\n") {
		t.Errorf("last row wrong: %q", tail(r.stdout, 200))
	}
	after := hostPeakRSS(t)
	t.Logf("host peak RSS: %d MiB before, %d MiB after", before>>20, after>>20)
	if after > 120<<20 {
		t.Errorf("host peak RSS %d MiB: memory grows with the input", after>>20)
	}
}

func TestPython_StatsComeBackWithTheStatus(t *testing.T) {
	jr, _ := runJSON(t, "--language", "Python", "--input-query", "SELECT id FROM sales",
		"--script", "x = sum(i * i for i in range(2_000_000))\nOutputDataSet = InputDataSet")
	if !strings.HasPrefix(jr.JobID, "j-") || jr.Stats.RowsIn != 150 || jr.Stats.RowsOut != 150 {
		t.Errorf("job id %q, stats %+v", jr.JobID, jr.Stats)
	}
	if isolation() == "full" && (jr.Stats.PeakMemoryBytes < 10<<20 || jr.Stats.CPUUserMs < 50) {
		t.Errorf("job object stats missing: %+v", jr.Stats)
	}
}
