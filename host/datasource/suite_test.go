package datasource

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// sourceFixture adapts the shared data-source suite to one driver: the SQL
// differs per dialect, the expectations do not.
type sourceFixture struct {
	open func(t *testing.T) Source
	// typesQuery returns typesWant's columns: one row of values, then one row of NULLs.
	typesQuery string
	typesWant  []bxl.Field
	typesRow   []any // expected Value(i) of the first row
	// emptyQuery returns columns (id int64, name string) and no rows.
	emptyQuery string
	badQuery   string
	// seriesQuery returns n rows (i int64 = 1..n, x float64 = i/2, s string "row-<i>").
	seriesQuery func(n int) string
	// readBack returns the rows of table in insertion order, as Value(i) would.
	readBack func(t *testing.T, src Source, table string) [][]any
	// writeTable is the table name the write tests create (fresh per subtest).
	writeTable func(t *testing.T) string
	// writeSchema is what the write tests write; every type the source can store.
	writeSchema *bxl.Schema
	writeRows   [][]any
}

func runSourceSuite(t *testing.T, fx sourceFixture) {
	ctx := context.Background()
	t.Run("TypesAndNulls", func(t *testing.T) {
		src := fx.open(t)
		rows, err := src.Query(ctx, fx.typesQuery, 0)
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		defer closeRows(t, rows)
		assertFields(t, rows.Schema().Fields, fx.typesWant)
		got := drain(t, rows)
		if len(got) != 2 {
			t.Fatalf("got %d rows, want 2", len(got))
		}
		assertRow(t, "row 1", got[0], fx.typesRow)
		for i, v := range got[1] {
			if v != nil {
				t.Errorf("row 2 column %q = %#v, want NULL", fx.typesWant[i].Name, v)
			}
		}
	})
	t.Run("EmptyResultKeepsSchema", func(t *testing.T) {
		src := fx.open(t)
		rows, err := src.Query(ctx, fx.emptyQuery, 0)
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		defer closeRows(t, rows)
		fs := rows.Schema().Fields
		if len(fs) != 2 || fs[0].Name != "id" || fs[0].Type != bxl.TypeInt64 || fs[1].Name != "name" || fs[1].Type != bxl.TypeString {
			t.Fatalf("schema = %+v, want (id int64, name string)", fs)
		}
		if b, err := rows.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("Next = %v, %v; want io.EOF", b, err)
		}
	})
	t.Run("BadQueryIsError", func(t *testing.T) {
		src := fx.open(t)
		rows, err := src.Query(ctx, fx.badQuery, 0)
		if err == nil {
			// Some drivers report a bad statement only when rows are read.
			_, err = rows.Next()
			_ = rows.Close()
		}
		if err == nil || errors.Is(err, io.EOF) {
			t.Fatalf("bad query: err = %v, want a query error", err)
		}
	})
	t.Run("StreamsInBoundedBatches", func(t *testing.T) {
		src := fx.open(t)
		const n = 50000
		const batchBytes = 64 << 10
		rows, err := src.Query(ctx, fx.seriesQuery(n), batchBytes)
		if err != nil {
			t.Fatalf("query: %v", err)
		}
		defer closeRows(t, rows)
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
			if size := batchBufferBytes(b); size > batchBytes+1024 {
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
	t.Run("WriteCreatesTableAndCommits", func(t *testing.T) {
		src := fx.open(t)
		table := fx.writeTable(t)
		w, err := src.BeginWrite(ctx, table, true, fx.writeSchema)
		if err != nil {
			t.Fatalf("begin write: %v", err)
		}
		// Two batches: one commit must cover both.
		for _, part := range [][][]any{fx.writeRows[:1], fx.writeRows[1:]} {
			if err := w.Write(buildBatch(t, fx.writeSchema, part)); err != nil {
				t.Fatalf("write: %v", err)
			}
		}
		n, err := w.Commit()
		if err != nil {
			t.Fatalf("commit: %v", err)
		}
		if n != int64(len(fx.writeRows)) {
			t.Fatalf("commit wrote %d rows, want %d", n, len(fx.writeRows))
		}
		got := fx.readBack(t, src, table)
		if len(got) != len(fx.writeRows) {
			t.Fatalf("read back %d rows, want %d", len(got), len(fx.writeRows))
		}
		for i := range got {
			assertRow(t, fmt.Sprintf("row %d", i+1), got[i], fx.writeRows[i])
		}
	})
	t.Run("WriteAllOrNothing", func(t *testing.T) {
		src := fx.open(t)
		table := fx.writeTable(t)
		w, err := src.BeginWrite(ctx, table, true, fx.writeSchema)
		if err != nil {
			t.Fatalf("begin write: %v", err)
		}
		if err := w.Write(buildBatch(t, fx.writeSchema, fx.writeRows)); err != nil {
			t.Fatalf("write: %v", err)
		}
		if _, err := w.Commit(); err != nil {
			t.Fatalf("commit: %v", err)
		}
		// A rolled-back write leaves the table as it was.
		w, err = src.BeginWrite(ctx, table, false, fx.writeSchema)
		if err != nil {
			t.Fatalf("begin second write: %v", err)
		}
		if err := w.Write(buildBatch(t, fx.writeSchema, fx.writeRows)); err != nil {
			t.Fatalf("second write: %v", err)
		}
		if err := w.Rollback(); err != nil {
			t.Fatalf("rollback: %v", err)
		}
		if got := fx.readBack(t, src, table); len(got) != len(fx.writeRows) {
			t.Fatalf("after rollback the table has %d rows, want %d", len(got), len(fx.writeRows))
		}
		if _, err := w.Commit(); !errors.Is(err, ErrWriterDone) {
			t.Fatalf("commit after rollback: %v, want ErrWriterDone", err)
		}
		// A batch that does not match the writer's schema fails the whole write.
		w, err = src.BeginWrite(ctx, table, false, fx.writeSchema)
		if err != nil {
			t.Fatalf("begin third write: %v", err)
		}
		if err := w.Write(buildBatch(t, fx.writeSchema, fx.writeRows)); err != nil {
			t.Fatalf("third write: %v", err)
		}
		other := &bxl.Schema{Fields: []bxl.Field{{Name: "x", Type: bxl.TypeInt64}}}
		if err := w.Write(buildBatch(t, other, [][]any{{int64(1)}})); !errors.Is(err, ErrBadSchema) {
			t.Fatalf("mismatched batch: %v, want ErrBadSchema", err)
		}
		if _, err := w.Commit(); !errors.Is(err, ErrBadSchema) {
			t.Fatalf("commit after failed write: %v, want the write's error", err)
		}
		if got := fx.readBack(t, src, table); len(got) != len(fx.writeRows) {
			t.Fatalf("after failed write the table has %d rows, want %d", len(got), len(fx.writeRows))
		}
	})
	t.Run("WriteRejectsBadTableName", func(t *testing.T) {
		src := fx.open(t)
		for _, name := range []string{"", "a;drop table x", "a..b", "a.b.c.d", "x y", "[unterminated"} {
			if _, err := src.BeginWrite(ctx, name, true, fx.writeSchema); !errors.Is(err, ErrBadTableName) {
				t.Errorf("BeginWrite(%q) = %v, want ErrBadTableName", name, err)
			}
		}
	})
}

func closeRows(t *testing.T, r Rows) {
	t.Helper()
	if err := r.Close(); err != nil {
		t.Errorf("close rows: %v", err)
	}
}

// drain reads all batches into rows of Value(i).
func drain(t *testing.T, r Rows) [][]any {
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

func batchBufferBytes(b *bxl.Batch) int {
	n := 0
	for _, c := range b.Columns {
		n += len(c.Validity)
		for _, buf := range c.Buffers {
			n += len(buf)
		}
	}
	return n
}

func buildBatch(t *testing.T, s *bxl.Schema, rows [][]any) *bxl.Batch {
	t.Helper()
	b := bxl.NewBuilder(s)
	for i, r := range rows {
		if err := b.AppendRow(r...); err != nil {
			t.Fatalf("build row %d: %v", i+1, err)
		}
	}
	return b.Build()
}

func assertFields(t *testing.T, got, want []bxl.Field) {
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

func assertRow(t *testing.T, what string, got, want []any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s has %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if !sameValue(got[i], want[i]) {
			t.Errorf("%s column %d = %#v (%T), want %#v (%T)", what, i, got[i], got[i], want[i], want[i])
		}
	}
}

func sameValue(a, b any) bool {
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

func mustDecimal(t *testing.T, s string, p, sc uint8) bxl.Decimal {
	t.Helper()
	d, err := bxl.ParseDecimal(s, p, sc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustUUID(t *testing.T, s string) bxl.UUID {
	t.Helper()
	u, err := bxl.ParseUUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
