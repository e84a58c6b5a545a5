package e2e

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// batch is the path of a T-SQL batch kept with the parser's tests; each
// follows the form of a documented sp_execute_external_script example
// (host/tsql/testdata/SOURCES.md names them).
func batch(name string) string {
	return filepath.Join(repoRoot(), "host", "tsql", "testdata", name)
}

// A Python call with WITH RESULT SETS: the script's OutputDataSet comes
// back under the declared column, and its print reaches the caller.
func TestTSQL_PythonOutputDataSetWithResultSets(t *testing.T) {
	jr, r := runJSON(t, "--tsql", batch("python_series_frame.sql"))
	if len(jr.Columns) != 1 || jr.Columns[0].Name != "ResultValue" || jr.Columns[0].Type != "float64" {
		t.Fatalf("columns = %+v, want ResultValue float64", jr.Columns)
	}
	if len(jr.Rows) != 2 || jr.cell(t, 0, "ResultValue") != "0.75" || jr.cell(t, 1, "ResultValue") != "12" {
		t.Errorf("rows = %v, want 0.75 and 12", jr.Rows)
	}
	if !strings.Contains(r.stderr, "dtype: float64") {
		t.Errorf("the script's print(s) did not reach stderr:\n%s", r.stderr)
	}
}

// A print-only Python call prints what the documentation's Messages window
// shows, and nothing else.
func TestTSQL_PythonPrintOnly(t *testing.T) {
	r := execArgs(t, "--tsql", batch("python_print.sql"))
	if r.code != 0 || !strings.Contains(r.stderr, "0.75 12") {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if strings.TrimSpace(r.stdout) != "" {
		t.Errorf("stdout = %q, want no result", r.stdout)
	}
}

// DECLAREd variables go in as the OUTPUT params' values, the script
// changes them, and the final SELECT prints them under its aliases: after
// the rows in table format, as output_params in JSON.
func TestTSQL_ParamsOutputAndSelect(t *testing.T) {
	jr, r := runJSON(t, "--tsql", batch("python_params_output.sql"))
	want := map[string]string{"Counter": "42", "Label": `"it's ok!"`}
	if len(jr.OutputParams) != len(want) {
		t.Errorf("output_params = %v, want exactly %v", jr.OutputParams, want)
	}
	for k, v := range want {
		if got := string(jr.OutputParams[k]); got != v {
			t.Errorf("output_params[%s] = %s, want %s", k, got, v)
		}
	}
	if !strings.Contains(r.stderr, "counter is 42") {
		t.Errorf("stderr lacks the script's print:\n%s", r.stderr)
	}
	tr := execArgs(t, "--tsql", batch("python_params_output.sql"))
	if tr.code != 0 || !strings.Contains(tr.stdout, "@Counter = 42\n@Label = it's ok!\n") {
		t.Errorf("table format: exit %d, stdout:\n%s\nstderr:\n%s", tr.code, tr.stdout, tr.stderr)
	}
}

// An R call making a data frame from no input (a blank @input_data_1).
func TestTSQL_RDataFrame(t *testing.T) {
	jr, _ := runJSON(t, "--tsql", batch("r_data_frame.sql"))
	var got []string
	for i := range jr.Rows {
		got = append(got, jr.cell(t, i, "Greeting"))
	}
	if strings.Join(got, " ") != `"good" "morning" "moon"` {
		t.Errorf("Greeting = %v, want good, morning, moon", got)
	}
}

// An R call with an input query on a table, an OUTPUT variable, WITH
// RESULT SETS NONE and SELECT @v AS alias; the table is made through the
// instance first, as the documentation makes it in T-SQL.
func TestTSQL_ROutputFromATable(t *testing.T) {
	r := execArgs(t, "--language", "Python", "--into-table", "RTestData", "--create-table",
		"--script", "import pandas as pd\nOutputDataSet = pd.DataFrame({'col1': [1, 10, 100]})")
	if r.code != 0 {
		t.Fatalf("create RTestData: exit %d: %s", r.code, r.stderr)
	}
	jr, _ := runJSON(t, "--tsql", batch("r_min_output.sql"))
	if len(jr.Columns) != 0 || len(jr.Rows) != 0 {
		t.Errorf("WITH RESULT SETS NONE, yet columns %v rows %v", jr.Columns, jr.Rows)
	}
	if got := string(jr.OutputParams["maxValue"]); got != "100" || len(jr.OutputParams) != 1 {
		t.Errorf("output_params = %v, want exactly maxValue = 100", jr.OutputParams)
	}
}

// A result set under WITH RESULT SETS NONE is an error, as in SQL Server.
func TestTSQL_ResultSetsNoneRefusesRows(t *testing.T) {
	r := execStdin(t, "EXEC sp_execute_external_script N'Python', N'import pandas as pd\nOutputDataSet = pd.DataFrame({\"a\": [1]})'\nWITH RESULT SETS NONE")
	if r.code != 1 || !strings.Contains(r.stderr, "WITH RESULT SETS NONE") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// --tsql - reads the batch from stdin; positional arguments work.
func TestTSQL_Stdin(t *testing.T) {
	b, err := os.ReadFile(batch("python_positional.sql"))
	if err != nil {
		t.Fatal(err)
	}
	r := execStdin(t, string(b))
	if r.code != 0 || !strings.Contains(r.stderr, "positional") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// Statements other than the call are refused before anything runs, naming
// the statement and its line; so are features the host lacks.
func TestTSQL_RefusesOtherStatementsAndMissingFeatures(t *testing.T) {
	tests := map[string]struct{ file, want string }{
		"create table": {"refused_create_table.sql", "refused_create_table.sql: line 3, column 1: CREATE TABLE is not supported: --tsql runs one sp_execute_external_script call"},
		"procedure":    {"refused_create_procedure.sql", "line 3, column 1: CREATE PROCEDURE is not supported"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := execArgs(t, "--tsql", batch(tc.file))
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
	r := execArgs(t, "--tsql", batch("python_print.sql"), "--language", "R")
	if r.code != 2 || !strings.Contains(r.stderr, "--language cannot be given too") {
		t.Errorf("--tsql with --language: exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// execStdin runs `launchpad exec --tsql -` with src on stdin.
func execStdin(t *testing.T, src string) result {
	t.Helper()
	cmd := exec.Command(theHost.bin, "exec", "--address", "unix://"+theHost.sock, "--tsql", "-")
	cmd.Stdin = strings.NewReader(src)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return r
}

// The README's --tsql example runs and prints what it says.
func TestTSQL_ReadmeExample(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "cat > total.sql <<'SQL'\n")
	src, _, ok2 := strings.Cut(rest, "\nSQL\n")
	if !ok || !ok2 {
		t.Fatal("README.md has no total.sql example")
	}
	r := execStdin(t, src)
	sum, _ := runJSON(t, "--language", "Python", "--input-query", "SELECT SUM(units) AS s FROM sales",
		"--script", "OutputDataSet = InputDataSet")
	want := "@total = " + sum.cell(t, 0, "s") + "\n"
	if r.code != 0 || r.stdout != want || !strings.Contains(r.stderr, "it's summed") {
		t.Errorf("exit %d, stdout %q (want %q), stderr:\n%s", r.code, r.stdout, want, r.stderr)
	}
}
