package bxl

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestBuilder_AppendRowIsAtomic(t *testing.T) {
	s := &Schema{Fields: []Field{
		{Name: "i", Type: TypeInt64},
		{Name: "s", Type: TypeString, Nullable: true},
		{Name: "b", Type: TypeBool, Nullable: true},
		{Name: "d", Type: TypeDecimal, Precision: 4, Scale: 1},
	}}
	good := [][]any{{int64(1), "a", true, "1.5"}, {int64(2), nil, false, "-2"}}
	ref := NewBuilder(s)
	b := NewBuilder(s)
	for _, r := range good {
		if err := ref.AppendRow(r...); err != nil {
			t.Fatal(err)
		}
		if err := b.AppendRow(r...); err != nil {
			t.Fatal(err)
		}
	}
	bad := [][]any{
		{int64(3), "xyz", nil, "1.25"},        // decimal would round, after a first NULL in b
		{int64(3), "\xff", true, "1"},         // invalid UTF-8
		{int64(3), "x", nil, "12345"},         // exceeds precision
		{"3", "x", true, "1"},                 // wrong type first
		{int64(3), "x", true},                 // too few values
		{int64(3), "x", true, "1", "surplus"}, // too many
	}
	for _, r := range bad {
		size := b.Size()
		if err := b.AppendRow(r...); !errors.Is(err, ErrValue) {
			t.Fatalf("row %v: err = %v", r, err)
		}
		if b.Size() != size || b.Rows() != 2 {
			t.Fatalf("row %v changed the builder: size %d→%d rows %d", r, size, b.Size(), b.Rows())
		}
	}
	got, want := AppendBatch(nil, b.Build()), AppendBatch(nil, ref.Build())
	if !bytes.Equal(got, want) {
		t.Fatal("batch after failed rows differs from one without them")
	}
}

func TestBuilder_EndRowChecksEveryColumn(t *testing.T) {
	s := &Schema{Fields: []Field{{Name: "a", Type: TypeInt64}, {Name: "b", Type: TypeString, Nullable: true}}}
	b := NewBuilder(s)
	if err := b.AppendInt64(0, 1); err != nil {
		t.Fatal(err)
	}
	if err := b.AppendInt64(0, 2); err == nil || !strings.Contains(err.Error(), `column 0 ("a") already has a value for row 0`) {
		t.Fatalf("second value: %v", err)
	}
	if err := b.EndRow(); err == nil || !strings.Contains(err.Error(), `no value for column(s) 1 ("b")`) {
		t.Fatalf("missing column: %v", err)
	}
	if b.Rows() != 0 || b.Size() != 4 { // just the initial string offset
		t.Fatalf("abandoned row left rows=%d size=%d", b.Rows(), b.Size())
	}
	b.AppendNull(0) // not nullable: reported by EndRow
	if err := b.AppendString(1, "x"); err != nil {
		t.Fatal(err)
	}
	if err := b.EndRow(); !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), `column "a" (int64) is not nullable`) {
		t.Fatalf("null in non-nullable: %v", err)
	}
	if err := b.AppendInt64(0, 7); err != nil {
		t.Fatal(err)
	}
	b.AppendNull(1)
	if err := b.EndRow(); err != nil {
		t.Fatal(err)
	}
	if err := b.AppendInt64(5, 1); err == nil {
		t.Fatal("column out of range accepted")
	}
	batch := b.Build()
	if batch.Rows != 1 || batch.Columns[0].Int64(0) != 7 || !batch.Columns[1].IsNull(0) {
		t.Fatalf("batch = %+v", batch.Row(0))
	}
	if _, err := DecodeBatch(AppendBatch(nil, batch), s); err != nil {
		t.Fatal(err)
	}
}

func TestBuilder_RejectsBadValues(t *testing.T) {
	tests := []struct {
		typ  Field
		v    any
		want string
	}{
		{Field{Type: TypeInt8}, 300, "cannot take int: 300 out of range"},
		{Field{Type: TypeInt64}, uint64(math.MaxUint64), "cannot take uint64"},
		{Field{Type: TypeInt32}, 1.5, "cannot take float64: want an integer"},
		{Field{Type: TypeFloat64}, int64(1<<53 + 1), "is not exact as a float"},
		{Field{Type: TypeString}, []byte{0xc3}, "cannot take []uint8: not valid UTF-8"},
		{Field{Type: TypeBool}, 1, "cannot take int: want bool"},
		{Field{Type: TypeTime}, 25 * time.Hour, "outside [0, 24h)"},
		{Field{Type: TypeTime}, -time.Microsecond, "outside [0, 24h)"},
		{Field{Type: TypeDateTimeOffset}, time.Date(2000, 1, 1, 0, 0, 0, 0, time.FixedZone("LMT", 3601)), "not whole minutes"},
		{Field{Type: TypeDateTimeOffset}, time.Date(2000, 1, 1, 0, 0, 0, 0, time.FixedZone("", 15*3600)), "not whole minutes within ±14:00"},
		{Field{Type: TypeDecimal, Precision: 3, Scale: 1}, Decimal{Lo: 12345, Scale: 2}, "would round"},
		{Field{Type: TypeUUID}, "nope", "invalid uuid"},
		{Field{Type: TypeDate}, "2020-01-01", "cannot take string: want time.Time"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %T", tc.typ.Type, tc.v), func(t *testing.T) {
			f := tc.typ
			f.Name = "col"
			b := NewBuilder(&Schema{Fields: []Field{f}})
			err := b.AppendRow(tc.v)
			if !errors.Is(err, ErrValue) || !strings.Contains(err.Error(), `column "col" (`+f.Type.String()+`)`) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrValue naming the column and %q", err, tc.want)
			}
		})
	}
}

func TestBuilder_SizeBasedCutting(t *testing.T) {
	s := benchSchema()
	const target = 64 << 10
	b := NewBuilder(s)
	var batches []*Batch
	const rows = 20000
	for i := 0; i < rows; i++ {
		if err := appendBenchRow(b, i); err != nil {
			t.Fatal(err)
		}
		if b.Size() >= target {
			batches = append(batches, b.Build())
		}
	}
	batches = append(batches, b.Build())
	total := 0
	for i, batch := range batches {
		p := AppendBatch(nil, batch)
		got, err := DecodeBatch(p, s)
		if err != nil {
			t.Fatal(err)
		}
		bufBytes := len(p) - align8(8+16*s.bufferCount())
		if i < len(batches)-1 && (bufBytes < target || bufBytes > target+64) {
			t.Fatalf("batch %d holds %d buffer bytes, want about %d", i, bufBytes, target)
		}
		for r := 0; r < got.Rows; r++ {
			if v := got.Columns[0].Int64(r); v != int64(total+r) {
				t.Fatalf("batch %d row %d = %d", i, r, v)
			}
		}
		total += got.Rows
	}
	if total != rows || len(batches) < 10 {
		t.Fatalf("%d rows in %d batches", total, len(batches))
	}
}

func TestBuilder_TypedPathsDoNotAllocate(t *testing.T) {
	b := NewBuilder(benchSchema())
	for i := 0; i < 100000; i++ { // grow the buffers once
		_ = appendBenchRow(b, i)
	}
	b.Build()
	i := 0
	allocs := testing.AllocsPerRun(50000, func() {
		if err := appendBenchRow(b, i); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per row on typed paths", allocs)
	}
}

func TestBuilder_ReusableAfterBuild(t *testing.T) {
	s := &Schema{Fields: []Field{{Name: "a", Type: TypeInt64}, {Name: "b", Type: TypeBool, Nullable: true}}}
	b := NewBuilder(s)
	for n := 1; n <= 3; n++ {
		for i := 0; i < n; i++ {
			if err := b.AppendInt64(0, int64(i)); err != nil {
				t.Fatalf("batch of %d, row %d: %v", n, i, err)
			}
			b.AppendNull(1)
			if err := b.EndRow(); err != nil {
				t.Fatal(err)
			}
		}
		got := b.Build()
		if got.Rows != n || got.Columns[0].Int64(n-1) != int64(n-1) || !got.Columns[1].IsNull(0) {
			t.Fatalf("batch %d: %+v", n, got)
		}
	}
}
