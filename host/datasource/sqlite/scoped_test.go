package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/dstest"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// openGranted is a test instance with tables sales (granted), secret (not)
// and scores (writable), and views over them, seen through a grant.
func openGranted(t *testing.T) (datasource.Source, datasource.Source) {
	t.Helper()
	src := openInstance(t)
	sqliteExec(t, src, `CREATE TABLE sales(id INTEGER PRIMARY KEY, amount REAL);
		INSERT INTO sales VALUES (1, 10.5), (2, 20);
		CREATE TABLE secret(k TEXT, sk INTEGER PRIMARY KEY); INSERT INTO secret VALUES ('root-only', 1);
		CREATE TABLE scores(id INTEGER, score REAL);
		CREATE VIEW sales_view AS SELECT id FROM sales;
		CREATE VIEW secret_view AS SELECT k FROM secret;
		CREATE VIEW leak AS SELECT k FROM secret`)
	scoped, err := src.(datasource.Scoper).Scoped(datasource.Rights{
		ReadTables: []string{"sales", "[dbo].[leak]", "Sales_View"}, WriteTables: []string{"dbo.scores"}})
	if err != nil {
		t.Fatal(err)
	}
	return src, scoped
}

func TestSQLite_GrantStopsReadsOutsideIt(t *testing.T) {
	_, scoped := openGranted(t)
	denied := map[string]string{
		"table":             `SELECT k FROM secret`,
		"dbo table":         `SELECT k FROM dbo.secret`,
		"count star":        `SELECT count(*) FROM secret`,
		"exists":            `SELECT EXISTS (SELECT 1 FROM secret)`,
		"join":              `SELECT s.id, x.k FROM sales s, secret x`,
		"subquery":          `SELECT id FROM sales WHERE id IN (SELECT length(k) FROM secret)`,
		"cte":               `WITH sales AS (SELECT k FROM secret) SELECT * FROM sales`,
		"view not granted":  `SELECT k FROM secret_view`,
		"granted view":      `SELECT k FROM leak`,
		"cte named granted": `WITH leak AS (SELECT k FROM secret) SELECT * FROM leak`,
		"catalogue":         `SELECT sql FROM sqlite_master`,
		"schema catalogue":  `SELECT name FROM sqlite_schema`,
		"dbo catalogue":     `SELECT name FROM dbo.sqlite_master`,
		"temp catalogue":    `SELECT name FROM sqlite_temp_master`,
		"pragma function":   `SELECT name FROM pragma_table_info('secret')`,
		"rowid only":        `SELECT rowid FROM secret`,
		"primary key only":  `SELECT sk FROM secret`,
		"union":             `SELECT id FROM sales UNION ALL SELECT k FROM secret`,
		"recursive cte":     `WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r, secret WHERE n < 3) SELECT n FROM r`,
		"scalar subquery":   `SELECT (SELECT k FROM secret LIMIT 1)`,
		"quoted":            `SELECT k FROM "secret"`,
		"bracketed main":    `SELECT k FROM main.[secret]`,
		"case":              `SELECT k FROM SECRET`,
		"table valued json": `SELECT value FROM json_each((SELECT k FROM secret))`,
	}
	for name, q := range denied {
		t.Run(name, func(t *testing.T) {
			err := dstest.DrainErr(scoped, q)
			if err == nil {
				t.Fatalf("%q read outside the grant", q)
			}
			if !errors.Is(err, datasource.ErrPermissionDenied) {
				t.Fatalf("error = %v, want permission denied", err)
			}
		})
	}
	err := dstest.DrainErr(scoped, `SELECT k FROM secret`)
	if !strings.Contains(err.Error(), `"secret"`) {
		t.Errorf("error %q does not name the table", err)
	}
}

func TestSQLite_GrantAllowsReadsInsideIt(t *testing.T) {
	_, scoped := openGranted(t)
	for _, q := range []string{
		`SELECT id, amount FROM sales ORDER BY id`,
		`SELECT id, amount FROM dbo.sales ORDER BY id`,
		`SELECT id, amount FROM [main].[SALES] ORDER BY id`,
		`WITH s AS (SELECT id, amount FROM sales) SELECT id, amount FROM s ORDER BY id`,
		`SELECT id, 1 AS amount FROM sales_view`, // a granted view of granted tables
		`SELECT 1 AS id, 2 AS amount`,
		`SELECT count(*) AS n FROM sales`, // the rowid alone: SQLite names no database
		`SELECT id FROM sales`,
	} {
		rows := dstest.MustQuery(t, scoped, q)
		got := dstest.Drain(t, rows)
		if len(got) == 0 {
			t.Errorf("%q returned no rows", q)
		}
	}
}

// TestSQLite_GrantLeavesPoolUnrestricted: a connection that ran a granted
// query goes back to the pool without the grant, and a host query (the
// unscoped source) on it still reads everything.
func TestSQLite_GrantLeavesPoolUnrestricted(t *testing.T) {
	src, scoped := openGranted(t)
	src.(*sqliteSource).read.SetMaxOpenConns(1)
	for i := 0; i < 3; i++ {
		if err := dstest.DrainErr(scoped, `SELECT k FROM secret`); !errors.Is(err, datasource.ErrPermissionDenied) {
			t.Fatalf("scoped read: %v", err)
		}
		dstest.CloseRows(t, dstest.MustQuery(t, scoped, `SELECT id FROM sales`))
		if err := dstest.DrainErr(src, `SELECT k FROM secret`); err != nil {
			t.Fatalf("host read after a scoped one: %v", err)
		}
	}
	grants.Lock()
	n := len(grants.m)
	grants.Unlock()
	if n != 0 {
		t.Errorf("%d grants left registered", n)
	}
}

func TestSQLite_GrantRefusesWriteOutsideIt(t *testing.T) {
	src, scoped := openGranted(t)
	ctx := context.Background()
	schema := &bxl.Schema{Fields: []bxl.Field{dstest.Nullable("k", bxl.TypeString)}}
	for _, table := range []string{"secret", "dbo.secret", "sales", "new_table", "temp.scores"} {
		for _, create := range []bool{false, true} {
			w, err := scoped.BeginWrite(ctx, table, create, schema)
			if err == nil {
				_ = w.Rollback()
				t.Fatalf("write into %s (create %v) allowed", table, create)
			}
			if !errors.Is(err, datasource.ErrPermissionDenied) || !strings.Contains(err.Error(), table) {
				t.Errorf("write into %s: %v, want permission denied naming it", table, err)
			}
		}
		if _, err := scoped.TableColumns(ctx, table); !errors.Is(err, datasource.ErrPermissionDenied) {
			t.Errorf("columns of %s: %v, want permission denied", table, err)
		}
	}
	rows := dstest.Drain(t, dstest.MustQuery(t, src, `SELECT k FROM secret`))
	if len(rows) != 1 || rows[0][0] != "root-only" {
		t.Errorf("secret changed: %v", rows)
	}
	ws := &bxl.Schema{Fields: []bxl.Field{dstest.Nullable("id", bxl.TypeInt64), dstest.Nullable("score", bxl.TypeFloat64)}}
	w, err := scoped.BeginWrite(ctx, "[dbo].[Scores]", false, ws)
	if err != nil {
		t.Fatalf("write into the granted table: %v", err)
	}
	if err := w.Write(dstest.BuildBatch(t, ws, [][]any{{int64(1), 0.5}})); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Commit(); err != nil || n != 1 {
		t.Fatalf("commit = %d, %v", n, err)
	}
}

// TestSQLite_ScopedIgnoresLogin: a grant's sql_login is for SQL Server;
// on SQLite its tables still decide.
func TestSQLite_ScopedIgnoresLogin(t *testing.T) {
	src, _ := openGranted(t)
	sc, err := src.(datasource.Scoper).Scoped(datasource.Rights{ReadTables: []string{"sales"}, Login: `D\alice`})
	if err != nil {
		t.Fatal(err)
	}
	if err := dstest.DrainErr(sc, `SELECT k FROM secret`); !errors.Is(err, datasource.ErrPermissionDenied) {
		t.Fatalf("read outside the grant with a login: %v", err)
	}
}
