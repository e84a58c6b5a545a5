package job

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/mssql"
	"github.com/openlaunchpad/launchpad/host/datasource/sqlite"
	"github.com/openlaunchpad/launchpad/host/resultset"
	"github.com/openlaunchpad/launchpad/internal/tdsfake"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

func TestParseInto_TableAndColumnList(t *testing.T) {
	tests := []struct {
		in, table string
		cols      []string
		bad       string
	}{
		{in: "T", table: "T"},
		{in: "dbo.T (a, b)", table: "dbo.T", cols: []string{"a", "b"}},
		{in: "[my (t)] ([a]]b], \"c,d\")", table: "[my (t)]", cols: []string{"a]b", "c,d"}},
		{in: "T (a, A)", bad: `column "A" is listed twice`},
		{in: "T (a, )", bad: "an empty column name"},
		{in: "T (a", bad: "no closing parenthesis"},
		{in: "T (a b)", bad: "not a plain identifier"},
		{in: "T ([a)", bad: "not closed"},
	}
	for _, tt := range tests {
		table, cols, err := parseInto(tt.in)
		if tt.bad != "" {
			if !errors.Is(err, errBadInto) || !strings.Contains(err.Error(), tt.bad) {
				t.Errorf("parseInto(%q) = %v, want an error with %q", tt.in, err, tt.bad)
			}
			continue
		}
		if err != nil || table != tt.table || !reflect.DeepEqual(cols, tt.cols) {
			t.Errorf("parseInto(%q) = %q, %q, %v; want %q, %q", tt.in, table, cols, err, tt.table, tt.cols)
		}
	}
	if err := checkInto(&Request{IntoTable: "T (a)", CreateTable: true}); !errors.Is(err, errBadInto) {
		t.Errorf("a column list with --create-table: %v, want errBadInto", err)
	}
}

// writeByPosition runs the INSERT … EXEC path of a job against src: the
// table's columns, the positional shape, the staged write.
func writeByPosition(t *testing.T, src datasource.Source, target string, out *bxl.Schema, rows [][]any) error {
	t.Helper()
	ctx := context.Background()
	table, list, err := parseInto(target)
	if err != nil {
		t.Fatal(err)
	}
	all, err := src.TableColumns(ctx, table)
	if err != nil {
		return err
	}
	sh, err := tableShape(table, all, list, out)
	if err != nil {
		return err
	}
	w, err := src.BeginWrite(ctx, table, false, sh.Schema())
	if err != nil {
		return err
	}
	b := bxl.NewBuilder(out)
	for _, r := range rows {
		if err := b.AppendRow(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := sh.Convert(b.Build(), w.Write); err != nil {
		_ = w.Rollback()
		return err
	}
	_, err = w.Commit()
	return err
}

var posOut = &bxl.Schema{Fields: []bxl.Field{
	{Name: "x", Type: bxl.TypeFloat64, Nullable: true}, {Name: "y", Type: bxl.TypeInt64, Nullable: true}}}

// On SQL Server (the TDS fake) the output goes into the table's columns by
// position, converted to their types: the bulk load names the table's
// columns and carries converted values.
func TestTableShape_SQLServerByPosition(t *testing.T) {
	srv := &tdsfake.Server{User: "u", Password: "Passw0rd!x"}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := srv.AddTable("dbo.Scores", []tdsfake.Column{{Name: "id", Type: "int", Nullable: true},
		{Name: "label", Type: "nvarchar(20)", Nullable: true}, {Name: "total", Type: "decimal(10,2)", Nullable: true}}, nil); err != nil {
		t.Fatal(err)
	}
	src, err := mssql.Open(context.Background(), srv.DSN("u", "Passw0rd!x"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	if err := writeByPosition(t, src, "dbo.Scores (id, [total])", posOut, [][]any{{2.9, int64(7)}, {-3.7, nil}}); err != nil {
		t.Fatal(err)
	}
	bulks := srv.BulkInserts()
	if len(bulks) != 1 || !reflect.DeepEqual(bulks[0].Columns, []string{"id", "total"}) {
		t.Fatalf("bulk inserts = %+v, want one into (id, total)", bulks)
	}
	if want := [][]any{{int64(2), "7.00"}, {int64(-3), nil}}; !reflect.DeepEqual(bulks[0].Rows, want) {
		t.Errorf("bulk rows = %#v, want %#v", bulks[0].Rows, want)
	}
	err = writeByPosition(t, src, "dbo.Scores", posOut, [][]any{{1.0, int64(1)}})
	if !errors.Is(err, resultset.ErrMismatch) || !strings.Contains(err.Error(), "the output data set has 2 columns, table dbo.Scores has 3") {
		t.Errorf("count mismatch: %v", err)
	}
}

// On SQLite a value that cannot convert names column and row, and the
// staged write leaves the table as it was.
func TestTableShape_SQLiteByPositionAllOrNothing(t *testing.T) {
	src, err := sqlite.Open(t.TempDir() + "/instance.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	create := &bxl.Schema{Fields: []bxl.Field{{Name: "n", Type: bxl.TypeInt32, Nullable: true},
		{Name: "d", Type: bxl.TypeDate, Nullable: true}}}
	w, err := src.BeginWrite(context.Background(), "t", true, create)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	out := &bxl.Schema{Fields: []bxl.Field{{Name: "a", Type: bxl.TypeString, Nullable: true},
		{Name: "b", Type: bxl.TypeString, Nullable: true}}}
	err = writeByPosition(t, src, "dbo.t", out, [][]any{{"1", "2024-01-02"}, {"2", "2024-13-01"}})
	if !errors.Is(err, resultset.ErrMismatch) || !strings.Contains(err.Error(), `column "d" row 2`) {
		t.Fatalf("bad date: %v, want an error naming column d row 2", err)
	}
	if err := writeByPosition(t, src, "t", out, [][]any{{" 5 ", "2024-01-02"}}); err != nil {
		t.Fatal(err)
	}
	rows, err := src.Query(context.Background(), "SELECT n, d FROM t", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	b, err := rows.Next()
	if err != nil || b.Rows != 1 || b.Columns[0].Value(0) != int64(5) {
		t.Fatalf("table after one failed and one good write: %v rows, %v", b, err)
	}
}
