package dev

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/datasource/dstest"
	"github.com/openlaunchpad/launchpad/host/datasource/sqlite"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// everyTypeColumns declares a column of each type an input query reads back
// as itself from the SQLite instance.
const everyTypeColumns = `id bigint NOT NULL, b bit, i bigint, f float, dec decimal(38,10), s nvarchar(max),
	bin varbinary(max), d date, tm time, dt datetime2, dto datetimeoffset, u uniqueidentifier`

func TestCreateTable_ReadsBackEveryTypeThroughTheHost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "instance.db")
	rows := [][]any{
		{"1", "1", "-9223372036854775808", "1.5", "-1234567890123456789012345678.0123456789", "héllo 🙂", "0x00FF10",
			"2024-02-29", "13:45:00.123456", "2024-02-29 13:45:00.123456", "2024-02-29 13:45:00.5+05:45",
			"6f9619ff-8b86-d011-b42d-00c04fc964ff"},
		{"2", "0", "9007199254740993", "-2.25", "0.0000000001", "", "0x", "1969-12-31", "00:00:00",
			"1900-01-01 00:00:00", "1999-12-31 23:59:59-08:00", "00000000-0000-0000-0000-000000000000"},
		{"3", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	}
	if err := CreateTable(context.Background(), path, "t", everyTypeColumns, rows); err != nil {
		t.Fatal(err)
	}
	src, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	got := dstest.MustQuery(t, src, "SELECT * FROM t ORDER BY id")
	dec := bxl.Field{Name: "dec", Type: bxl.TypeDecimal, Precision: 38, Scale: 10, Nullable: true}
	dstest.AssertFields(t, got.Schema().Fields, []bxl.Field{
		dstest.Nullable("id", bxl.TypeInt64), dstest.Nullable("b", bxl.TypeBool), dstest.Nullable("i", bxl.TypeInt64),
		dstest.Nullable("f", bxl.TypeFloat64), dec, dstest.Nullable("s", bxl.TypeString),
		dstest.Nullable("bin", bxl.TypeBinary), dstest.Nullable("d", bxl.TypeDate), dstest.Nullable("tm", bxl.TypeTime),
		dstest.Nullable("dt", bxl.TypeDateTime), dstest.Nullable("dto", bxl.TypeDateTimeOffset), dstest.Nullable("u", bxl.TypeUUID),
	})
	values := dstest.Drain(t, got)
	if len(values) != len(rows) {
		t.Fatalf("read %d rows, want %d", len(values), len(rows))
	}
	zone := time.FixedZone("", 5*3600+45*60)
	dstest.AssertRow(t, "row 1", values[0], []any{int64(1), true, int64(-9223372036854775808), 1.5,
		dstest.MustDecimal(t, "-1234567890123456789012345678.0123456789", 38, 10), "héllo 🙂", []byte{0x00, 0xFF, 0x10},
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), 13*time.Hour + 45*time.Minute + 123456*time.Microsecond,
		time.Date(2024, 2, 29, 13, 45, 0, 123456000, time.UTC), time.Date(2024, 2, 29, 13, 45, 0, 500000000, zone),
		dstest.MustUUID(t, "6f9619ff-8b86-d011-b42d-00c04fc964ff")})
	// The empty string and binary stay values, not NULLs.
	if s, bin := values[1][5], values[1][6]; s != "" || bin == nil || len(bin.([]byte)) != 0 {
		t.Errorf("row 2 s, bin = %#v, %#v; want \"\", []byte{}", s, bin)
	}
	for c, v := range values[2][1:] {
		if v != nil {
			t.Errorf("row 3 column %d = %#v, want NULL", c+1, v)
		}
	}
}

func TestCreateTable_NamesWhatIsWrong(t *testing.T) {
	for _, c := range []struct {
		name, columns string
		rows          [][]any
		is            error
		wants         []string
	}{
		{"BadDeclaration", "id bigint, x nosuchtype", nil, sqltype.ErrBadDeclaration, []string{"nosuchtype"}},
		{"NoColumns", "", nil, sqltype.ErrBadDeclaration, []string{"no columns"}},
		{"WrongCount", "id bigint, x int", [][]any{{"1"}}, ErrBadRow, []string{"row 1", "1 values for 2 columns"}},
		{"BadLiteral", "id bigint, d date", [][]any{{"1", "2024-01-01"}, {"2", "yesterday"}}, sqltype.ErrBadValue,
			[]string{"row 2", "yesterday", "d"}},
		{"OutOfRange", "id bigint, x int", [][]any{{"1", "2147483648"}}, sqltype.ErrBadValue, []string{"row 1", "x"}},
		{"NullInNotNull", "id bigint NOT NULL", [][]any{{nil}}, ErrBadRow, []string{"row 1", `"id"`, "not nullable"}},
		{"NotALiteral", "id bigint", [][]any{{int64(1)}}, ErrBadRow, []string{"row 1", "id", "int64 is not a literal"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "instance.db")
			err := CreateTable(context.Background(), path, "t", c.columns, c.rows)
			if !errors.Is(err, c.is) {
				t.Fatalf("CreateTable = %v, want %v", err, c.is)
			}
			for _, w := range append(c.wants, "create table t") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
}

func TestCreateTable_RefusesAnExistingTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "instance.db")
	if err := CreateTable(context.Background(), path, "t", "id bigint", [][]any{{"1"}}); err != nil {
		t.Fatal(err)
	}
	err := CreateTable(context.Background(), path, "t", "id bigint", [][]any{{"2"}})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("second CreateTable = %v, want already exists", err)
	}
}
