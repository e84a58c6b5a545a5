package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/dstest"
	"github.com/openlaunchpad/launchpad/sdk/bxl"

	_ "modernc.org/sqlite"
)

// TestSQLite_InputQueryCannotTouchHostFiles runs the caller's attacks of
// issue 11 finding 11 as input queries: each must fail, create no file and
// change nothing, and the connection must stay guarded afterwards.
func TestSQLite_InputQueryCannotTouchHostFiles(t *testing.T) {
	dir := t.TempDir()
	src := openSQLiteTest(t)
	secret := filepath.Join(dir, "secret.db")
	sdb, err := sql.Open(datasource.DriverSQLite, secret)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.Exec(`CREATE TABLE keys(k TEXT); INSERT INTO keys VALUES ('root-only')`); err != nil {
		t.Fatal(err)
	}
	_ = sdb.Close()
	sqliteExec(t, src, `CREATE INDEX types_i8 ON types(i8)`)
	created := filepath.Join(dir, "created.db")
	copyPath := filepath.Join(dir, "copy.db")
	attacks := map[string]string{
		"attach and read":        fmt.Sprintf(`ATTACH '%s' AS s; SELECT k FROM s.keys`, secret),
		"attach alone":           fmt.Sprintf(`ATTACH '%s' AS s`, secret),
		"attach then create":     fmt.Sprintf(`ATTACH '%s' AS c; CREATE TABLE c.t(x); SELECT 1`, created),
		"attach by expression":   fmt.Sprintf(`ATTACH '%s' || '' AS c`, created),
		"vacuum into":            fmt.Sprintf(`VACUUM INTO '%s'`, copyPath),
		"select then vacuum":     fmt.Sprintf(`SELECT 1; VACUUM INTO '%s'`, copyPath),
		"pragma query_only off":  `PRAGMA query_only=0`,
		"pragma hard heap limit": `PRAGMA hard_heap_limit=1`,
		"pragma journal mode":    `PRAGMA journal_mode=DELETE`,
		"pragma writable schema": `PRAGMA writable_schema=1`,
		"pragma read":            `PRAGMA table_info(types)`,
		"create table":           `CREATE TABLE evil(x)`,
		"create temp table":      `CREATE TEMP TABLE evil(x)`,
		"insert":                 `INSERT INTO empty VALUES (1, 'x')`,
		"cte insert":             `WITH v(a) AS (SELECT 1) INSERT INTO empty SELECT a, 'x' FROM v`,
		"update":                 `UPDATE types SET i8 = 0`,
		"delete":                 `DELETE FROM types`,
		"drop":                   `DROP TABLE types`,
		"begin":                  `BEGIN`,
		"load extension":         `SELECT load_extension('/lib/x86_64-linux-gnu/libc.so.6')`,
		"load extension upper":   `SELECT LOAD_EXTENSION('/lib/x86_64-linux-gnu/libc.so.6')`,
		"reindex":                `REINDEX`,
		"analyze":                `ANALYZE`,
	}
	for name, q := range attacks {
		t.Run(name, func(t *testing.T) {
			err := dstest.DrainErr(src, q)
			if err == nil {
				t.Fatalf("input query %q succeeded", q)
			}
			if !refused(err) {
				t.Errorf("error = %v, want a refusal by the authorizer, the limits or query_only", err)
			}
			for _, p := range []string{created, copyPath} {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s exists after %q (stat: %v)", p, q, err)
				}
			}
		})
	}
	var n int
	if err := src.(*sqliteSource).write.QueryRow(`SELECT count(*) FROM types`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("types has %d rows (%v), want 2 untouched", n, err)
	}
	if got := dstest.Drain(t, dstest.MustQuery(t, src, `SELECT count(*) AS n FROM types`)); len(got) != 1 || got[0][0] != int64(2) {
		t.Fatalf("a plain read after the attacks = %v", got)
	}
}

// refused tells whether err is one of the guards' refusals rather than an
// incidental failure.
func refused(err error) bool {
	for _, s := range []string{"not authorized", "authorization denied", "readonly database",
		"too many attached", "statements in progress"} {
		if strings.Contains(err.Error(), s) {
			return true
		}
	}
	return false
}

// TestSQLite_ReadPoolConnectionsAreGuarded checks each connection the read
// pool opens, not just the first: limits read back through the driver.
func TestSQLite_ReadPoolConnectionsAreGuarded(t *testing.T) {
	src := openSQLiteTest(t).(*sqliteSource)
	ctx := context.Background()
	var conns []*sql.Conn
	for i := 0; i < 3; i++ {
		c, err := src.read.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for i, c := range conns {
		if _, err := c.ExecContext(ctx, `ATTACH ':memory:' AS m`); err == nil {
			t.Errorf("connection %d attached a database", i)
		}
		_ = c.Close()
	}
}

// TestSQLite_ValueLimitNamesColumn: a stored value beyond the limit fails
// the query naming the column and row; SQLite itself refuses values it
// would have to build (zeroblob, printf) beyond the limit.
func TestSQLite_ValueLimitNamesColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "instance.db")
	src, err := Open(path, datasource.WithValueLimit(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	w := src.(*sqliteSource).write
	if _, err := w.Exec(`CREATE TABLE big(id INTEGER, note TEXT, blob BLOB);
		INSERT INTO big VALUES (1, 'small', x'00'), (2, 'small', zeroblob(2097152)),
		(3, printf('%.*c', 700000, 'a'), zeroblob(700000))`); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct{ q, want string }{
		"stored blob":      {`SELECT id, blob FROM big WHERE id <= 2`, `row 2`},
		"stored text":      {`SELECT CAST(blob AS TEXT) AS t FROM big WHERE id = 2`, `value limit of 1 MiB`},
		"row over limit":   {`SELECT id, note, blob FROM big WHERE id = 3`, `column "blob" row 1: the row's values`},
		"built zeroblob":   {`SELECT zeroblob(10000000) AS z`, `value limit of 1 MiB`},
		"built randomblob": {`SELECT randomblob(10000000) AS z`, `value limit of 1 MiB`},
		"built text":       {`SELECT printf('%.*c', 10000000, 'x') AS z`, `value limit of 1 MiB`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := dstest.DrainErr(src, c.q)
			if !errors.Is(err, datasource.ErrValueTooLarge) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want datasource.ErrValueTooLarge mentioning %q", err, c.want)
			}
		})
	}
	if err := dstest.DrainErr(src, `SELECT id, note FROM big`); err != nil {
		t.Fatalf("values within the limit: %v", err)
	}
}

// TestSQLite_ConcurrentWriteBacksDoNotLockEachOther is finding 13: a
// write-back whose script is still running (writer begun, rows arriving,
// no commit yet) must not hold SQLite's write lock, so a second write-back
// begins, writes and commits meanwhile, and the first still commits after.
func TestSQLite_ConcurrentWriteBacksDoNotLockEachOther(t *testing.T) {
	src := openSQLiteTest(t)
	ctx := context.Background()
	schema := &bxl.Schema{Fields: []bxl.Field{dstest.Nullable("id", bxl.TypeInt64), dstest.Nullable("note", bxl.TypeString)}}
	rows := [][]any{{int64(1), "a"}, {int64(2), nil}}
	slow, err := src.BeginWrite(ctx, "slow_out", true, schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := slow.Write(dstest.BuildBatch(t, schema, rows)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	fast, err := src.BeginWrite(ctx, "fast_out", true, schema)
	if err != nil {
		t.Fatalf("second write-back while the first is open: %v", err)
	}
	if err := fast.Write(dstest.BuildBatch(t, schema, rows)); err != nil {
		t.Fatal(err)
	}
	if n, err := fast.Commit(); err != nil || n != 2 {
		t.Fatalf("second commit = %d, %v", n, err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("second write-back took %v: it waited for the first one's lock", d)
	}
	sqliteExec(t, src, `INSERT INTO empty VALUES (7, 'direct write meanwhile')`)
	if n, err := slow.Commit(); err != nil || n != 2 {
		t.Fatalf("first commit = %d, %v", n, err)
	}
	for _, table := range []string{"slow_out", "fast_out"} {
		got := dstest.Drain(t, dstest.MustQuery(t, src, "SELECT id, note FROM "+table+" ORDER BY id"))
		if len(got) != 2 || got[0][0] != int64(1) || got[0][1] != "a" || got[1][1] != nil {
			t.Fatalf("%s = %v", table, got)
		}
	}
}

// TestSQLite_StagedWriteEdges: a rolled-back create leaves no table, a
// target named like the staging table is the main one, temp is refused, a
// failed publish (constraint) writes nothing.
func TestSQLite_StagedWriteEdges(t *testing.T) {
	src := openSQLiteTest(t)
	ctx := context.Background()
	schema := &bxl.Schema{Fields: []bxl.Field{dstest.Nullable("id", bxl.TypeInt64)}}
	w, err := src.BeginWrite(ctx, "gone", true, schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(dstest.BuildBatch(t, schema, [][]any{{int64(1)}})); err != nil {
		t.Fatal(err)
	}
	if err := w.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := dstest.DrainErr(src, "SELECT * FROM gone"); err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("rolled-back table: %v", err)
	}
	for _, name := range []string{"temp.x", "other.x"} {
		if _, err := src.BeginWrite(ctx, name, true, schema); !errors.Is(err, datasource.ErrBadTableName) {
			t.Errorf("BeginWrite(%q) = %v, want datasource.ErrBadTableName", name, err)
		}
	}
	w, err = src.BeginWrite(ctx, "launchpad_stage", true, schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(dstest.BuildBatch(t, schema, [][]any{{int64(5)}})); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Commit(); err != nil || n != 1 {
		t.Fatalf("commit = %d, %v", n, err)
	}
	if got := dstest.Drain(t, dstest.MustQuery(t, src, "SELECT id FROM main.launchpad_stage")); len(got) != 1 || got[0][0] != int64(5) {
		t.Fatalf("main.launchpad_stage = %v", got)
	}
	sqliteExec(t, src, `CREATE TABLE strict_out (id INTEGER NOT NULL)`)
	w, err = src.BeginWrite(ctx, "strict_out", false, schema)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(dstest.BuildBatch(t, schema, [][]any{{int64(1)}, {nil}})); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err == nil || !strings.Contains(err.Error(), "NOT NULL") {
		t.Fatalf("commit with a NULL into NOT NULL: %v", err)
	}
	if got := dstest.Drain(t, dstest.MustQuery(t, src, "SELECT id FROM strict_out")); len(got) != 0 {
		t.Fatalf("strict_out = %v, want no rows", got)
	}
	if _, err := src.BeginWrite(ctx, "empty", false, &bxl.Schema{Fields: []bxl.Field{dstest.Nullable("nope", bxl.TypeInt64)}}); err == nil {
		t.Fatal("begin write into a missing column succeeded")
	}
}

// TestSQLite_ValueLimitAboveSQLiteMaximum: a configured limit above
// SQLite's own maximum (1e9 bytes) still opens guarded connections.
func TestSQLite_ValueLimitAboveSQLiteMaximum(t *testing.T) {
	src, err := Open(filepath.Join(t.TempDir(), "instance.db"), datasource.WithValueLimit(1<<30))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := dstest.DrainErr(src, "SELECT 1 AS x"); err != nil {
		t.Fatal(err)
	}
	if err := dstest.DrainErr(src, "ATTACH ':memory:' AS m"); err == nil {
		t.Fatal("attach succeeded")
	}
}
