package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ids returns column id of a JSON result, in order.
func ids(t *testing.T, jr jsonResult) []string {
	t.Helper()
	out := make([]string, len(jr.Rows))
	for i := range jr.Rows {
		out[i] = jr.cell(t, i, "id")
	}
	return out
}

// Issue 9 item 5: declared params are bound in the input query, as SQL
// Server binds them in @input_data_1, whatever case the query and the
// values name them in; an OUTPUT param binds its input value.
func TestCompatParams_BoundInInputQuery(t *testing.T) {
	want, _ := runJSON(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet",
		"--input-query", "SELECT id FROM sales WHERE region = 'North' AND units >= 40 AND sold_on >= '2024-03-01' ORDER BY id")
	if len(want.Rows) == 0 {
		t.Fatal("the literal query found no rows: the sample changed?")
	}
	jr, _ := runJSON(t, "--language", "Python",
		"--params", "@Region nvarchar(20), @MinUnits int, @since date, @n int OUTPUT",
		"--param", "region=North", "--param", "MINUNITS=40", "--param", "Since=2024-03-01", "--param", "N=7",
		"--input-query", "SELECT id, @n AS n_in FROM sales WHERE region = @REGION AND units >= @minunits AND sold_on >= @since ORDER BY id",
		"--script", "OutputDataSet = InputDataSet\nn = len(InputDataSet)")
	if got, w := strings.Join(ids(t, jr), ","), strings.Join(ids(t, want), ","); got != w {
		t.Fatalf("ids with params = %s, want %s (the literal query's)", got, w)
	}
	if got := jr.cell(t, 0, "n_in"); got != "7" {
		t.Errorf("@n in the input query = %s, want its input value 7", got)
	}
	if got := string(jr.OutputParams["n"]); got != strconv.Itoa(len(want.Rows)) {
		t.Errorf("OUTPUT @n = %s, want %d", got, len(want.Rows))
	}
}

// An @variable the params do not declare is an error naming it, as SQL
// Server's "Must declare the scalar variable"; a value for a param that is
// not declared, or two values for one, are refused too.
func TestCompatParams_UndeclaredIsAnError(t *testing.T) {
	r := execArgs(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet",
		"--params", "@a int", "--param", "a=1", "--input-query", "SELECT @a + @Other AS x")
	mustFail(t, r, `must declare the scalar variable "@Other"`)
	r = execArgs(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet",
		"--input-query", "SELECT @a AS x")
	mustFail(t, r, `must declare the scalar variable "@a"`)
	r = execArgs(t, "--language", "Python", "--script", "pass", "--params", "@a int", "--param", "a=1", "--param", "A=2")
	mustFail(t, r, "param @a is given two values")
}

// The same through --tsql: the documented form with @input_data_1 naming a
// declared param, bound by a name spelled in another case.
func TestCompatParams_TSQLInputQueryParam(t *testing.T) {
	path := filepath.Join(t.TempDir(), "call.sql")
	batch := `EXEC sp_execute_external_script @language = N'Python',
  @script = N'OutputDataSet = InputDataSet',
  @input_data_1 = N'SELECT id FROM sales WHERE region = @Region AND units >= @minUnits ORDER BY id',
  @params = N'@region nvarchar(20), @MinUnits int',
  @REGION = N'North', @minunits = 40;`
	if err := os.WriteFile(path, []byte(batch), 0o644); err != nil {
		t.Fatal(err)
	}
	jr, _ := runJSON(t, "--tsql", path)
	want, _ := runJSON(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet",
		"--input-query", "SELECT id FROM sales WHERE region = 'North' AND units >= 40 ORDER BY id")
	if got, w := strings.Join(ids(t, jr), ","), strings.Join(ids(t, want), ","); got != w || len(want.Rows) == 0 {
		t.Fatalf("ids = %s, want %s", got, w)
	}
}

// Issue 9 item 8: on the SQLite instance dbo.T names T, in the input query
// and in --into-table, so SQL Server's default-schema names run unchanged.
func TestCompatParams_DBOSchemaOnSQLite(t *testing.T) {
	jr, _ := runJSON(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet",
		"--input-query", "SELECT d.id FROM [dbo].[sales] AS d JOIN sales s ON s.id = d.id WHERE d.id <= 3 ORDER BY 1")
	if got := strings.Join(ids(t, jr), ","); got != "1,2,3" {
		t.Fatalf("ids = %s, want 1,2,3", got)
	}
	table := "dbo.compat_dbo_" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "_"))
	r := execArgs(t, "--language", "Python", "--script", "import pandas as pd\nOutputDataSet = pd.DataFrame({'id': [5, 6]})",
		"--into-table", table, "--create-table")
	if r.code != 0 {
		t.Fatalf("write into %s: exit %d\n%s", table, r.code, r.stderr)
	}
	bare := strings.TrimPrefix(table, "dbo.")
	for _, q := range []string{"SELECT id FROM " + bare + " ORDER BY id", "SELECT id FROM " + table + " ORDER BY id"} {
		jr, _ := runJSON(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet", "--input-query", q)
		if got := strings.Join(ids(t, jr), ","); got != "5,6" {
			t.Errorf("%s: ids = %s, want 5,6", q, got)
		}
	}
}

// makeTable creates a fresh table through a write-back of the given
// columns (one row of values) and returns its name.
func makeTable(t *testing.T, frame string) string {
	t.Helper()
	table := fmt.Sprintf("ie_%d", time.Now().UnixNano())
	r := execArgs(t, "--language", "Python", "--into-table", table, "--create-table",
		"--script", "import pandas as pd\nOutputDataSet = pd.DataFrame("+frame+")")
	if r.code != 0 {
		t.Fatalf("create %s: exit %d: %s", table, r.code, r.stderr)
	}
	return table
}

// readTable returns a table's rows as JSON cells, in rowid order.
func readTable(t *testing.T, table, cols string) [][]string {
	t.Helper()
	jr, _ := runJSON(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet",
		"--input-query", "SELECT "+cols+" FROM "+table+" ORDER BY rowid")
	out := make([][]string, len(jr.Rows))
	for i, row := range jr.Rows {
		for _, c := range row {
			out[i] = append(out[i], string(c))
		}
	}
	return out
}

// Issue 9 item 6: INSERT INTO T EXEC maps the output to T's columns by
// position, whatever the output calls them, with T-SQL's implicit
// conversions; a column list maps to the listed columns, the others get
// NULL; a count mismatch or a value that cannot convert is an error naming
// it, and nothing is written.
func TestCompatParams_InsertExecByPosition(t *testing.T) {
	table := makeTable(t, `{"id": [1], "label": ["one"], "score": [0.5]}`)
	// Other names, other order of types: float → int truncates, int → text,
	// numeric text → float, as T-SQL converts implicitly.
	r := execArgs(t, "--language", "Python", "--into-table", table, "--script",
		`import pandas as pd
OutputDataSet = pd.DataFrame({"x": [2.9, -3.7], "y": [22, 33], "z": ["1.25", " 2 "]})`)
	if r.code != 0 {
		t.Fatalf("insert by position: exit %d: %s", r.code, r.stderr)
	}
	want := `[["1","\"one\"","0.5"],["2","\"22\"","1.25"],["-3","\"33\"","2"]]`
	if got := jsonish(readTable(t, table, "id, label, score")); got != want {
		t.Errorf("rows = %s, want %s", got, want)
	}
	// A column list: the output's two columns go into score and id; label is NULL.
	r = execArgs(t, "--language", "Python", "--into-table", table+" (score, [id])", "--script",
		`import pandas as pd
OutputDataSet = pd.DataFrame({"a": [9.5], "b": [9]})`)
	if r.code != 0 {
		t.Fatalf("insert with a column list: exit %d: %s", r.code, r.stderr)
	}
	if got := jsonish(readTable(t, table, "id, label, score")[3:]); got != `[["9","null","9.5"]]` {
		t.Errorf("listed insert = %s, want [[9 null 9.5]]", got)
	}
	before := len(readTable(t, table, "id"))
	mustFail(t, execArgs(t, "--language", "Python", "--into-table", table, "--script",
		"import pandas as pd\nOutputDataSet = pd.DataFrame({'a': [1], 'b': ['x']})"),
		"the output data set has 2 columns, table "+table+" has 3")
	mustFail(t, execArgs(t, "--language", "Python", "--into-table", table, "--script",
		"import pandas as pd\nOutputDataSet = pd.DataFrame({'a': [1, 2, 3], 'b': ['x', 'y', 'z'], 'c': ['1', 'abc', '2']})"),
		`column "score" row 2`)
	mustFail(t, execArgs(t, "--language", "Python", "--into-table", table+" (nope)", "--script",
		"import pandas as pd\nOutputDataSet = pd.DataFrame({'a': [1]})"), `has no column "nope"`)
	if after := len(readTable(t, table, "id")); after != before {
		t.Errorf("failed inserts left rows: %d before, %d after", before, after)
	}
}

// The same through --tsql: INSERT INTO T (cols) EXEC, as the tutorials write it.
func TestCompatParams_TSQLInsertExecColumnList(t *testing.T) {
	table := makeTable(t, `{"region": ["x"], "note": ["n"], "total": [0]}`)
	r := execStdin(t, `INSERT INTO dbo.`+table+` (region, total)
EXEC sp_execute_external_script @language = N'Python'
  , @script = N'OutputDataSet = InputDataSet.groupby("region", as_index=False)["units"].sum()'
  , @input_data_1 = N'SELECT region, units FROM sales WHERE region IS NOT NULL';`)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	got := readTable(t, table, "region, note, total")
	if len(got) != 5 || got[1][1] != "null" || got[1][2] == "null" {
		t.Fatalf("rows = %s, want the seed row and 4 regions with note NULL", jsonish(got))
	}
}

func jsonish(rows [][]string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("[")
		for j, c := range r {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString(strconv.Quote(c))
		}
		b.WriteString("]")
	}
	b.WriteString("]")
	return b.String()
}
