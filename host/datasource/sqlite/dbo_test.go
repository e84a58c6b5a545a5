package sqlite

import (
	"context"
	"errors"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/dstest"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// TestSQLite_DBONamesTheInstance: SQL Server's default schema names the
// instance's tables, in input queries (any spelling, mixed with unqualified
// names) and in write-backs; another schema is still refused.
func TestSQLite_DBONamesTheInstance(t *testing.T) {
	src := openSQLiteTest(t)
	sqliteExec(t, src, `CREATE TABLE scores(id INTEGER, v REAL); INSERT INTO scores VALUES (1, 0.5), (2, 1.5)`)
	for _, q := range []string{
		`SELECT id, v FROM dbo.scores ORDER BY id`,
		`SELECT id, v FROM [dbo].[scores] ORDER BY id`,
		`SELECT s.id, s.v FROM DBO.scores AS s ORDER BY s.id`,
		`SELECT a.id, b.v FROM scores a JOIN dbo.scores b ON a.id = b.id ORDER BY a.id`,
	} {
		got := dstest.Drain(t, dstest.MustQuery(t, src, q))
		if len(got) != 2 || got[1][0] != int64(2) || got[1][1] != 1.5 {
			t.Errorf("%s = %v, want the two rows of scores", q, got)
		}
	}
	schema := &bxl.Schema{Fields: []bxl.Field{dstest.Nullable("id", bxl.TypeInt64)}}
	for _, table := range []string{"dbo.out1", "[dbo].[out2]"} {
		w, err := src.BeginWrite(context.Background(), table, true, schema)
		if err != nil {
			t.Fatalf("BeginWrite(%s): %v", table, err)
		}
		if err := w.Write(dstest.BuildBatch(t, schema, [][]any{{int64(7)}})); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{`SELECT id FROM out1`, `SELECT id FROM dbo.out1`, `SELECT id FROM main.out2`} {
		if got := dstest.Drain(t, dstest.MustQuery(t, src, q)); len(got) != 1 || got[0][0] != int64(7) {
			t.Errorf("%s = %v, want [[7]]", q, got)
		}
	}
	if _, err := src.BeginWrite(context.Background(), "sales.out3", true, schema); !errors.Is(err, datasource.ErrBadTableName) {
		t.Errorf("BeginWrite(sales.out3) = %v, want ErrBadTableName", err)
	}
}

// TestSQLite_DBOIsReadOnlyAndGuarded: the attached dbo is as guarded as
// main on every read connection: no write, no second attach.
func TestSQLite_DBOIsReadOnlyAndGuarded(t *testing.T) {
	src := openSQLiteTest(t).(*sqliteSource)
	ctx := context.Background()
	c, err := src.read.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	for _, q := range []string{`CREATE TABLE dbo.x(a)`, `INSERT INTO dbo.types(i) VALUES (1)`, `DELETE FROM dbo.types`,
		`DETACH DATABASE dbo`, `ATTACH ':memory:' AS m`} {
		if _, err := c.ExecContext(ctx, q); err == nil || !refused(err) {
			t.Errorf("%s on a read connection: %v, want refused", q, err)
		}
	}
	var n int
	if err := src.write.QueryRow(`SELECT count(*) FROM types`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("types has %d rows (%v), want 2 untouched", n, err)
	}
}
