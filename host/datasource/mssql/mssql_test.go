package mssql

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/dstest"
	"github.com/openlaunchpad/launchpad/host/datasource/internal/sqlio"
	"github.com/openlaunchpad/launchpad/internal/tdsfake"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// The same suite runs against the TDS fake (always) and a real SQL Server
// (only when LAUNCHPAD_TEST_SQLSERVER_DSN is set). Queries are plain T-SQL
// that needs no tables, so a real server answers them as the fake does.

const (
	fakeUser     = "launchpad"
	fakePassword = "S3cr3t-Pa55word!"
)

const mssqlTypesQuery = `SELECT CAST(1 AS bit) AS c_bit, CAST(255 AS tinyint) AS c_tinyint, CAST(-32768 AS smallint) AS c_smallint,
 CAST(2147483647 AS int) AS c_int, CAST(9007199254740993 AS bigint) AS c_bigint, CAST(1.5 AS real) AS c_real,
 CAST(0.1 AS float) AS c_float, CAST('-1234567890123456789012345678.0123456789' AS decimal(38,10)) AS c_decimal,
 CAST(123.45 AS numeric(5,2)) AS c_numeric, CAST('-922337203685477.5808' AS money) AS c_money,
 CAST(214748.3647 AS smallmoney) AS c_smallmoney, CAST('abc' AS char(3)) AS c_char, CAST('plain ascii' AS varchar(20)) AS c_varchar,
 CAST(N'✓é' AS nchar(2)) AS c_nchar, CAST(N'héllo 世界 ✓' AS nvarchar(max)) AS c_nvarchar,
 CAST('2024-02-29' AS date) AS c_date, CAST('13:45:30.123456' AS time(6)) AS c_time,
 CAST('2024-02-29T13:45:30.997' AS datetime) AS c_datetime, CAST('2024-02-29T13:46:00' AS smalldatetime) AS c_smalldatetime,
 CAST('2024-02-29T13:45:30.123456' AS datetime2(6)) AS c_datetime2,
 CAST('2024-02-29T13:45:30.500+05:30' AS datetimeoffset(3)) AS c_datetimeoffset,
 CAST('0f8fad5b-d9cb-469f-a165-70867728950e' AS uniqueidentifier) AS c_guid, CAST(0x00FF10 AS binary(3)) AS c_binary,
 CAST(REPLICATE(CAST(0xAB AS varbinary(max)), 1000) AS varbinary(max)) AS c_varbinary, CAST('<a>1</a>' AS xml) AS c_xml
UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`

var mssqlTypesColumns = []tdsfake.Column{
	// One column per SQL Server type, spelled out: the table is the test's expectation.
	{Name: "c_bit", Type: "bit", Nullable: true}, {Name: "c_tinyint", Type: "tinyint", Nullable: true},
	{Name: "c_smallint", Type: "smallint", Nullable: true}, {Name: "c_int", Type: "int", Nullable: true},
	{Name: "c_bigint", Type: "bigint", Nullable: true}, {Name: "c_real", Type: "real", Nullable: true},
	{Name: "c_float", Type: "float", Nullable: true}, {Name: "c_decimal", Type: "decimal(38,10)", Nullable: true},
	{Name: "c_numeric", Type: "numeric(5,2)", Nullable: true}, {Name: "c_money", Type: "money", Nullable: true},
	{Name: "c_smallmoney", Type: "smallmoney", Nullable: true}, {Name: "c_char", Type: "char(3)", Nullable: true},
	{Name: "c_varchar", Type: "varchar(20)", Nullable: true}, {Name: "c_nchar", Type: "nchar(2)", Nullable: true},
	{Name: "c_nvarchar", Type: "nvarchar(max)", Nullable: true}, {Name: "c_date", Type: "date", Nullable: true},
	{Name: "c_time", Type: "time(6)", Nullable: true}, {Name: "c_datetime", Type: "datetime", Nullable: true},
	{Name: "c_smalldatetime", Type: "smalldatetime", Nullable: true}, {Name: "c_datetime2", Type: "datetime2(6)", Nullable: true},
	{Name: "c_datetimeoffset", Type: "datetimeoffset(3)", Nullable: true}, {Name: "c_guid", Type: "uniqueidentifier", Nullable: true},
	{Name: "c_binary", Type: "binary(3)", Nullable: true}, {Name: "c_varbinary", Type: "varbinary(max)", Nullable: true},
	{Name: "c_xml", Type: "xml", Nullable: true},
}

var (
	ist         = time.FixedZone("+05:30", 5*3600+1800)
	fakeTypeRow = []any{true, int64(255), int64(-32768), int64(2147483647), int64(9007199254740993), 1.5, 0.1,
		"-1234567890123456789012345678.0123456789", "123.45", "-922337203685477.5808", "214748.3647", "abc", "plain ascii",
		"✓é", "héllo 世界 ✓", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), 13*time.Hour + 45*time.Minute + 30*time.Second + 123456*time.Microsecond,
		time.Date(2024, 2, 29, 13, 45, 30, 997000000, time.UTC), time.Date(2024, 2, 29, 13, 46, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 13, 45, 30, 123456000, time.UTC), time.Date(2024, 2, 29, 13, 45, 30, 500000000, ist),
		"0f8fad5b-d9cb-469f-a165-70867728950e", []byte{0, 0xff, 0x10}, bytes.Repeat([]byte{0xAB}, 1000), "<a>1</a>"}
)

const mssqlEmptyQuery = `SELECT CAST(1 AS bigint) AS id, CAST(N'' AS nvarchar(50)) AS name WHERE 1 = 0`

func mssqlSeriesQuery(n int) string {
	return fmt.Sprintf(`SELECT TOP (%d) CAST(ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS bigint) AS i,
 CAST(ROW_NUMBER() OVER (ORDER BY (SELECT NULL)) AS float) / 2 AS x,
 CONCAT(N'row-', ROW_NUMBER() OVER (ORDER BY (SELECT NULL))) AS s
FROM sys.all_columns a CROSS JOIN sys.all_columns b`, n)
}

// startFake runs a fake server with the suite's canned results.
func startFake(t *testing.T) *tdsfake.Server {
	t.Helper()
	srv := &tdsfake.Server{User: fakeUser, Password: fakePassword}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	srv.SetResult(mssqlTypesQuery, tdsfake.Result{Columns: mssqlTypesColumns,
		Rows: [][]any{fakeTypeRow, make([]any, len(mssqlTypesColumns))}})
	srv.SetResult(mssqlEmptyQuery, tdsfake.Result{Columns: []tdsfake.Column{
		{Name: "id", Type: "bigint", Nullable: true}, {Name: "name", Type: "nvarchar(50)", Nullable: true}}})
	return srv
}

func fakeSeries(srv *tdsfake.Server, n int) string {
	q := mssqlSeriesQuery(n)
	srv.SetResult(q, tdsfake.Result{
		Columns: []tdsfake.Column{{Name: "i", Type: "bigint", Nullable: true}, {Name: "x", Type: "float", Nullable: true},
			{Name: "s", Type: "nvarchar(4000)", Nullable: true}},
		N:   n,
		Gen: func(i int) []any { return []any{int64(i + 1), float64(i+1) / 2, fmt.Sprintf("row-%d", i+1)} },
	})
	return q
}

func openMSSQL(t *testing.T, dsn string) datasource.Source {
	t.Helper()
	src, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = src.Close() })
	return src
}

func mssqlTypesWant(t *testing.T) ([]bxl.Field, []any) {
	f := func(name string, typ bxl.Type) bxl.Field { return dstest.Nullable(name, typ) }
	dec := func(name string, p, s uint8) bxl.Field {
		return bxl.Field{Name: name, Type: bxl.TypeDecimal, Nullable: true, Precision: p, Scale: s}
	}
	fields := []bxl.Field{
		f("c_bit", bxl.TypeBool), f("c_tinyint", bxl.TypeInt16), f("c_smallint", bxl.TypeInt16), f("c_int", bxl.TypeInt32),
		f("c_bigint", bxl.TypeInt64), f("c_real", bxl.TypeFloat32), f("c_float", bxl.TypeFloat64), dec("c_decimal", 38, 10),
		dec("c_numeric", 5, 2), dec("c_money", 19, 4), dec("c_smallmoney", 10, 4), f("c_char", bxl.TypeString),
		f("c_varchar", bxl.TypeString), f("c_nchar", bxl.TypeString), f("c_nvarchar", bxl.TypeString), f("c_date", bxl.TypeDate),
		f("c_time", bxl.TypeTime), f("c_datetime", bxl.TypeDateTime), f("c_smalldatetime", bxl.TypeDateTime),
		f("c_datetime2", bxl.TypeDateTime), f("c_datetimeoffset", bxl.TypeDateTimeOffset), f("c_guid", bxl.TypeUUID),
		f("c_binary", bxl.TypeBinary), f("c_varbinary", bxl.TypeBinary), f("c_xml", bxl.TypeString),
	}
	row := []any{true, int16(255), int16(-32768), int32(2147483647), int64(9007199254740993), float32(1.5), 0.1,
		dstest.MustDecimal(t, "-1234567890123456789012345678.0123456789", 38, 10), dstest.MustDecimal(t, "123.45", 5, 2),
		dstest.MustDecimal(t, "-922337203685477.5808", 19, 4), dstest.MustDecimal(t, "214748.3647", 10, 4), "abc", "plain ascii",
		"✓é", "héllo 世界 ✓", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		13*time.Hour + 45*time.Minute + 30*time.Second + 123456*time.Microsecond,
		time.Date(2024, 2, 29, 13, 45, 30, 997000000, time.UTC), time.Date(2024, 2, 29, 13, 46, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 13, 45, 30, 123456000, time.UTC), time.Date(2024, 2, 29, 13, 45, 30, 500000000, ist),
		dstest.MustUUID(t, "0f8fad5b-d9cb-469f-a165-70867728950e"), []byte{0, 0xff, 0x10}, bytes.Repeat([]byte{0xAB}, 1000), "<a>1</a>",
	}
	return fields, row
}

// mssqlReadBackWant is dstest.WriteRowsAll as SQL Server returns it from the
// created table: int8 was stored as smallint.
func mssqlReadBackWant(rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = append([]any(nil), r...)
		for c, v := range out[i] {
			if x, ok := v.(int8); ok {
				out[i][c] = int16(x)
			}
		}
	}
	return out
}

func mssqlFixture(t *testing.T, open func(t *testing.T) datasource.Source, series func(n int) string) dstest.Fixture {
	fields, row := mssqlTypesWant(t)
	fx := dstest.Fixture{
		Open:        open,
		TypesQuery:  mssqlTypesQuery,
		TypesWant:   fields,
		TypesRow:    row,
		EmptyQuery:  mssqlEmptyQuery,
		BadQuery:    `SELEC nonsense FROM nowhere`,
		SeriesQuery: series,
		WriteTable: func(t *testing.T) string {
			b := make([]byte, 4)
			_, _ = rand.Read(b)
			return "dbo.launchpad_test_" + hex.EncodeToString(b)
		},
		WriteSchema: dstest.WriteSchemaAll,
		WriteRows:   dstest.WriteRowsAll(t),
	}
	fx.ReadBack = func(t *testing.T, src datasource.Source, table string) [][]any {
		rows, err := src.Query(context.Background(), "SELECT * FROM "+sqlio.QuoteParts(strings.Split(table, "."), sqlio.QuoteBracket)+" ORDER BY [id]", nil, 0)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		defer dstest.CloseRows(t, rows)
		got := dstest.Drain(t, rows)
		want := mssqlReadBackWant(fx.WriteRows)
		for i := range got {
			if i < len(want) {
				dstest.AssertRow(t, fmt.Sprintf("read-back row %d", i+1), got[i], want[i])
				copy(got[i], fx.WriteRows[i])
			}
		}
		return got
	}
	return fx
}

func TestSQLServerFake_SharedSuite(t *testing.T) {
	srv := startFake(t)
	dsn := srv.DSN(fakeUser, fakePassword)
	fx := mssqlFixture(t, func(t *testing.T) datasource.Source { return openMSSQL(t, dsn) }, func(n int) string { return fakeSeries(srv, n) })
	dstest.Run(t, fx)
	// The fake saw real bulk loads: the committed ones carry every row in wire form.
	var committed int
	for _, b := range srv.BulkInserts() {
		if b.Committed {
			committed++
			if len(b.Rows) != len(fx.WriteRows) || len(b.Columns) != len(dstest.WriteSchemaAll.Fields) {
				t.Errorf("bulk insert into %s: %d rows × %d columns, want %d × %d", b.Table, len(b.Rows), len(b.Columns),
					len(fx.WriteRows), len(dstest.WriteSchemaAll.Fields))
			}
		}
	}
	if committed != 2 {
		t.Errorf("fake recorded %d committed bulk inserts, want 2 (one per successful write)", committed)
	}
}

func TestSQLServerReal_SharedSuite(t *testing.T) {
	dsn := os.Getenv("LAUNCHPAD_TEST_SQLSERVER_DSN")
	if dsn == "" {
		t.Skip("LAUNCHPAD_TEST_SQLSERVER_DSN is not set: no real SQL Server to test against (the fake-server suite ran instead)")
	}
	var created []string
	open := func(t *testing.T) datasource.Source { return openMSSQL(t, dsn) }
	fx := mssqlFixture(t, open, mssqlSeriesQuery)
	mk := fx.WriteTable
	fx.WriteTable = func(t *testing.T) string {
		name := mk(t)
		created = append(created, name)
		return name
	}
	t.Cleanup(func() {
		src, err := Open(context.Background(), dsn)
		if err != nil {
			return
		}
		defer func() { _ = src.Close() }()
		for _, name := range created {
			_, _ = src.(*sqlServerSource).db.Exec("DROP TABLE IF EXISTS " + sqlio.QuoteParts(strings.Split(name, "."), sqlio.QuoteBracket))
		}
	})
	dstest.Run(t, fx)
}

func TestSQLServerFake_BulkWritesWireValues(t *testing.T) {
	srv := startFake(t)
	src := openMSSQL(t, srv.DSN(fakeUser, fakePassword))
	w, err := src.BeginWrite(context.Background(), "dbo.scores", true, dstest.WriteSchemaAll)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(dstest.BuildBatch(t, dstest.WriteSchemaAll, dstest.WriteRowsAll(t))); err != nil {
		t.Fatal(err)
	}
	if n, err := w.Commit(); err != nil || n != 3 {
		t.Fatalf("commit = %d, %v; want 3 rows", n, err)
	}
	rows, ok := srv.TableRows("dbo.scores")
	if !ok || len(rows) != 3 {
		t.Fatalf("fake table rows = %d (exists %v), want 3", len(rows), ok)
	}
	// What went over the wire, decoded by the fake independently of the driver.
	want := []any{int64(1), true, int64(-8), int64(300), int64(-70000), 1.5, 0.1,
		"-12345678901234567890123456789012.3456", "héllo ✓", []byte{0, 1, 255},
		time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), 13*time.Hour + 5*time.Second + 7*time.Microsecond,
		time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC), time.Date(2024, 3, 1, 1, 2, 3, 4000, ist),
		"0f8fad5b-d9cb-469f-a165-70867728950e"}
	dstest.AssertRow(t, "bulk row 1", rows[0], want)
	for i, v := range rows[1][1:] {
		if v != nil {
			t.Errorf("bulk row 2 column %d = %#v, want NULL", i+1, v)
		}
	}
}

func TestSQLServerFake_UnsupportedTypeNamesColumnAndSuggestsCast(t *testing.T) {
	srv := startFake(t)
	tests := []struct {
		name string
		col  tdsfake.Column
		val  any
	}{
		{"SQLVariant", tdsfake.Column{Name: "v", Type: "sql_variant", Nullable: true}, int64(5)},
		{"Geography", tdsfake.Column{Name: "g", Type: "geography", Nullable: true}, []byte{1, 2, 3}},
		{"HierarchyID", tdsfake.Column{Name: "h", Type: "hierarchyid", Nullable: true}, []byte{0x58}},
	}
	src := openMSSQL(t, srv.DSN(fakeUser, fakePassword))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := "SELECT " + tt.col.Name + " FROM odd_" + tt.name
			srv.SetResult(q, tdsfake.Result{Columns: []tdsfake.Column{{Name: "id", Type: "int"}, tt.col},
				Rows: [][]any{{int64(1), tt.val}}})
			rows, err := src.Query(context.Background(), q, nil, 0)
			if err == nil {
				_ = rows.Close()
				t.Fatal("query succeeded, want an unsupported-type error")
			}
			if !errors.Is(err, datasource.ErrUnsupportedType) || !strings.Contains(err.Error(), fmt.Sprintf("column %q", tt.col.Name)) ||
				!strings.Contains(err.Error(), "CAST") {
				t.Fatalf("err = %v, want datasource.ErrUnsupportedType naming column %q and suggesting CAST", err, tt.col.Name)
			}
		})
	}
	// The connection is still usable afterwards.
	rows, err := src.Query(context.Background(), mssqlEmptyQuery, nil, 0)
	if err != nil {
		t.Fatalf("query after unsupported type: %v", err)
	}
	dstest.CloseRows(t, rows)
}

func TestSQLServerFake_SubMicrosecondValueIsAnErrorNotARounding(t *testing.T) {
	srv := startFake(t)
	src := openMSSQL(t, srv.DSN(fakeUser, fakePassword))
	q := "SELECT ts FROM precise"
	srv.SetResult(q, tdsfake.Result{Columns: []tdsfake.Column{{Name: "ts", Type: "datetime2(7)", Nullable: true}},
		Rows: [][]any{{time.Date(2024, 1, 1, 0, 0, 0, 1000, time.UTC)}, {time.Date(2024, 1, 1, 0, 0, 0, 100, time.UTC)}}})
	rows, err := src.Query(context.Background(), q, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rows.Close() }()
	_, err = rows.Next()
	if !errors.Is(err, datasource.ErrValueMismatch) || !strings.Contains(err.Error(), `column "ts" row 2`) {
		t.Fatalf("Next err = %v, want datasource.ErrValueMismatch naming column ts row 2", err)
	}
}

func TestSQLServerFake_LoginFailureIsClearAndSanitized(t *testing.T) {
	srv := startFake(t)
	const wrong = "Wr0ng-Secret-Pass"
	_, err := Open(context.Background(), srv.DSN(fakeUser, wrong))
	if err == nil {
		t.Fatal("open with a wrong password succeeded")
	}
	if !strings.Contains(err.Error(), "Login failed") {
		t.Fatalf("err = %v, want the server's login failure", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), fakeUser) {
		t.Fatalf("err = %v carries credentials", err)
	}
}

// TestSQLServerFake_CredentialsNeverInErrorsOrLogs drives every failure path
// with a DSN whose password is distinctive and looks for it everywhere,
// including the driver's log output with its most verbose flags requested.
func TestSQLServerFake_CredentialsNeverInErrorsOrLogs(t *testing.T) {
	srv := startFake(t)
	var logBuf bytes.Buffer
	log.SetOutput(&logBuf)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })

	dsn := srv.DSN(fakeUser, fakePassword) + "&log=255"
	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	src, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	_, err = src.Query(context.Background(), "SELEC broken", nil, 0)
	collect(err)
	srv.SetResult("SELECT v FROM variant", tdsfake.Result{Columns: []tdsfake.Column{{Name: "v", Type: "sql_variant"}}})
	_, err = src.Query(context.Background(), "SELECT v FROM variant", nil, 0)
	collect(err)
	_, err = src.BeginWrite(context.Background(), "dbo.missing_table", false, dstest.WriteSchemaAll)
	if err == nil {
		w, _ := src.BeginWrite(context.Background(), "dbo.missing_table", false, dstest.WriteSchemaAll)
		if w != nil {
			collect(w.Write(dstest.BuildBatch(t, dstest.WriteSchemaAll, dstest.WriteRowsAll(t))))
			_, err = w.Commit()
		}
	}
	collect(err)
	for _, bad := range []string{
		srv.DSN(fakeUser, "not-"+fakePassword),                                                         // login failure
		"sqlserver://" + fakeUser + ":" + fakePassword + "@127.0.0.1:1?encrypt=disable&dial+timeout=1", // unreachable
		"sqlserver://" + fakeUser + ":" + fakePassword + "@127.0.0.1:notaport?encrypt=disable",         // unparsable
		"server=127.0.0.1;port=1;user id=" + fakeUser + ";password=" + fakePassword + ";encrypt=disable;dial timeout=1",
		"odbc:server=127.0.0.1;port=1;uid=" + fakeUser + ";pwd={" + fakePassword + "};encrypt=disable;dial timeout=1",
	} {
		_, err := Open(context.Background(), bad)
		if err == nil {
			t.Fatalf("open %s succeeded", datasource.RedactDSN(bad))
		}
		collect(err)
	}
	if len(errs) < 7 {
		t.Fatalf("collected %d errors, want every failure path (%v)", len(errs), errs)
	}
	for _, e := range errs {
		t.Logf("error: %v", e)
		if strings.Contains(e.Error(), fakePassword) {
			t.Errorf("error carries the password: %v", e)
		}
	}
	if strings.Contains(logBuf.String(), fakePassword) {
		t.Errorf("log output carries the password")
	}
}
