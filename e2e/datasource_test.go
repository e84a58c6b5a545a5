package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/internal/tdsfake"
)

// startFake starts the TDS protocol fake (a stand-in for SQL Server, which
// cannot run here) with a table of SQL Server types.
func startFake(t *testing.T) *tdsfake.Server {
	t.Helper()
	s := &tdsfake.Server{User: "analyst", Password: "s3cret-Pa55"}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	err := s.AddTable("dbo.Readings", []tdsfake.Column{
		{Name: "id", Type: "int", Nullable: true},
		{Name: "amount", Type: "decimal(10,2)", Nullable: true},
		{Name: "big", Type: "bigint", Nullable: true},
		{Name: "taken_at", Type: "datetime2", Nullable: true},
		{Name: "sensor", Type: "uniqueidentifier", Nullable: true},
		{Name: "note", Type: "nvarchar(50)", Nullable: true},
	}, [][]any{
		{int64(1), "12345678.91", int64(9007199254740993), time.Date(2024, 2, 29, 13, 45, 0, 123456000, time.UTC),
			"6f9619ff-8b86-d011-b42d-00c04fc964ff", "größer ✓"},
		{int64(2), nil, nil, nil, nil, nil},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSQLServer_RemoteDataSourceThroughTheHost(t *testing.T) {
	fake := startFake(t)
	jr, _ := runJSON(t, "--language", "Python", "--data-source", fake.DSN("analyst", "s3cret-Pa55"),
		"--input-query", "SELECT * FROM dbo.Readings", "--script", "OutputDataSet = InputDataSet")
	types := map[string]string{"id": "int32", "amount": "decimal(10,2)", "big": "int64",
		"taken_at": "datetime", "sensor": "uuid", "note": "string"}
	for col, want := range types {
		if got := jr.colType(t, col); got != want {
			t.Errorf("%s type = %s, want %s", col, got, want)
		}
	}
	want := map[string]string{"id": "1", "amount": "12345678.91", "big": "9007199254740993",
		"taken_at": `"2024-02-29 13:45:00.123456"`, "sensor": `"6f9619ff-8b86-d011-b42d-00c04fc964ff"`, "note": `"größer ✓"`}
	for col, w := range want {
		if got := jr.cell(t, 0, col); got != w {
			t.Errorf("%s = %s, want %s", col, got, w)
		}
		if got := jr.cell(t, 1, col); col != "id" && got != "null" {
			t.Errorf("row 2 %s = %s, want null", col, got)
		}
	}
}

func TestSQLServer_WriteBackWithBulkCopy(t *testing.T) {
	fake := startFake(t)
	r := execArgs(t, "--language", "Python", "--data-source", fake.DSN("analyst", "s3cret-Pa55"),
		"--input-query", "SELECT * FROM dbo.Readings", "--into-table", "dbo.Scores", "--create-table",
		"--script", "OutputDataSet = InputDataSet[['id', 'big']].assign(score=[0.5, 1.5])")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "2 rows written") {
		t.Errorf("stderr lacks the written row count:\n%s", r.stderr)
	}
	rows, ok := fake.TableRows("dbo.Scores")
	if !ok || len(rows) != 2 {
		t.Fatalf("dbo.Scores rows = %v (exists %v), want 2", rows, ok)
	}
	if got := fmt.Sprint(rows[0]); !strings.Contains(got, "9007199254740993") || !strings.Contains(got, "0.5") {
		t.Errorf("first row %s lost its bigint or score", got)
	}
	if r.stdout != "" {
		t.Errorf("rows were also printed: %q", r.stdout)
	}
}

// Credentials never reach the caller or the host's log, even when the
// connection fails.
func TestSQLServer_CredentialsNeverLeak(t *testing.T) {
	fake := startFake(t)
	const password = "Wr0ng-Passw0rd-Zq9"
	r := execArgs(t, "--language", "Python", "--data-source", fake.DSN("analyst", password),
		"--input-query", "SELECT * FROM dbo.Readings", "--script", "OutputDataSet = InputDataSet")
	if r.code == 0 {
		t.Fatal("a wrong password succeeded")
	}
	if !strings.Contains(r.stderr, "data source error") {
		t.Errorf("want a data source error, got:\n%s", r.stderr)
	}
	for _, where := range []struct{ name, text string }{{"caller", r.stderr}, {"host log", theHost.logBuf.String()}} {
		if strings.Contains(where.text, password) {
			t.Errorf("the password appears in the %s:\n%s", where.name, where.text)
		}
	}
}

func TestSQLServer_CallerMayNotNameASQLiteFile(t *testing.T) {
	r := execArgs(t, "--language", "Python", "--data-source", theHost.state+"/instance.db",
		"--input-query", "SELECT 1", "--script", "pass")
	if r.code == 0 || !strings.Contains(r.stderr, "data source error") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

func TestWriteBack_SQLiteInstanceAllOrNothing(t *testing.T) {
	table := fmt.Sprintf("scores_%d", time.Now().UnixNano())
	r := execArgs(t, "--language", "Python", "--input-query", "SELECT id, units FROM sales",
		"--into-table", table, "--create-table", "--script",
		"OutputDataSet = InputDataSet.assign(score=InputDataSet['id'] * 0.5)")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	jr, _ := runJSON(t, "--language", "Python", "--input-query", "SELECT COUNT(*) AS n, SUM(score) AS s FROM "+table,
		"--script", "OutputDataSet = InputDataSet")
	if n, s := jr.cell(t, 0, "n"), jr.cell(t, 0, "s"); n != "150" || s != "5662.5" {
		t.Errorf("table has n=%s sum=%s, want 150 and 5662.5", n, s)
	}

	// 400k rows cross in several batches; the last one cannot be an int, so
	// the job fails after rows were already written: none may stay.
	r = execArgs(t, "--language", "Python", "--into-table", table, "--result-schema", "id int, units int, score float",
		"--script", `
import pandas as pd
n = 400000
OutputDataSet = pd.DataFrame({"id": range(n), "units": [1] * (n - 1) + [2**40], "score": [0.0] * n})`)
	if r.code == 0 || !strings.Contains(r.stderr, `column "units"`) {
		t.Fatalf("exit %d, want a failure naming column units; stderr:\n%s", r.code, r.stderr)
	}
	jr, _ = runJSON(t, "--language", "Python", "--input-query", "SELECT COUNT(*) AS n FROM "+table,
		"--script", "OutputDataSet = InputDataSet")
	if n := jr.cell(t, 0, "n"); n != "150" {
		t.Errorf("after a failed write the table has %s rows, want the 150 from before", n)
	}
}

func TestResultSchema_ConvertsAndNamesMismatches(t *testing.T) {
	jr, _ := runJSON(t, "--language", "Python", "--input-query", "SELECT id, unit_price FROM sales WHERE id <= 2 ORDER BY id",
		"--result-schema", "order_id int, price decimal(10,1)", "--script", "OutputDataSet = InputDataSet")
	if got := jr.colType(t, "order_id") + " " + jr.colType(t, "price"); got != "int32 decimal(10,1)" {
		t.Errorf("types = %s", got)
	}
	if got := jr.cell(t, 0, "price"); got != "7.5" {
		t.Errorf("price = %s, want 7.5", got)
	}
	r := execArgs(t, "--language", "Python", "--result-schema", "a int, b int",
		"--script", "import pandas as pd\nOutputDataSet = pd.DataFrame({'a': [1]})")
	if r.code == 0 || !strings.Contains(r.stderr, "declares 2 columns, the output data set has 1") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r = execArgs(t, "--language", "Python", "--result-schema", "a int",
		"--script", "import pandas as pd\nOutputDataSet = pd.DataFrame({'blob': [b'x']})")
	if r.code == 0 || !strings.Contains(r.stderr, `"blob" is binary`) {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
