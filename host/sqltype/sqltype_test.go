package sqltype

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

func TestParseParams_Declarations(t *testing.T) {
	ds, err := ParseParams("@n int, @msg nvarchar(100) OUTPUT, @amount decimal(10, 2), @blob varbinary(max) OUT, @f float(24)")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name   string
		typ    bxl.Type
		output bool
		length int
		p, s   uint8
	}{
		{"n", bxl.TypeInt32, false, 0, 0, 0},
		{"msg", bxl.TypeString, true, 100, 0, 0},
		{"amount", bxl.TypeDecimal, false, 0, 10, 2},
		{"blob", bxl.TypeBinary, true, -1, 0, 0},
		{"f", bxl.TypeFloat32, false, 0, 0, 0},
	}
	if len(ds) != len(want) {
		t.Fatalf("got %d decls, want %d", len(ds), len(want))
	}
	for i, w := range want {
		d := ds[i]
		if d.Name != w.name || d.Field.Type != w.typ || d.Field.Output != w.output || d.Length != w.length ||
			d.Field.Precision != w.p || d.Field.Scale != w.s || !d.Field.Nullable || d.Field.Name != w.name {
			t.Errorf("decl %d = %+v, want %+v", i, d, w)
		}
	}
}

func TestParseParams_Refuses(t *testing.T) {
	cases := map[string]string{
		"NoAt":             "n int",
		"NoType":           "@n",
		"BadName":          "@1n int",
		"Duplicate":        "@n int, @N bigint",
		"UnknownType":      "@g geography",
		"DecimalTooWide":   "@d decimal(39,2)",
		"ScaleAbovePrec":   "@d decimal(5,6)",
		"FloatOutOfRange":  "@f float(54)",
		"Garbage":          "@n int; DROP TABLE x",
		"UnbalancedParens": "@d decimal(10,2",
	}
	wantRefused(t, "ParseParams", cases, ParseParams)
}

// wantRefused runs each named declaration through parse, which must refuse
// it with ErrBadDeclaration.
func wantRefused[T any](t *testing.T, what string, cases map[string]string, parse func(string) (T, error)) {
	t.Helper()
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if got, err := parse(in); !errors.Is(err, ErrBadDeclaration) {
				t.Errorf("%s(%q) = %+v, %v; want ErrBadDeclaration", what, in, got, err)
			}
		})
	}
}

func TestParseColumns_AllowsBracketsNotOutput(t *testing.T) {
	ds, err := ParseColumns("[id] bigint, score float")
	if err != nil || len(ds) != 2 || ds[0].Name != "id" || ds[1].Field.Type != bxl.TypeFloat64 {
		t.Fatalf("got %+v, %v", ds, err)
	}
	if _, err := ParseColumns("x int OUTPUT"); err == nil {
		t.Error("OUTPUT accepted in a result schema")
	}
}

func TestParseValue_Types(t *testing.T) {
	field := func(decl string) bxl.Field {
		ds, err := ParseParams("@p " + decl)
		if err != nil {
			t.Fatal(err)
		}
		return ds[0].Field
	}
	ist := time.FixedZone("", 5*3600+45*60)
	cases := []struct {
		decl, text string
		want       any
	}{
		{"bit", "true", true},
		{"tinyint", "255", int16(255)},
		{"bigint", "9007199254740993", int64(9007199254740993)},
		{"real", "1.5", float32(1.5)},
		{"nvarchar(5)", " keep spaces ", " keep spaces "},
		{"varbinary(4)", "0x00ff", []byte{0, 255}},
		{"date", "2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"time", "23:59:59.999999", 23*time.Hour + 59*time.Minute + 59*time.Second + 999999*time.Microsecond},
		{"datetime2", "2024-02-29 13:45:00.5", time.Date(2024, 2, 29, 13, 45, 0, 500000000, time.UTC)},
		{"datetimeoffset", "2024-02-29T13:45:00+05:45", time.Date(2024, 2, 29, 13, 45, 0, 0, ist)},
	}
	for _, c := range cases {
		got, err := ParseValue(field(c.decl), c.text)
		if err != nil {
			t.Errorf("%s %q: %v", c.decl, c.text, err)
			continue
		}
		if tm, ok := c.want.(time.Time); ok {
			if g, ok := got.(time.Time); !ok || !g.Equal(tm) {
				t.Errorf("%s %q = %v, want %v", c.decl, c.text, got, tm)
			}
			continue
		}
		if !equal(got, c.want) {
			t.Errorf("%s %q = %#v, want %#v", c.decl, c.text, got, c.want)
		}
	}
	d, err := ParseValue(field("decimal(10,2)"), "-12.5")
	if err != nil || d.(bxl.Decimal).String() != "-12.50" {
		t.Errorf("decimal = %v, %v", d, err)
	}
}

func equal(a, b any) bool {
	if ab, ok := a.([]byte); ok {
		bb, ok := b.([]byte)
		return ok && string(ab) == string(bb)
	}
	return a == b
}

func TestParseValue_RefusesWithName(t *testing.T) {
	f := bxl.Field{Name: "n", Type: bxl.TypeInt16}
	for _, text := range []string{"40000", "1.5", "abc", ""} {
		_, err := ParseValue(f, text)
		if !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), "n int16") {
			t.Errorf("ParseValue(%q) err = %v", text, err)
		}
	}
}

// Declarations and values come from callers: no input may panic.
func FuzzParseParams(f *testing.F) {
	for _, s := range []string{"@n int, @msg nvarchar(100) OUTPUT", "@d decimal(38,10)", "@x float(53) OUT", "", "@"} {
		f.Add(s, "42")
	}
	f.Fuzz(func(t *testing.T, decl, value string) {
		ds, err := ParseParams(decl)
		if err != nil {
			return
		}
		for _, d := range ds {
			v, err := ParseValue(d.Field, value)
			if err != nil {
				continue
			}
			b := bxl.NewBuilder(&bxl.Schema{Fields: []bxl.Field{d.Field}})
			if err := b.AppendRow(v); err != nil {
				t.Fatalf("parsed value %#v for %s is refused by the builder: %v", v, d.SQLType, err)
			}
		}
	})
}

func TestParseColumns_TSQLSyntax(t *testing.T) {
	ds, err := ParseColumns(`[order id] int NOT NULL, "Unit Price" decimal (10, 2) NULL,
		name nvarchar(max) COLLATE Latin1_General_CI_AS NOT NULL, [a]]b] float(53), c char(20),
		at datetime2(7), x double precision, y national character varying(30), z varbinary(max)`)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name     string
		sqlType  string
		typ      bxl.Type
		nullable bool
		length   int
	}{
		{"order id", "int", bxl.TypeInt32, false, 0},
		{"Unit Price", "decimal(10,2)", bxl.TypeDecimal, true, 0},
		{"name", "nvarchar(max)", bxl.TypeString, false, -1},
		{"a]b", "float(53)", bxl.TypeFloat64, true, 0},
		{"c", "char(20)", bxl.TypeString, true, 20},
		{"at", "datetime2(7)", bxl.TypeDateTime, true, 0},
		{"x", "float", bxl.TypeFloat64, true, 0},
		{"y", "nvarchar(30)", bxl.TypeString, true, 30},
		{"z", "varbinary(max)", bxl.TypeBinary, true, -1},
	}
	if len(ds) != len(want) {
		t.Fatalf("got %d columns, want %d: %+v", len(ds), len(want), ds)
	}
	// Like TestParseParams_Declarations' loop, over a column's own fields
	// (SQLType, Nullable): two short loops read better than a generic one.
	for i, w := range want {
		d := ds[i]
		if d.Name != w.name || d.SQLType != w.sqlType || d.Field.Type != w.typ || d.Field.Nullable != w.nullable ||
			d.Length != w.length || d.Field.Name != w.name {
			t.Errorf("column %d = %+v, want %+v", i, d, w)
		}
	}
}

// Table of refusals like the accepted-columns table above: each case is one input and its reason.
func TestParseColumns_RefusesWithReason(t *testing.T) {
	cases := map[string]string{
		"NotWithoutNull":   "a int NOT",
		"NullTwice":        "a int NULL NOT NULL",
		"CollateNoName":    "a nvarchar(10) COLLATE",
		"UnclosedBracket":  "[a int",
		"EmptyName":        "[] int",
		"SpaceInPlainName": "order id int",
		"Output":           "a int OUTPUT",
		"MaxTwoArgs":       "a varchar(max, 2)",
		"ThreeArgs":        "a decimal(10,2,1)",
		"TrailingComma":    "a int,",
		"UnknownWord":      "a int IDENTITY",
	}
	wantRefused(t, "ParseColumns", cases, ParseColumns)
	if _, err := ParseParams("@a int NOT NULL"); !errors.Is(err, ErrBadDeclaration) {
		t.Errorf("NOT NULL accepted on a param: %v", err)
	}
}

func FuzzParseColumns(f *testing.F) {
	for _, s := range []string{`[order id] int NOT NULL, "b" decimal(10,2) COLLATE x`, "a double precision", "[a]]", `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ds, err := ParseColumns(s)
		if err != nil {
			return
		}
		for _, d := range ds {
			if d.Name == "" || d.Field.Name != d.Name {
				t.Fatalf("column without its name: %+v", d)
			}
		}
	})
}
