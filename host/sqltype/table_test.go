package sqltype

import (
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// everyType lists every BXL type; the table must know each.
var everyType = []bxl.Type{
	bxl.TypeBool, bxl.TypeInt8, bxl.TypeInt16, bxl.TypeInt32, bxl.TypeInt64, bxl.TypeFloat32, bxl.TypeFloat64,
	bxl.TypeDecimal, bxl.TypeString, bxl.TypeBinary, bxl.TypeDate, bxl.TypeTime, bxl.TypeDateTime,
	bxl.TypeDateTimeOffset, bxl.TypeUUID,
}

func field(t bxl.Type) bxl.Field {
	f := bxl.Field{Name: "c", Type: t, Nullable: true}
	if t == bxl.TypeDecimal {
		f.Precision, f.Scale = 12, 3
	}
	return f
}

// widened is the type a created column reads back as: SQLite stores every
// integer as int64 and every float as a double; SQL Server has no int8 and no
// unsigned tinyint.
func widened(t bxl.Type, sqlite bool) bxl.Type {
	switch {
	case sqlite && (t == bxl.TypeInt8 || t == bxl.TypeInt16 || t == bxl.TypeInt32):
		return bxl.TypeInt64
	case sqlite && t == bxl.TypeFloat32:
		return bxl.TypeFloat64
	case !sqlite && t == bxl.TypeInt8:
		return bxl.TypeInt16
	}
	return t
}

func TestTable_DeclarationsReadBack(t *testing.T) {
	for _, typ := range everyType {
		f := field(typ)
		t.Run(typ.String(), func(t *testing.T) {
			d, err := SQLiteDecl(f)
			if err != nil {
				t.Fatal(err)
			}
			back, known, err := SQLiteField("c", d)
			if err != nil || !known || back.Type != widened(typ, true) || back.Precision != f.Precision || back.Scale != f.Scale {
				t.Errorf("SQLite %q reads back as %+v known=%v err=%v", d, back, known, err)
			}
			ms, err := SQLServerDecl(f)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := ParseColumns("c " + ms[:len(ms)-len(" NULL")])
			if err != nil {
				t.Fatalf("SQL Server %q does not parse: %v", ms, err)
			}
			if got := ds[0].Field; got.Type != widened(typ, false) || got.Precision != f.Precision || got.Scale != f.Scale {
				t.Errorf("SQL Server %q reads back as %+v", ms, got)
			}
		})
	}
}

func TestTable_NotNullDeclarations(t *testing.T) {
	f := field(bxl.TypeInt32)
	f.Nullable = false
	if d, _ := SQLServerDecl(f); d != "int NOT NULL" {
		t.Errorf("SQL Server: %q", d)
	}
	if d, _ := SQLiteDecl(f); d != "INT NOT NULL" {
		t.Errorf("SQLite: %q", d)
	}
	bad := field(bxl.TypeDecimal)
	bad.Precision = 39
	if _, err := SQLServerDecl(bad); err == nil {
		t.Error("decimal(39,3) declared")
	}
	if _, err := SQLServerDecl(bxl.Field{Type: bxl.Type(99)}); err == nil {
		t.Error("unknown BXL type declared")
	}
}

func TestTable_TextAndParseAgree(t *testing.T) {
	dec, _ := bxl.ParseDecimal("-12.5", 12, 3)
	u, _ := bxl.ParseUUID("6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	zone := time.FixedZone("", 5*3600+45*60)
	cases := []struct {
		t    bxl.Type
		v    any
		text string
	}{
		{bxl.TypeBool, true, "1"},
		{bxl.TypeInt8, int8(-7), "-7"},
		{bxl.TypeInt64, int64(1) << 62, "4611686018427387904"},
		{bxl.TypeFloat32, float32(0.1), "0.1"},
		{bxl.TypeFloat64, 1e300, "1e+300"},
		{bxl.TypeDecimal, dec, "-12.500"},
		{bxl.TypeString, "zß", "zß"},
		{bxl.TypeBinary, []byte{0x0a, 0xff}, "0x0AFF"},
		{bxl.TypeDate, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "2024-02-29"},
		{bxl.TypeTime, 13*time.Hour + 5*time.Second + 120*time.Microsecond, "13:00:05.00012"},
		{bxl.TypeDateTime, time.Date(1, 1, 1, 0, 0, 0, 1000, time.UTC), "0001-01-01 00:00:00.000001"},
		{bxl.TypeDateTimeOffset, time.Date(2024, 1, 31, 13, 45, 0, 0, zone), "2024-01-31 13:45:00 +05:45"},
		{bxl.TypeUUID, u, "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
	}
	for _, c := range cases {
		t.Run(c.t.String(), func(t *testing.T) {
			if got := Text(c.t, c.v); got != c.text {
				t.Errorf("Text = %q, want %q", got, c.text)
			}
			back, err := ParseValue(field(c.t), c.text)
			if err != nil {
				t.Fatalf("ParseValue(%q): %v", c.text, err)
			}
			if Text(c.t, back) != c.text {
				t.Errorf("ParseValue(%q) = %v, prints as %q", c.text, back, Text(c.t, back))
			}
		})
	}
}

func TestTable_CanCast(t *testing.T) {
	cases := []struct {
		from, to bxl.Type
		want     bool
	}{
		// One row per cast, spelled out so a failure names the pair of types.
		{bxl.TypeFloat64, bxl.TypeInt32, true},
		{bxl.TypeBool, bxl.TypeDecimal, true},
		{bxl.TypeString, bxl.TypeDate, true},
		{bxl.TypeDateTime, bxl.TypeString, true},
		{bxl.TypeDate, bxl.TypeDateTimeOffset, true},
		{bxl.TypeBinary, bxl.TypeString, false},
		{bxl.TypeString, bxl.TypeBinary, false},
		{bxl.TypeTime, bxl.TypeDateTime, false},
		{bxl.TypeDateTimeOffset, bxl.TypeTime, true},
		{bxl.TypeDate, bxl.TypeTime, false},
		{bxl.TypeUUID, bxl.TypeInt64, false},
		{bxl.TypeInt32, bxl.TypeDate, false},
		{bxl.TypeUUID, bxl.TypeUUID, true},
	}
	for _, c := range cases {
		if got := CanCast(c.from, c.to); got != c.want {
			t.Errorf("CanCast(%s, %s) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
	for _, typ := range everyType {
		if _, ok := kinds[typ]; !ok {
			t.Errorf("the type table has no entry for %s", typ)
		}
	}
}
