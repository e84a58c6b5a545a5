package dstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// Fixture adapts the shared data-source suite to one driver: the SQL
// differs per dialect, the expectations do not.
type Fixture struct {
	Open func(t *testing.T) datasource.Source
	// TypesQuery returns TypesWant's columns: one row of values, then one row of NULLs.
	TypesQuery string
	TypesWant  []bxl.Field
	TypesRow   []any // expected Value(i) of the first row
	// EmptyQuery returns columns (id int64, name string) and no rows.
	EmptyQuery string
	BadQuery   string
	// SeriesQuery returns n rows (i int64 = 1..n, x float64 = i/2, s string "row-<i>").
	SeriesQuery func(n int) string
	// ReadBack returns the rows of table in insertion order, as Value(i) would.
	ReadBack func(t *testing.T, src datasource.Source, table string) [][]any
	// WriteTable is the table name the write tests create (fresh per subtest).
	WriteTable func(t *testing.T) string
	// WriteSchema is what the write tests write; every type the source can store.
	WriteSchema *bxl.Schema
	WriteRows   [][]any
}

// Run runs the shared suite against the driver fx adapts.
func Run(t *testing.T, fx Fixture) {
	runReads(t, fx)
	runStreaming(t, fx)
	runWrites(t, fx)
	runWriteFailures(t, fx)
}

// mustQuery runs q on src in batches of about batchBytes (0: the source's
// default), or fails the test; the rows close when the test ends.
func mustQuery(t *testing.T, src datasource.Source, q string, batchBytes int) datasource.Rows {
	t.Helper()
	rows, err := src.Query(context.Background(), q, nil, batchBytes)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	t.Cleanup(func() { CloseRows(t, rows) })
	return rows
}

func runReads(t *testing.T, fx Fixture) {
	ctx := context.Background()
	t.Run("TypesAndNulls", func(t *testing.T) {
		src := fx.Open(t)
		rows := mustQuery(t, src, fx.TypesQuery, 0)
		AssertFields(t, rows.Schema().Fields, fx.TypesWant)
		got := Drain(t, rows)
		if len(got) != 2 {
			t.Fatalf("got %d rows, want 2", len(got))
		}
		AssertRow(t, "row 1", got[0], fx.TypesRow)
		for i, v := range got[1] {
			if v != nil {
				t.Errorf("row 2 column %q = %#v, want NULL", fx.TypesWant[i].Name, v)
			}
		}
	})
	t.Run("EmptyResultKeepsSchema", func(t *testing.T) {
		src := fx.Open(t)
		rows := mustQuery(t, src, fx.EmptyQuery, 0)
		fs := rows.Schema().Fields
		if len(fs) != 2 || fs[0].Name != "id" || fs[0].Type != bxl.TypeInt64 || fs[1].Name != "name" || fs[1].Type != bxl.TypeString {
			t.Fatalf("schema = %+v, want (id int64, name string)", fs)
		}
		if b, err := rows.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("Next = %v, %v; want io.EOF", b, err)
		}
	})
	t.Run("BadQueryIsError", func(t *testing.T) {
		src := fx.Open(t)
		rows, err := src.Query(ctx, fx.BadQuery, nil, 0)
		if err == nil {
			// Some drivers report a bad statement only when rows are read.
			_, err = rows.Next()
			_ = rows.Close()
		}
		if err == nil || errors.Is(err, io.EOF) {
			t.Fatalf("bad query: err = %v, want a query error", err)
		}
	})
}

func runStreaming(t *testing.T, fx Fixture) {
	t.Run("StreamsInBoundedBatches", func(t *testing.T) {
		src := fx.Open(t)
		const n = 50000
		const batchBytes = 64 << 10
		rows := mustQuery(t, src, fx.SeriesQuery(n), batchBytes)
		var total, batches int
		for {
			b, err := rows.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("batch %d: %v", batches, err)
			}
			batches++
			// A batch is cut right after it reaches batchBytes: at most one row over.
			if size := b.Bytes(); size > batchBytes+1024 {
				t.Fatalf("batch %d holds %d buffer bytes, want about %d", batches, size, batchBytes)
			}
			for r := 0; r < b.Rows; r++ {
				i := int64(total + r + 1)
				if got := b.Columns[0].Value(r); got != i {
					t.Fatalf("row %d: i = %v, want %d", i, got, i)
				}
				if got := b.Columns[2].Value(r); got != fmt.Sprintf("row-%d", i) {
					t.Fatalf("row %d: s = %v", i, got)
				}
			}
			total += b.Rows
		}
		if total != n {
			t.Fatalf("streamed %d rows, want %d", total, n)
		}
		if batches < 10 {
			t.Fatalf("streamed %d batches, want many small ones for batchBytes=%d", batches, batchBytes)
		}
	})
}

func runWrites(t *testing.T, fx Fixture) {
	ctx := context.Background()
	t.Run("WriteCreatesTableAndCommits", func(t *testing.T) {
		src := fx.Open(t)
		table := fx.WriteTable(t)
		w, err := src.BeginWrite(ctx, table, true, fx.WriteSchema)
		if err != nil {
			t.Fatalf("begin write: %v", err)
		}
		// Two batches: one commit must cover both.
		for _, part := range [][][]any{fx.WriteRows[:1], fx.WriteRows[1:]} {
			if err := w.Write(BuildBatch(t, fx.WriteSchema, part)); err != nil {
				t.Fatalf("write: %v", err)
			}
		}
		n, err := w.Commit()
		if err != nil {
			t.Fatalf("commit: %v", err)
		}
		if n != int64(len(fx.WriteRows)) {
			t.Fatalf("commit wrote %d rows, want %d", n, len(fx.WriteRows))
		}
		got := fx.ReadBack(t, src, table)
		if len(got) != len(fx.WriteRows) {
			t.Fatalf("read back %d rows, want %d", len(got), len(fx.WriteRows))
		}
		for i := range got {
			AssertRow(t, fmt.Sprintf("row %d", i+1), got[i], fx.WriteRows[i])
		}
	})
}

// beginWithRows begins a write of fx.WriteSchema into table and writes
// fx.WriteRows, or fails the test naming the step (what).
func beginWithRows(t *testing.T, fx Fixture, src datasource.Source, table string, create bool, what string) datasource.TableWriter {
	t.Helper()
	w, err := src.BeginWrite(context.Background(), table, create, fx.WriteSchema)
	if err != nil {
		t.Fatalf("begin %s: %v", what, err)
	}
	if err := w.Write(BuildBatch(t, fx.WriteSchema, fx.WriteRows)); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return w
}

func runWriteFailures(t *testing.T, fx Fixture) {
	ctx := context.Background()
	t.Run("WriteAllOrNothing", func(t *testing.T) {
		src := fx.Open(t)
		table := fx.WriteTable(t)
		w := beginWithRows(t, fx, src, table, true, "write")
		if _, err := w.Commit(); err != nil {
			t.Fatalf("commit: %v", err)
		}
		// A rolled-back write leaves the table as it was.
		w = beginWithRows(t, fx, src, table, false, "second write")
		if err := w.Rollback(); err != nil {
			t.Fatalf("rollback: %v", err)
		}
		if got := fx.ReadBack(t, src, table); len(got) != len(fx.WriteRows) {
			t.Fatalf("after rollback the table has %d rows, want %d", len(got), len(fx.WriteRows))
		}
		if _, err := w.Commit(); !errors.Is(err, datasource.ErrWriterDone) {
			t.Fatalf("commit after rollback: %v, want datasource.ErrWriterDone", err)
		}
		// A batch that does not match the writer's schema fails the whole write.
		w = beginWithRows(t, fx, src, table, false, "third write")
		other := &bxl.Schema{Fields: []bxl.Field{{Name: "x", Type: bxl.TypeInt64}}}
		if err := w.Write(BuildBatch(t, other, [][]any{{int64(1)}})); !errors.Is(err, datasource.ErrBadSchema) {
			t.Fatalf("mismatched batch: %v, want datasource.ErrBadSchema", err)
		}
		if _, err := w.Commit(); !errors.Is(err, datasource.ErrBadSchema) {
			t.Fatalf("commit after failed write: %v, want the write's error", err)
		}
		if got := fx.ReadBack(t, src, table); len(got) != len(fx.WriteRows) {
			t.Fatalf("after failed write the table has %d rows, want %d", len(got), len(fx.WriteRows))
		}
	})
	t.Run("WriteRejectsBadTableName", func(t *testing.T) {
		src := fx.Open(t)
		for _, name := range []string{"", "a;drop table x", "a..b", "a.b.c.d", "x y", "[unterminated"} {
			if _, err := src.BeginWrite(ctx, name, true, fx.WriteSchema); !errors.Is(err, datasource.ErrBadTableName) {
				t.Errorf("BeginWrite(%q) = %v, want datasource.ErrBadTableName", name, err)
			}
		}
	})
}

// CloseRows closes r, failing t on an error.
func CloseRows(t *testing.T, r datasource.Rows) {
	t.Helper()
	if err := r.Close(); err != nil {
		t.Errorf("close rows: %v", err)
	}
}

// Drain reads all batches into rows of Value(i).
func Drain(t *testing.T, r datasource.Rows) [][]any {
	t.Helper()
	var out [][]any
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		for i := 0; i < b.Rows; i++ {
			row := make([]any, len(b.Columns))
			for c := range b.Columns {
				row[c] = b.Columns[c].Value(i)
			}
			out = append(out, row)
		}
	}
}

// BuildBatch builds one batch of rows under schema s.
func BuildBatch(t *testing.T, s *bxl.Schema, rows [][]any) *bxl.Batch {
	t.Helper()
	b := bxl.NewBuilder(s)
	for i, r := range rows {
		if err := b.AppendRow(r...); err != nil {
			t.Fatalf("build row %d: %v", i+1, err)
		}
	}
	return b.Build()
}

// AssertFields compares result fields by name, type, precision, scale and nullability.
func AssertFields(t *testing.T, got, want []bxl.Field) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("schema has %d fields, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Type != w.Type || g.Precision != w.Precision || g.Scale != w.Scale || g.Nullable != w.Nullable {
			t.Errorf("field %d = %+v, want %+v", i, g, w)
		}
	}
}

// AssertRow compares one row of values with SameValue.
func AssertRow(t *testing.T, what string, got, want []any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s has %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !SameValue(got[i], want[i]) {
			t.Errorf("%s column %d = %#v (%T), want %#v (%T)", what, i, got[i], got[i], want[i], want[i])
		}
	}
}

// SameValue compares two values, times by instant and offset.
func SameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		if !ok || !ta.Equal(tb) {
			return false
		}
		_, oa := ta.Zone()
		_, ob := tb.Zone()
		return oa == ob
	}
	return reflect.DeepEqual(a, b)
}

// MustDecimal parses a decimal(p,sc) literal.
func MustDecimal(t *testing.T, s string, p, sc uint8) bxl.Decimal {
	t.Helper()
	d, err := bxl.ParseDecimal(s, p, sc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// MustUUID parses a UUID literal.
func MustUUID(t *testing.T, s string) bxl.UUID {
	t.Helper()
	u, err := bxl.ParseUUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Nullable is a nullable field of type typ.
func Nullable(name string, typ bxl.Type) bxl.Field {
	return bxl.Field{Name: name, Type: typ, Nullable: true}
}

// WriteSchemaAll has one column of every BXL type.
var WriteSchemaAll = &bxl.Schema{Fields: []bxl.Field{
	// One column per BXL type, listed so each test sees every type by name.
	{Name: "id", Type: bxl.TypeInt64},
	Nullable("b", bxl.TypeBool),
	Nullable("i8", bxl.TypeInt8),
	Nullable("i16", bxl.TypeInt16),
	Nullable("i32", bxl.TypeInt32),
	Nullable("f32", bxl.TypeFloat32),
	Nullable("f64", bxl.TypeFloat64),
	{Name: "d", Type: bxl.TypeDecimal, Nullable: true, Precision: 38, Scale: 4},
	Nullable("s", bxl.TypeString),
	Nullable("bin", bxl.TypeBinary),
	Nullable("dt", bxl.TypeDate),
	Nullable("tm", bxl.TypeTime),
	Nullable("ts", bxl.TypeDateTime),
	Nullable("tso", bxl.TypeDateTimeOffset),
	Nullable("u", bxl.TypeUUID),
}}

// WriteRowsAll are rows of WriteSchemaAll: values at the edges of each type, and NULLs.
func WriteRowsAll(t *testing.T) [][]any {
	ist := time.FixedZone("+05:30", 5*3600+1800)
	return [][]any{
		{int64(1), true, int8(-8), int16(300), int32(-70000), float32(1.5), 0.1,
			MustDecimal(t, "-12345678901234567890123456789012.3456", 38, 4), "héllo ✓", []byte{0, 1, 255},
			time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), 13*time.Hour + 5*time.Second + 7*time.Microsecond,
			time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC), time.Date(2024, 3, 1, 1, 2, 3, 4000, ist),
			MustUUID(t, "0f8fad5b-d9cb-469f-a165-70867728950e")},
		{int64(2), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{int64(9007199254740993), false, int8(127), int16(-32768), int32(2147483647), float32(-0.25), -1e300,
			MustDecimal(t, "0.0001", 38, 4), "", []byte{},
			time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Duration(0),
			time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 1, 2, 3, 0, time.FixedZone("-08:00", -8*3600)),
			MustUUID(t, "00000000-0000-0000-0000-000000000001")},
	}
}

// DrainErr reads a query to its end and returns the first error.
func DrainErr(src datasource.Source, q string) error {
	rows, err := src.Query(context.Background(), q, nil, 0)
	if err != nil {
		return err
	}
	defer rows.Close()
	for {
		if _, err := rows.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// MustQuery runs q, failing t on an error; the rows close when the test ends.
func MustQuery(t *testing.T, src datasource.Source, q string) datasource.Rows {
	t.Helper()
	rows, err := src.Query(context.Background(), q, nil, 0)
	if err != nil {
		t.Fatalf("query %q: %v", q, err)
	}
	t.Cleanup(func() { _ = rows.Close() })
	return rows
}

// Params parses declarations and their values as a job does.
func Params(t *testing.T, decls string, values map[string]string) []datasource.Param {
	t.Helper()
	ds, err := sqltype.ParseParams(decls)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]datasource.Param, len(ds))
	for i, d := range ds {
		out[i] = datasource.Param{Name: d.Name, SQLType: d.SQLType, Field: d.Field}
		if text, ok := values[d.Name]; ok {
			if out[i].Value, err = sqltype.ParseValue(d.Field, text); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}
