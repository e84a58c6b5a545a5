package resultset

import (
	"errors"
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
	out, err := s.Convert(batch(t, in,
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
	out, err := s.Convert(b)
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
		{"FractionToInt", bxl.Field{Name: "f", Type: bxl.TypeFloat64}, "n int", 1.5, "not a whole number"},
		{"DecimalPrecision", bxl.Field{Name: "f", Type: bxl.TypeFloat64}, "d decimal(4,2)", 123.4, `column "d" row 1`},
		{"BadText", bxl.Field{Name: "s", Type: bxl.TypeString}, "d date", "yesterday", `column "d" row 1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.Nullable = true
			in := &bxl.Schema{Fields: []bxl.Field{c.in}}
			s, err := New(decls(t, c.decl), in)
			if err == nil {
				_, err = s.Convert(batch(t, in, []any{c.value}))
			}
			if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrMismatch mentioning %q", err, c.want)
			}
		})
	}
}
