package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
