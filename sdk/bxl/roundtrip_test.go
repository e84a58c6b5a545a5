package bxl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"reflect"
	"testing"
	"time"
)

func mustDec(t testing.TB, s string, p, sc uint8) Decimal {
	t.Helper()
	d, err := ParseDecimal(s, p, sc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustUUID(t testing.TB, s string) UUID {
	t.Helper()
	u, err := ParseUUID(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// sameValue compares decoded values: floats by bits (NaN), times by instant and zone.
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		return ok && math.Float64bits(g) == math.Float64bits(w)
	case float32:
		g, ok := got.(float32)
		return ok && math.Float32bits(g) == math.Float32bits(w)
	case time.Time:
		g, ok := got.(time.Time)
		if !ok || !g.Equal(w) {
			return false
		}
		gn, go_ := g.Zone()
		wn, wo := w.Zone()
		return gn == wn && go_ == wo
	}
	return reflect.DeepEqual(got, want)
}

type rtCase struct {
	name  string
	field Field
	in    []any // appended values; nil is NULL
	want  []any // decoded values; nil entry means NULL; whole slice nil means same as in
}

func roundTripCases(t testing.TB) []rtCase {
	utc := time.UTC
	nepal := time.FixedZone("+05:45", 5*3600+45*60)
	pst := time.FixedZone("-08:00", -8*3600)
	return []rtCase{
		{name: "bool", field: Field{Type: TypeBool}, in: []any{nil, true, false, nil, true, true, true, true, false, nil}},
		{name: "int8", field: Field{Type: TypeInt8}, in: []any{nil, int8(-128), int8(127), nil, int8(0), nil}},
		{name: "int16", field: Field{Type: TypeInt16}, in: []any{nil, int16(math.MinInt16), int16(math.MaxInt16), nil}},
		{name: "int32", field: Field{Type: TypeInt32}, in: []any{nil, int32(math.MinInt32), nil, int32(math.MaxInt32), nil}},
		{name: "int64 extremes", field: Field{Type: TypeInt64},
			in: []any{nil, int64(math.MinInt64), int64(math.MaxInt64), nil, int64(1<<53 + 1), int64(-(1<<53 + 3)), nil}},
		{name: "float32", field: Field{Type: TypeFloat32},
			in: []any{nil, float32(1.5), float32(math.Inf(-1)), nil, float32(math.NaN()), nil}},
		{name: "float64 nan inf", field: Field{Type: TypeFloat64},
			in: []any{nil, math.NaN(), math.Inf(1), nil, math.Inf(-1), math.Copysign(0, -1), math.MaxFloat64, math.SmallestNonzeroFloat64, nil}},
		{name: "decimal 38 extremes", field: Field{Type: TypeDecimal, Precision: 38, Scale: 10},
			in: []any{nil, "9999999999999999999999999999.9999999999", "-9999999999999999999999999999.9999999999", nil,
				"-0.0000000001", "0", "-123.45", nil},
			want: []any{nil, mustDec(t, "9999999999999999999999999999.9999999999", 38, 10),
				mustDec(t, "-9999999999999999999999999999.9999999999", 38, 10), nil,
				mustDec(t, "-0.0000000001", 38, 10), Decimal{Scale: 10}, mustDec(t, "-123.45", 38, 10), nil}},
		{name: "decimal 38 scale 0", field: Field{Type: TypeDecimal, Precision: 38},
			in:   []any{"-99999999999999999999999999999999999999", int64(math.MinInt64), nil},
			want: []any{mustDec(t, "-99999999999999999999999999999999999999", 38, 0), mustDec(t, "-9223372036854775808", 38, 0), nil}},
		{name: "string unicode", field: Field{Type: TypeString},
			in: []any{nil, "", "héllo", nil, "😀🎉", "漢字かな", "", "a\x00b", nil}},
		{name: "binary zeros", field: Field{Type: TypeBinary},
			in: []any{nil, []byte{0, 0, 0}, []byte{}, nil, []byte{0xff, 0, 0xfe}, nil}},
		{name: "date before 1970", field: Field{Type: TypeDate},
			in: []any{nil, time.Date(1969, 12, 31, 0, 0, 0, 0, utc), time.Date(1, 1, 1, 0, 0, 0, 0, utc), nil,
				time.Date(9999, 12, 31, 0, 0, 0, 0, utc), time.Date(1900, 2, 28, 0, 0, 0, 0, utc), nil}},
		{name: "time edges", field: Field{Type: TypeTime},
			in: []any{nil, time.Duration(0), 24*time.Hour - time.Microsecond, nil, 13*time.Hour + 5*time.Microsecond, nil}},
		{name: "datetime micros", field: Field{Type: TypeDateTime},
			in: []any{nil, time.Date(2024, 2, 29, 23, 59, 59, 999999000, utc), time.Date(1950, 6, 1, 12, 0, 0, 1000, utc), nil,
				time.Date(1969, 12, 31, 23, 59, 59, 999999000, utc), nil}},
		{name: "datetimeoffset zones", field: Field{Type: TypeDateTimeOffset},
			in: []any{nil, time.Date(2024, 1, 2, 3, 4, 5, 6000, nepal), time.Date(1960, 7, 1, 0, 0, 0, 0, pst), nil,
				time.Date(2000, 1, 1, 0, 0, 0, 0, time.FixedZone("+00:00", 0)), nil}},
		{name: "uuid", field: Field{Type: TypeUUID},
			in:   []any{nil, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", mustUUID(t, "{00000000-0000-0000-0000-000000000001}"), nil},
			want: []any{nil, mustUUID(t, "6ba7b810-9dad-11d1-80b4-00c04fd430c8"), mustUUID(t, "00000000-0000-0000-0000-000000000001"), nil}},
	}
}

func TestBatch_RoundTripEveryType(t *testing.T) {
	for _, tc := range roundTripCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.field
			f.Name, f.Nullable = "c", true
			s := &Schema{Fields: []Field{f}}
			b := NewBuilder(s)
			for i, v := range tc.in {
				if err := b.AppendRow(v); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
			}
			batch := b.Build()
			want := tc.want
			if want == nil {
				want = tc.in
			}
			check := func(t *testing.T, got *Batch) {
				t.Helper()
				if got.Rows != len(want) {
					t.Fatalf("rows = %d, want %d", got.Rows, len(want))
				}
				for i, w := range want {
					if g := got.Columns[0].Value(i); !sameValue(g, w) {
						t.Errorf("row %d = %#v (%v), want %#v (%v)", i, g, g, w, w)
					}
					if got.Columns[0].IsNull(i) != (w == nil) {
						t.Errorf("row %d: IsNull = %v", i, got.Columns[0].IsNull(i))
					}
				}
			}
			check(t, batch)
			// Through the wire format.
			sp := AppendSchema(nil, s)
			s2, err := DecodeSchema(sp)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s2, s) {
				t.Fatalf("schema round trip: %+v != %+v", s2, s)
			}
			p := AppendBatch(nil, batch)
			got, err := DecodeBatch(p, s2)
			if err != nil {
				t.Fatal(err)
			}
			check(t, got)
			// Re-encoding a decoded batch is byte-identical.
			if p2 := AppendBatch(nil, got); !bytes.Equal(p, p2) {
				t.Fatal("re-encoded batch differs")
			}
		})
	}
}

func TestBatch_EmptyAndZeroColumn(t *testing.T) {
	s := &Schema{Fields: []Field{{Name: "s", Type: TypeString}, {Name: "i", Type: TypeInt64, Nullable: true}}}
	empty := NewBuilder(s).Build()
	p := AppendBatch(nil, empty)
	got, err := DecodeBatch(p, s)
	if err != nil || got.Rows != 0 || len(got.Columns) != 2 {
		t.Fatalf("empty batch: %v %+v", err, got)
	}
	zero := &Schema{}
	zb := NewBuilder(zero)
	for range 3 {
		if err := zb.AppendRow(); err != nil {
			t.Fatal(err)
		}
	}
	p = AppendBatch(nil, zb.Build())
	if len(p) != 8 {
		t.Fatalf("zero-column batch is %d bytes, want 8", len(p))
	}
	got, err = DecodeBatch(p, zero)
	if err != nil || got.Rows != 3 || len(got.Columns) != 0 {
		t.Fatalf("zero-column batch: %v %+v", err, got)
	}
	if s2, err := DecodeSchema(AppendSchema(nil, zero)); err != nil || len(s2.Fields) != 0 {
		t.Fatalf("zero-field schema: %v", err)
	}
}

func TestParams_RoundTrip(t *testing.T) {
	s := &Schema{Fields: []Field{
		{Name: "n", Type: TypeInt32, Nullable: true},
		{Name: "out", Type: TypeString, Nullable: true, Output: true},
		{Name: "d", Type: TypeDecimal, Precision: 5, Scale: 2, Nullable: true},
	}}
	b := NewBuilder(s)
	if err := b.AppendRow(int32(7), nil, "-1.5"); err != nil {
		t.Fatal(err)
	}
	p := AppendParams([]byte("xyz"), s, b.Build())[3:] // a prefix must not change the block
	gs, gb, err := DecodeParams(p)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gs, s) {
		t.Fatalf("schema %+v", gs)
	}
	if got := gb.Row(0); !reflect.DeepEqual(got, []any{int32(7), nil, mustDec(t, "-1.50", 5, 2)}) {
		t.Fatalf("row = %#v", got)
	}
	// Zero params.
	gs, gb, err = DecodeParams(AppendParams(nil, &Schema{}, nil))
	if err != nil || len(gs.Fields) != 0 || gb.Rows != 0 {
		t.Fatalf("empty params: %v", err)
	}
}

func TestDict_RoundTripAndMessages(t *testing.T) {
	kv := [][2]string{{"a_b", "x"}, {"c1", ""}, {"unicode", "日本 😀"}}
	got, err := DecodeDict(AppendDict(nil, kv))
	if err != nil || !reflect.DeepEqual(got, kv) {
		t.Fatalf("dict: %v %v", got, err)
	}
	h := JobHeader{JobID: "j1", Language: "Python", Script: "print(1)\n"}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	if err := w.WriteHello(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteJob(h); err != nil {
		t.Fatal(err)
	}
	se := &ScriptError{Kind: ErrorKindScript, Type: "ZeroDivisionError", Message: "division by zero\nmore", Traceback: "tb", Line: 3, Column: "x"}
	if err := w.WriteError(se); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEnd(0); !errors.Is(err, ErrWriterDone) {
		t.Fatalf("write after ERROR: %v", err)
	}
	r := NewReader(&buf, 0)
	typ, p, err := r.Next()
	if err != nil || typ != FrameHello || CheckHello(p) != nil {
		t.Fatalf("hello: %v %v", typ, err)
	}
	_, p, _ = r.Next()
	gh, err := DecodeJob(p)
	h.InputName, h.OutputName = DefaultInputName, DefaultOutputName
	if err != nil || gh != h {
		t.Fatalf("job = %+v, %v", gh, err)
	}
	typ, p, _ = r.Next()
	ge, err := DecodeError(p)
	if err != nil || typ != FrameError || !reflect.DeepEqual(ge, se) {
		t.Fatalf("error = %+v, %v", ge, err)
	}
	if want := `script error: ZeroDivisionError: division by zero more (line 3) (column "x")`; ge.Error() != want {
		t.Fatalf("Error() = %q, want %q", ge.Error(), want)
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Fatalf("after ERROR: %v", err)
	}
}

func TestDecimal_ParseAndFormat(t *testing.T) {
	tests := []struct {
		in      string
		p, s    uint8
		want    string
		wantErr bool
	}{
		{"123.45", 10, 4, "123.4500", false},
		{"-0.5", 3, 1, "-0.5", false},
		{"-0", 3, 1, "0.0", false},
		{"+7", 1, 0, "7", false},
		{".5", 2, 2, "0.50", false},
		{"0001.2300", 5, 2, "1.23", false},
		{"1.234", 10, 2, "", true}, // would round
		{"12345", 4, 0, "", true},  // exceeds precision
		{"123.4", 4, 2, "", true},  // 3 integer digits > p-s
		{"1e5", 10, 0, "", true},   // no exponents
		{"", 10, 0, "", true},      //
		{"-", 10, 0, "", true},     //
		{"1.2.3", 10, 2, "", true}, //
		{"1", 39, 0, "", true},     // bad precision
		{"99999999999999999999999999999999999999", 38, 0, "99999999999999999999999999999999999999", false},
		{"999999999999999999999999999999999999999", 38, 0, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			d, err := ParseDecimal(tc.in, tc.p, tc.s)
			if tc.wantErr {
				if !errors.Is(err, ErrDecimal) {
					t.Fatalf("err = %v, want ErrDecimal", err)
				}
				return
			}
			if err != nil || d.String() != tc.want {
				t.Fatalf("= %q, %v; want %q", d.String(), err, tc.want)
			}
			if bd, err := DecimalFromBig(d.Big(), d.Scale); err != nil || bd != d {
				t.Fatalf("big round trip %v %v", bd, err)
			}
		})
	}
	minI128 := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 127))
	d, err := DecimalFromBig(minI128, 0)
	if err != nil || d.Big().Cmp(minI128) != 0 || d.String() != "-170141183460469231731687303715884105728" {
		t.Fatalf("min int128: %v %v", d, err)
	}
	if _, err := DecimalFromBig(new(big.Int).Lsh(big.NewInt(1), 127), 0); !errors.Is(err, ErrDecimal) {
		t.Fatalf("2^127 accepted: %v", err)
	}
	if _, err := DecimalFromBig(new(big.Int).Sub(minI128, big.NewInt(1)), 0); !errors.Is(err, ErrDecimal) {
		t.Fatalf("-2^127-1 accepted: %v", err)
	}
}

func TestUUID_ParseForms(t *testing.T) {
	want := "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
	for _, in := range []string{want, "6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "{" + want + "}", "urn:uuid:" + want, "6ba7b8109dad11d180b400c04fd430c8"} {
		u, err := ParseUUID(in)
		if err != nil || u.String() != want {
			t.Errorf("%q: %v %v", in, u, err)
		}
	}
	if u := mustUUID(t, want); u[0] != 0x6b || u[15] != 0xc8 {
		t.Errorf("byte order: % x", u[:])
	}
	for _, in := range []string{"", "6ba7b810-9dad-11d1-80b4-00c04fd430c", "6ba7b810x9dad-11d1-80b4-00c04fd430c8", "zba7b810-9dad-11d1-80b4-00c04fd430c8"} {
		if _, err := ParseUUID(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestType_NamesRoundTrip(t *testing.T) {
	for ty := TypeBool; ty <= TypeUUID; ty++ {
		got, err := ParseType(ty.String())
		if err != nil || got != ty || !ty.Valid() {
			t.Errorf("%v: %v %v", ty, got, err)
		}
	}
	if Type(0).Valid() || Type(16).Valid() {
		t.Error("invalid codes reported valid")
	}
	if _, err := ParseType("varchar"); err == nil {
		t.Error("unknown name accepted")
	}
	if TypeDateTimeOffset.String() != "datetimeoffset" || FrameBatch.String() != "BATCH" {
		t.Error("names")
	}
}

func TestColumn_ValueZone(t *testing.T) {
	s := &Schema{Fields: []Field{{Name: "t", Type: TypeDateTimeOffset}}}
	b := NewBuilder(s)
	in := time.Date(2024, 5, 6, 7, 8, 9, 0, time.FixedZone("Asia/Kathmandu", 345*60))
	if err := b.AppendRow(in); err != nil {
		t.Fatal(err)
	}
	got := b.Build().Columns[0].Value(0).(time.Time)
	if name, off := got.Zone(); name != "+05:45" || off != 345*60 || !got.Equal(in) {
		t.Fatalf("got %v zone %q %d", got, name, off)
	}
	if fmt.Sprint(got.Format(time.RFC3339)) != "2024-05-06T07:08:09+05:45" {
		t.Fatal(got.Format(time.RFC3339))
	}
}
