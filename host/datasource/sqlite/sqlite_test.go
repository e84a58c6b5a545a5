package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/dstest"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

const sqliteSetup = `
CREATE TABLE types(b BOOLEAN, i8 TINYINT, i INTEGER, big BIGINT, r REAL, f FLOAT, d DECIMAL(10,2),
	s TEXT, vc VARCHAR(20), bl BLOB, dt DATE, tm TIME, ts DATETIME, tso DATETIMEOFFSET, u UUID);
INSERT INTO types VALUES (1, -5, 42, 9007199254740993, 1.5, -2.25, '12345678.91', 'héllo ✓', 'x', x'00ff10',
	'2024-02-29', '13:45:30.123456', '2024-02-29 13:45:30.123456', '2024-02-29 13:45:30.5+05:30',
	'0f8fad5b-d9cb-469f-a165-70867728950e');
INSERT INTO types VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
CREATE TABLE empty(id INTEGER, name TEXT);
`

// openInstance opens a fresh, empty instance database in a temp folder,
// closed when the test or benchmark ends.
func openInstance(tb testing.TB) datasource.Source {
	tb.Helper()
	src, err := Open(filepath.Join(tb.TempDir(), "instance.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = src.Close() })
	return src
}

// openSQLiteTest opens a fresh instance in a temp folder with the suite's tables.
func openSQLiteTest(t *testing.T) datasource.Source {
	t.Helper()
	src := openInstance(t)
	if _, err := src.(*sqliteSource).write.Exec(sqliteSetup); err != nil {
		t.Fatalf("setup: %v", err)
	}
	return src
}

func sqliteExec(t *testing.T, src datasource.Source, q string) {
	t.Helper()
	if _, err := src.(*sqliteSource).write.Exec(q); err != nil {
		t.Fatalf("exec %q: %v", q, err)
	}
}

// sqliteReadBackWant is dstest.WriteRowsAll as SQLite returns it: every integer
// column is INTEGER storage (int64) and float32 widens exactly to float64.
func sqliteReadBackWant(rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = append([]any(nil), r...)
		for c, v := range out[i] {
			switch x := v.(type) {
			case int8:
				out[i][c] = int64(x)
			case int16:
				out[i][c] = int64(x)
			case int32:
				out[i][c] = int64(x)
			case float32:
				out[i][c] = float64(x)
			}
		}
	}
	return out
}

func TestSQLite_SharedSuite(t *testing.T) {
	ist := time.FixedZone("+05:30", 5*3600+1800)
	fx := dstest.Fixture{
		Open:       openSQLiteTest,
		TypesQuery: `SELECT *, i * 2 AS expr FROM types ORDER BY rowid`,
		TypesWant: []bxl.Field{
			dstest.Nullable("b", bxl.TypeBool), dstest.Nullable("i8", bxl.TypeInt64), dstest.Nullable("i", bxl.TypeInt64),
			dstest.Nullable("big", bxl.TypeInt64), dstest.Nullable("r", bxl.TypeFloat64), dstest.Nullable("f", bxl.TypeFloat64),
			{Name: "d", Type: bxl.TypeDecimal, Nullable: true, Precision: 10, Scale: 2},
			dstest.Nullable("s", bxl.TypeString), dstest.Nullable("vc", bxl.TypeString), dstest.Nullable("bl", bxl.TypeBinary),
			dstest.Nullable("dt", bxl.TypeDate), dstest.Nullable("tm", bxl.TypeTime), dstest.Nullable("ts", bxl.TypeDateTime),
			dstest.Nullable("tso", bxl.TypeDateTimeOffset), dstest.Nullable("u", bxl.TypeUUID), dstest.Nullable("expr", bxl.TypeInt64),
		},
		TypesRow: []any{true, int64(-5), int64(42), int64(9007199254740993), 1.5, -2.25,
			dstest.MustDecimal(t, "12345678.91", 10, 2), "héllo ✓", "x", []byte{0, 0xff, 0x10},
			time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), 13*time.Hour + 45*time.Minute + 30*time.Second + 123456*time.Microsecond,
			time.Date(2024, 2, 29, 13, 45, 30, 123456000, time.UTC), time.Date(2024, 2, 29, 13, 45, 30, 500000000, ist),
			dstest.MustUUID(t, "0f8fad5b-d9cb-469f-a165-70867728950e"), int64(84)},
		EmptyQuery: `SELECT id, name FROM empty`,
		BadQuery:   `SELEC nonsense FROM nowhere`,
		SeriesQuery: func(n int) string {
			return fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < %d)
				SELECT i, i / 2.0 AS x, 'row-' || i AS s FROM s`, n)
		},
		ReadBack: func(t *testing.T, src datasource.Source, table string) [][]any {
			rows, err := src.Query(context.Background(), "SELECT * FROM "+table+" ORDER BY rowid", nil, 0)
			if err != nil {
				t.Fatalf("read back: %v", err)
			}
			defer dstest.CloseRows(t, rows)
			return dstest.Drain(t, rows)
		},
		WriteTable:  func(*testing.T) string { return "main.scores" },
		WriteSchema: dstest.WriteSchemaAll,
	}
	fx.WriteRows = dstest.WriteRowsAll(t)
	// readBack compares against the written rows; SQLite widens small ints and float32.
	rb := fx.ReadBack
	fx.ReadBack = func(t *testing.T, src datasource.Source, table string) [][]any {
		got := rb(t, src, table)
		want := sqliteReadBackWant(fx.WriteRows)
		for i := range got {
			if i < len(want) {
				dstest.AssertRow(t, fmt.Sprintf("read-back row %d", i+1), got[i], want[i])
				copy(got[i], fx.WriteRows[i]) // already asserted in SQLite's own types
			}
		}
		return got
	}
	dstest.Run(t, fx)
}

func TestSQLite_DeclaredTypeMapping(t *testing.T) {
	tests := []struct {
		decl  string
		typ   bxl.Type
		known bool
		p, s  uint8
	}{
		{"INTEGER", bxl.TypeInt64, true, 0, 0},
		{"int", bxl.TypeInt64, true, 0, 0},
		{"BIGINT", bxl.TypeInt64, true, 0, 0},
		{"UNSIGNED BIG INT", bxl.TypeInt64, true, 0, 0},
		{"REAL", bxl.TypeFloat64, true, 0, 0},
		{"DOUBLE PRECISION", bxl.TypeFloat64, true, 0, 0},
		{"FLOAT", bxl.TypeFloat64, true, 0, 0},
		{"TEXT", bxl.TypeString, true, 0, 0},
		{"VARCHAR(255)", bxl.TypeString, true, 0, 0},
		{"NCHAR(3)", bxl.TypeString, true, 0, 0},
		{"CLOB", bxl.TypeString, true, 0, 0},
		{"BLOB", bxl.TypeBinary, true, 0, 0},
		{"VARBINARY(16)", bxl.TypeBinary, true, 0, 0},
		{"BOOLEAN", bxl.TypeBool, true, 0, 0},
		{"DATE", bxl.TypeDate, true, 0, 0},
		{"DATETIME", bxl.TypeDateTime, true, 0, 0},
		{"TIMESTAMP", bxl.TypeDateTime, true, 0, 0},
		{"TIME", bxl.TypeTime, true, 0, 0},
		{"DECIMAL(10,2)", bxl.TypeDecimal, true, 10, 2},
		{"numeric(38, 0)", bxl.TypeDecimal, true, 38, 0},
		{"NUMERIC(7)", bxl.TypeDecimal, true, 7, 0},
		{"DECIMAL TEXT(38,4)", bxl.TypeDecimal, true, 38, 4},
		{"UUID", bxl.TypeUUID, true, 0, 0},
		{"", 0, false, 0, 0},
		{"NUMERIC", 0, false, 0, 0},
		{"WHATEVER", 0, false, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.decl, func(t *testing.T) {
			c, err := sqliteColumn("c", tt.decl)
			if err != nil {
				t.Fatal(err)
			}
			if c.Known != tt.known || (tt.known && (c.Field.Type != tt.typ || c.Field.Precision != tt.p || c.Field.Scale != tt.s)) {
				t.Fatalf("sqliteColumn(%q) = %+v known=%v, want %v(%d,%d) known=%v", tt.decl, c.Field, c.Known, tt.typ, tt.p, tt.s, tt.known)
			}
		})
	}
	for _, decl := range []string{"DECIMAL(39,2)", "DECIMAL(5,6)", "DECIMAL(x)"} {
		if _, err := sqliteColumn("c", decl); !errors.Is(err, datasource.ErrUnsupportedType) {
			t.Errorf("sqliteColumn(%q) err = %v, want datasource.ErrUnsupportedType", decl, err)
		}
	}
}

func TestSQLite_ValueThatDoesNotFitNamesColumnAndRow(t *testing.T) {
	tests := []struct {
		name  string
		setup string
		query string
		want  string
	}{
		{"TextInIntegerColumn", `CREATE TABLE t(n INTEGER); INSERT INTO t VALUES (1), (2), ('abc');`,
			`SELECT n FROM t ORDER BY rowid`, `column "n" row 3`},
		{"FractionInInferredIntColumn", ``,
			`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < 5)
			 SELECT CASE WHEN i < 4 THEN i ELSE i + 0.5 END AS v FROM s`, `column "v" row 4`},
		{"TooManyDecimalPlaces", `CREATE TABLE t(d DECIMAL(5,2)); INSERT INTO t VALUES ('1.25'), ('1.255');`,
			`SELECT d FROM t ORDER BY rowid`, `column "d" row 2`},
		{"TimeOfDayInDateColumn", `CREATE TABLE t(d DATE); INSERT INTO t VALUES ('2024-01-01'), ('2024-01-01 10:00:00');`,
			`SELECT d FROM t ORDER BY rowid`, `column "d" row 2`},
		{"IntegerOverTwoToFiftyThreeInFloatColumn", `CREATE TABLE t(x); INSERT INTO t VALUES (1.5), (9007199254740993);`,
			`SELECT x FROM t ORDER BY rowid`, `column "x" row 2`},
		{"NotABoolean", `CREATE TABLE t(b BOOLEAN); INSERT INTO t VALUES (1), (2);`,
			`SELECT b FROM t ORDER BY rowid`, `column "b" row 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := openSQLiteTest(t)
			if tt.setup != "" {
				sqliteExec(t, src, tt.setup)
			}
			rows, err := src.Query(context.Background(), tt.query, nil, 0)
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			defer func() { _ = rows.Close() }()
			_, err = rows.Next()
			if !errors.Is(err, datasource.ErrValueMismatch) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Next err = %v, want datasource.ErrValueMismatch naming %s", err, tt.want)
			}
			if _, again := rows.Next(); again == nil {
				t.Fatal("Next after an error succeeded, want the same error")
			}
		})
	}
}

func TestSQLite_LosslessConversionsAreAccepted(t *testing.T) {
	src := openSQLiteTest(t)
	sqliteExec(t, src, `CREATE TABLE t(n INTEGER, f REAL, d DECIMAL TEXT(20,2), x);
		INSERT INTO t VALUES (3.0, 2, 7, 1), (-4.0, 9007199254740992, '123456789012345678.99', 2.0);`)
	rows, err := src.Query(context.Background(), `SELECT n, f, d, x FROM t ORDER BY rowid`, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dstest.CloseRows(t, rows)
	got := dstest.Drain(t, rows)
	want := [][]any{
		{int64(3), 2.0, dstest.MustDecimal(t, "7", 20, 2), int64(1)},
		{int64(-4), 9007199254740992.0, dstest.MustDecimal(t, "123456789012345678.99", 20, 2), int64(2)},
	}
	for i := range want {
		dstest.AssertRow(t, fmt.Sprintf("row %d", i+1), got[i], want[i])
	}
}

func TestSQLite_AllNullExpressionColumnIsNullableString(t *testing.T) {
	src := openSQLiteTest(t)
	rows, err := src.Query(context.Background(), `SELECT NULL AS empty_col, 1 AS one`, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dstest.CloseRows(t, rows)
	dstest.AssertFields(t, rows.Schema().Fields, []bxl.Field{dstest.Nullable("empty_col", bxl.TypeString), dstest.Nullable("one", bxl.TypeInt64)})
	got := dstest.Drain(t, rows)
	if len(got) != 1 || got[0][0] != nil || got[0][1] != int64(1) {
		t.Fatalf("rows = %v", got)
	}
}

func TestSQLite_CreateExistingTableFails(t *testing.T) {
	src := openSQLiteTest(t)
	if _, err := src.BeginWrite(context.Background(), "types", true, dstest.WriteSchemaAll); err == nil {
		t.Fatal("creating an existing table succeeded")
	}
	// The failed BeginWrite must not hold the write lock.
	w, err := src.BeginWrite(context.Background(), "fresh", true, dstest.WriteSchemaAll)
	if err != nil {
		t.Fatalf("begin write after failure: %v", err)
	}
	if err := w.Rollback(); err != nil {
		t.Fatal(err)
	}
}

// TestSQLite_StreamsMillionRowsInBoundedMemory reads 1M generated rows and
// checks the Go heap stays near one batch, far below the ~40 MB the rows
// take if buffered.
func TestSQLite_StreamsMillionRowsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("1M rows: skipped with -short")
	}
	src := openSQLiteTest(t)
	const n = 1_000_000
	rows, err := src.Query(context.Background(), seriesSQL(n), nil, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer dstest.CloseRows(t, rows)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	total := 0
	for {
		b, err := rows.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatal(err)
		}
		total += b.Rows
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > peak {
			peak = ms.HeapAlloc
		}
	}
	if total != n {
		t.Fatalf("streamed %d rows, want %d", total, n)
	}
	growth := int64(peak) - int64(base)
	t.Logf("heap base %d MiB, peak %d MiB over %d rows", base>>20, peak>>20, n)
	if growth > 24<<20 {
		t.Fatalf("heap grew by %d MiB while streaming, want bounded (< 24 MiB)", growth>>20)
	}
}

func seriesSQL(n int) string {
	return fmt.Sprintf(`WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM s WHERE i < %d)
		SELECT i, i / 2.0 AS x, 'row-' || i AS s FROM s`, n)
}

func BenchmarkSQLiteQuery(b *testing.B) {
	src := openInstance(b)
	const n = 1_000_000
	q := seriesSQL(n)
	var bytes int64
	b.ResetTimer()
	for range b.N {
		rows, err := src.Query(context.Background(), q, nil, 0)
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		// The usual batch-draining loop (also in host/job's chunk tests): a few lines, clearer inline than behind a helper.
		for {
			batch, err := rows.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			got += batch.Rows
			bytes += int64(batch.Bytes())
		}
		_ = rows.Close()
		if got != n {
			b.Fatalf("got %d rows", got)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
}

func TestSQLite_CanceledQueryStopsWithContextError(t *testing.T) {
	src := openSQLiteTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rows, err := src.Query(ctx, seriesSQL(1_000_000), nil, 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	if _, err := rows.Next(); err != nil {
		t.Fatalf("first batch: %v", err)
	}
	cancel()
	for i := 0; ; i++ {
		_, err := rows.Next()
		if err == nil {
			if i > 1000 {
				t.Fatal("query kept streaming after its context was canceled")
			}
			continue
		}
		if errors.Is(err, io.EOF) {
			t.Fatal("canceled query ended with io.EOF, want an error (a truncated input must not look complete)")
		}
		if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "interrupt") {
			t.Fatalf("err = %v, want context canceled", err)
		}
		return
	}
}

// TestSQLite_WriteWhileInputQueryIsOpen is a job's shape: the input query is
// still open while the output is written into the same instance.
func TestSQLite_WriteWhileInputQueryIsOpen(t *testing.T) {
	src := openSQLiteTest(t)
	ctx := context.Background()
	rows, err := src.Query(ctx, seriesSQL(100_000), nil, 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer dstest.CloseRows(t, rows)
	first, err := rows.Next()
	if err != nil {
		t.Fatal(err)
	}
	w, err := src.BeginWrite(ctx, "main.out", true, rows.Schema())
	if err != nil {
		t.Fatalf("begin write while reading: %v", err)
	}
	if err := w.Write(first); err != nil {
		t.Fatal(err)
	}
	n, err := w.Commit()
	if err != nil || n != int64(first.Rows) {
		t.Fatalf("commit = %d, %v; want %d", n, err, first.Rows)
	}
	rest := dstest.Drain(t, rows)
	if len(rest) != 100_000-first.Rows {
		t.Fatalf("read %d more rows after the write, want %d", len(rest), 100_000-first.Rows)
	}
}

// BenchmarkSQLiteRawScan is the floor under BenchmarkSQLiteQuery: the same
// query through database/sql with no BXL conversion.
func BenchmarkSQLiteRawScan(b *testing.B) {
	src := openInstance(b)
	const n = 1_000_000
	db := src.(*sqliteSource).write
	b.ResetTimer()
	for range b.N {
		rows, err := db.Query(seriesSQL(n))
		if err != nil {
			b.Fatal(err)
		}
		var i int64
		var x float64
		var s string
		got := 0
		for rows.Next() {
			if err := rows.Scan(&i, &x, &s); err != nil {
				b.Fatal(err)
			}
			got++
		}
		if err := rows.Err(); err != nil || got != n {
			b.Fatalf("got %d rows, %v", got, err)
		}
		_ = rows.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
