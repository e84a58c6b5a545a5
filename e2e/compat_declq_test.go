package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tsqlBatch writes a --tsql batch file and returns its path.
// Like config_test's temp-file helpers in shape only: e2e cannot import another package's test code.
func tsqlBatch(t *testing.T, batch string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "call.sql")
	if err := os.WriteFile(path, []byte(batch), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Issue 9 item 9: DECLARE @v varbinary(max) = (SELECT model FROM … WHERE
// name = @name), the tutorials' way to load a stored model, hands the
// script the stored bytes exactly: a model of 5 MiB, written by one job
// and scored by the next.
func TestCompatDeclq_VarbinaryModelRoundTrip(t *testing.T) {
	const gen = "import random\nblob = random.Random(9).randbytes(5 << 20)\n"
	table := makeTable(t, `{"model_name": ["other", "mine"], "model": [b"x", __import__("random").Random(9).randbytes(5 << 20)]}`)
	batch := `DECLARE @name varchar(20) = 'mine';
DECLARE @model varbinary(max) = (
    SELECT model FROM ` + table + ` -- a comment with a ) in it
    WHERE model_name = @name);
DECLARE @same bit, @size bigint;
EXEC sp_execute_external_script @language = N'Python'
  , @script = N'` + strings.ReplaceAll(gen, "'", "''") + `same = model == blob
size = len(model)'
  , @params = N'@model varbinary(max), @same bit OUTPUT, @size bigint OUTPUT'
  , @model = @model, @same = @same OUTPUT, @size = @size OUTPUT;
SELECT @same AS same, @size AS size;`
	jr, _ := runJSON(t, "--tsql", tsqlBatch(t, batch))
	if got := string(jr.OutputParams["size"]); got != "5242880" {
		t.Errorf("the script got %s bytes, want 5242880", got)
	}
	if got := string(jr.OutputParams["same"]); got != "true" && got != "1" {
		t.Errorf("the bytes the script got differ from those stored (same = %s)", got)
	}
}

// A query without rows gives NULL; a param whose value is a query's is
// bound in the input query with that value, as SQL Server would.
func TestCompatDeclq_NoRowIsNullAndTheValueIsBound(t *testing.T) {
	batch := `DECLARE @region nvarchar(20) = N'North';
DECLARE @none int = (SELECT id FROM sales WHERE id < 0);
DECLARE @top int;
SET @top = (SELECT max(id) FROM sales WHERE region = @region);
EXEC sp_execute_external_script @language = N'Python'
  , @script = N'import pandas as pd
OutputDataSet = pd.DataFrame({"none_is_null": [none is None], "top": [top], "rows": [len(InputDataSet)]})'
  , @input_data_1 = N'SELECT id FROM sales WHERE id = @top'
  , @params = N'@none int, @top int'
  , @none = @none, @top = @top
WITH RESULT SETS ((none_is_null bit, top int, rows int));`
	jr, _ := runJSON(t, "--tsql", tsqlBatch(t, batch))
	want, _ := runJSON(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet",
		"--input-query", "SELECT max(id) AS id FROM sales WHERE region = 'North'")
	if got := jr.cell(t, 0, "none_is_null"); got != "true" && got != "1" {
		t.Errorf("@none from a query without rows reached the script as %s, want NULL (None)", got)
	}
	if got, w := jr.cell(t, 0, "top"), want.cell(t, 0, "id"); got != w {
		t.Errorf("@top = %s, want %s", got, w)
	}
	if got := jr.cell(t, 0, "rows"); got != "1" {
		t.Errorf("the input query bound to @top found %s rows, want 1", got)
	}
}

// More than one row is SQL Server's "Subquery returned more than 1 value";
// more than one column, a value that does not convert and a query the
// read path's guard refuses are errors too; the script never runs.
func TestCompatDeclq_BadQueriesFailTheJob(t *testing.T) {
	call := "\nEXEC sp_execute_external_script N'Python', N'print(\"the script ran\")', @params = N'@v int', @v = @v"
	for name, tc := range map[string]struct{ decl, want string }{
		"two rows":    {"DECLARE @v int = (SELECT id FROM sales WHERE id <= 2)", "the query returned more than 1 value"},
		"two columns": {"DECLARE @v int = (SELECT id, region FROM sales WHERE id = 1)", "the query returns 2 columns"},
		"no convert":  {"DECLARE @v int = (SELECT region FROM sales WHERE id = 1)", "its value does not convert to the param's type int"},
		"guarded":     {"DECLARE @v int = (SELECT load_extension('/nonexistent'))", "not authorized to use function: load_extension"},
	} {
		t.Run(name, func(t *testing.T) {
			r := execArgs(t, "--tsql", tsqlBatch(t, tc.decl+call))
			mustFail(t, r, "param @v = (SELECT", tc.want)
			if strings.Contains(r.stdout+r.stderr, "the script ran") {
				t.Error("the script ran after its param's query failed")
			}
		})
	}
}

// Partitions, in one sandbox or in parallel, all get the param's value
// from its query (the parallel path runs its own input query).
func TestCompatDeclq_PartitionsGetTheValue(t *testing.T) {
	want, _ := runJSON(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet",
		"--input-query", "SELECT max(id) AS id FROM sales")
	top := want.cell(t, 0, "id")
	for _, parallel := range []string{"0", "1"} {
		batch := `DECLARE @top int = (SELECT max(id) FROM sales);
EXEC sp_execute_external_script @language = N'Python'
  , @script = N'OutputDataSet = pandas.DataFrame({"top": [top], "rows": [len(InputDataSet)]})'
  , @input_data_1 = N'SELECT region, id FROM sales'
  , @input_data_1_partition_by_columns = N'region', @parallel = ` + parallel + `
  , @params = N'@top int', @top = @top
WITH RESULT SETS ((top int, rows int));`
		jr, _ := runJSON(t, "--tsql", tsqlBatch(t, batch))
		if len(jr.Rows) < 2 {
			t.Fatalf("@parallel = %s: %d partitions, want one per region", parallel, len(jr.Rows))
		}
		for i := range jr.Rows {
			if got := jr.cell(t, i, "top"); got != top {
				t.Errorf("@parallel = %s: partition %d got @top = %s, want %s", parallel, i+1, got, top)
			}
		}
	}
}
