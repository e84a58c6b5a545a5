package resultset

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

func batch(t *testing.T, s *bxl.Schema, rows ...[]any) *bxl.Batch {
	t.Helper()
	b := bxl.NewBuilder(s)
	for _, r := range rows {
		if err := b.AppendRow(r...); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

// convert runs s.Convert and joins what it emits (tests keep data small).
func convert(s *Shaper, b *bxl.Batch) (*bxl.Batch, error) {
	var out []*bxl.Batch
	if err := s.Convert(b, func(x *bxl.Batch) error { out = append(out, x); return nil }); err != nil {
		return nil, err
	}
	if len(out) != 1 {
		return nil, fmt.Errorf("Convert emitted %d batches", len(out))
	}
	return out[0], nil
}

func decls(t *testing.T, s string) []sqltype.Decl {
	t.Helper()
	d, err := sqltype.ParseColumns(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestShaper_ConvertsLikeCast(t *testing.T) {
	in := &bxl.Schema{Fields: []bxl.Field{
		{Name: "a", Type: bxl.TypeInt64, Nullable: true},
		{Name: "b", Type: bxl.TypeFloat64, Nullable: true},
		{Name: "c", Type: bxl.TypeString, Nullable: true},
		{Name: "d", Type: bxl.TypeDateTime, Nullable: true},
		{Name: "e", Type: bxl.TypeBool, Nullable: true},
		{Name: "f", Type: bxl.TypeDate, Nullable: true},
	}}
	s, err := New(decls(t, "id int, score decimal(10,2), day date, at date, flag int, label nvarchar(20)"), in)
	if err != nil {
		t.Fatal(err)
	}
	dt := time.Date(2024, 3, 1, 23, 59, 0, 0, time.UTC)
	out, err := convert(s, batch(t, in,
		[]any{int64(7), 2.345, "2024-02-29", dt, true, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)},
		[]any{nil, nil, nil, nil, nil, nil}))
	if err != nil {
		t.Fatal(err)
	}
	got := out.Row(0)
	want := []string{"7", "2.35", "2024-02-29", "2024-03-01", "1", "2024-01-02"}
	for i, w := range want {
		v := got[i]
		var str string
		switch x := v.(type) {
		case time.Time:
			str = x.Format(time.DateOnly)
		case bxl.Decimal:
			str = x.String()
		default:
			str = sqltype.Text(out.Schema.Fields[i].Type, v)
		}
		if str != w {
			t.Errorf("column %s = %v (%T), want %s", out.Schema.Fields[i].Name, v, v, w)
		}
	}
	if out.Schema.Fields[0].Name != "id" || out.Schema.Fields[0].Type != bxl.TypeInt32 {
		t.Errorf("schema not renamed and retyped: %+v", out.Schema.Fields[0])
	}
	for i, v := range out.Row(1) {
		if v != nil {
			t.Errorf("NULL column %d became %v", i, v)
		}
	}
}

func TestShaper_RenamesWithoutCopying(t *testing.T) {
	in := &bxl.Schema{Fields: []bxl.Field{{Name: "x", Type: bxl.TypeInt64, Nullable: true}}}
	s, err := New(decls(t, "n bigint"), in)
	if err != nil {
		t.Fatal(err)
	}
	b := batch(t, in, []any{int64(1)})
	out, err := convert(s, b)
	if err != nil {
		t.Fatal(err)
	}
	if &out.Columns[0] != &b.Columns[0] || out.Schema.Fields[0].Name != "n" {
		t.Errorf("identity shape copied or did not rename")
	}
}

func TestShaper_RefusesWithColumnName(t *testing.T) {
	cases := []struct {
		name  string
		in    bxl.Field
		decl  string
		value any
		want  string
	}{
		{"ColumnCount", bxl.Field{Name: "a", Type: bxl.TypeInt64}, "a int, b int", nil, "declares 2 columns, the output data set has 1"},
		{"BinaryToInt", bxl.Field{Name: "blob", Type: bxl.TypeBinary}, "n int", nil, `"blob" is binary and cannot become int (int32) as declared for "n"`},
		{"IntOverflow", bxl.Field{Name: "big", Type: bxl.TypeInt64}, "n int", int64(math.MaxInt32) + 1, `column "n"`},
		{"FloatOverflow", bxl.Field{Name: "f", Type: bxl.TypeFloat64}, "n int", 3e9, "arithmetic overflow"},
		{"NaNToInt", bxl.Field{Name: "f", Type: bxl.TypeFloat64}, "n int", math.NaN(), "not a finite number"},
		{"TextExponentToDecimal", bxl.Field{Name: "s", Type: bxl.TypeString}, "d decimal(5,1)", "1e3", `column "d" row 1`},
		{"TextFractionToInt", bxl.Field{Name: "s", Type: bxl.TypeString}, "n int", "1.5", `column "n" row 1`},
		{"DecimalPrecision", bxl.Field{Name: "f", Type: bxl.TypeFloat64}, "d decimal(4,2)", 123.4, `column "d" row 1`},
		{"BadText", bxl.Field{Name: "s", Type: bxl.TypeString}, "d date", "yesterday", `column "d" row 1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.Nullable = true
			in := &bxl.Schema{Fields: []bxl.Field{c.in}}
			s, err := New(decls(t, c.decl), in)
			if err == nil {
				_, err = convert(s, batch(t, in, []any{c.value}))
			}
			if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrMismatch mentioning %q", err, c.want)
			}
		})
	}
}

func TestShaper_CastRules(t *testing.T) {
	dec := func(s string, p, sc uint8) bxl.Decimal {
		d, err := bxl.ParseDecimal(s, p, sc)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	cases := []struct {
		name string
		in   bxl.Field
		decl string
		v    any
		want string
	}{
		{"FloatTruncates", bxl.Field{Type: bxl.TypeFloat64}, "n int", 2.7, "2"},
		{"NegativeFloatTruncatesTowardZero", bxl.Field{Type: bxl.TypeFloat64}, "n int", -2.7, "-2"},
		{"DecimalTruncates", bxl.Field{Type: bxl.TypeDecimal, Precision: 10, Scale: 3}, "n bigint", dec("-9.999", 10, 3), "-9"},
		{"FloatRoundsHalfAwayFromZero", bxl.Field{Type: bxl.TypeFloat64}, "d decimal(3,0)", 2.5, "3"},
		{"NegativeHalfAwayFromZero", bxl.Field{Type: bxl.TypeFloat64}, "d decimal(3,0)", -2.5, "-3"},
		{"DecimalRounds", bxl.Field{Type: bxl.TypeDecimal, Precision: 10, Scale: 2}, "d decimal(3,1)", dec("1.25", 10, 2), "1.3"},
		{"TextRoundsToDecimal", bxl.Field{Type: bxl.TypeString}, "d decimal(3,1)", " 1.55 ", "1.6"},
		{"TextToInt", bxl.Field{Type: bxl.TypeString}, "n int", " 42 ", "42"},
		{"TextToFloat", bxl.Field{Type: bxl.TypeString}, "x float", "1e3", "1000"},
		{"TextToBit", bxl.Field{Type: bxl.TypeString}, "b bit", "2", "1"},
		{"BitToInt", bxl.Field{Type: bxl.TypeBool}, "n tinyint", true, "1"},
		{"BigIntToFloat", bxl.Field{Type: bxl.TypeInt64}, "x float", int64(1) << 53, "9.007199254740992e+15"},
		{"IntToText", bxl.Field{Type: bxl.TypeInt32}, "s nvarchar(max)", int32(-5), "-5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.Name, c.in.Nullable = "c", true
			in := &bxl.Schema{Fields: []bxl.Field{c.in}}
			s, err := New(decls(t, c.decl), in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := convert(s, batch(t, in, []any{c.v}))
			if err != nil {
				t.Fatal(err)
			}
			f := out.Schema.Fields[0]
			if got := sqltype.Text(f.Type, out.Row(0)[0]); got != c.want {
				t.Errorf("%v as %s = %s, want %s", c.v, c.decl, got, c.want)
			}
		})
	}
}

func TestShaper_NotNullNamesColumnAndRow(t *testing.T) {
	in := &bxl.Schema{Fields: []bxl.Field{{Name: "a", Type: bxl.TypeInt64, Nullable: true}}}
	for _, decl := range []string{"[order id] bigint NOT NULL", "[order id] int NOT NULL"} { // identity and converting paths
		s, err := New(decls(t, decl), in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := convert(s, batch(t, in, []any{int64(1)}, []any{int64(2)})); err != nil {
			t.Fatal(err)
		}
		_, err = convert(s, batch(t, in, []any{int64(3)}, []any{nil}))
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), `column "order id" row 4 is NULL`) {
			t.Errorf("%s: err = %v, want the NULL named at row 4", decl, err)
		}
	}
}

// A narrow batch (bits) shaped into a wide type (text) leaves in bounded
// pieces, in order, with every row.
func TestShaper_WideningIsCutIntoBoundedBatches(t *testing.T) {
	in := &bxl.Schema{Fields: []bxl.Field{{Name: "b", Type: bxl.TypeBool}}}
	bb := bxl.NewBuilder(in)
	const rows = 1 << 20
	for i := 0; i < rows; i++ {
		if err := bb.AppendRow(i%3 == 0); err != nil {
			t.Fatal(err)
		}
	}
	s, err := New(decls(t, "x nvarchar(max)"), in)
	if err != nil {
		t.Fatal(err)
	}
	var got, batches int
	err = s.Convert(bb.Build(), func(b *bxl.Batch) error {
		if sz := len(bxl.AppendBatch(nil, b)); sz > 2*maxShapedBytes {
			t.Errorf("batch of %d bytes", sz)
		}
		for r := 0; r < b.Rows; r++ {
			want := "0"
			if (got+r)%3 == 0 {
				want = "1"
			}
			if v := b.Columns[0].Value(r); v != want {
				t.Fatalf("row %d = %v, want %s", got+r, v, want)
			}
		}
		got += b.Rows
		batches++
		return nil
	})
	if err != nil || got != rows || batches < 2 {
		t.Errorf("Convert: %v, %d rows in %d batches", err, got, batches)
	}
}
