package bxl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// rawBatch lays out a batch like the encoder but without any shape check, so
// tests can build payloads that break one rule at a time.
func rawBatch(rows uint32, bufs [][]byte) []byte {
	p := binary.LittleEndian.AppendUint32(nil, rows)
	p = binary.LittleEndian.AppendUint32(p, uint32(len(bufs)))
	pos := align8(8 + 16*len(bufs))
	for _, b := range bufs {
		p = binary.LittleEndian.AppendUint64(p, uint64(pos))
		p = binary.LittleEndian.AppendUint64(p, uint64(len(b)))
		pos += align8(len(b))
	}
	p = padTo8(p, 0)
	for _, b := range bufs {
		p = append(p, b...)
		p = padTo8(p, 0)
	}
	return p
}

func rejectSchema() *Schema {
	return &Schema{Fields: []Field{
		{Name: "i", Type: TypeInt32},
		{Name: "s", Type: TypeString, Nullable: true},
		{Name: "b", Type: TypeBool},
		{Name: "t", Type: TypeTime, Nullable: true},
		{Name: "z", Type: TypeDateTimeOffset, Nullable: true},
		{Name: "d", Type: TypeDecimal, Precision: 5, Scale: 2, Nullable: true},
	}}
}

// rejectBase returns the buffers of a valid 3-row batch of rejectSchema.
func rejectBase(t *testing.T) [][]byte {
	t.Helper()
	b := NewBuilder(rejectSchema())
	rows := [][]any{
		{int32(1), "é", true, time.Duration(0), time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("", 345*60)), "1.00"},
		{int32(2), nil, false, nil, nil, nil},
		{int32(3), "x", true, time.Hour, time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("", -480*60)), "-999.99"},
	}
	for _, r := range rows {
		if err := b.AppendRow(r...); err != nil {
			t.Fatal(err)
		}
	}
	var bufs [][]byte
	for _, c := range b.Build().Columns {
		bufs = append(bufs, append([]byte{}, c.Validity...))
		for _, x := range c.Buffers {
			bufs = append(bufs, append([]byte{}, x...))
		}
	}
	return bufs
}

// Buffer indexes in rejectBase.
const (
	bufIntValidity = 0
	bufIntValues   = 1
	bufStrValidity = 2
	bufStrOffsets  = 3
	bufStrData     = 4
	bufBoolValues  = 6
	bufTimeValues  = 8
	bufDtoValues   = 10
	bufDtoOffsets  = 11
	bufDecValues   = 13
)

func tableEntry(p []byte, k int) (off, ln []byte) {
	return p[8+16*k : 16+16*k], p[16+16*k : 24+16*k]
}

func TestDecodeBatch_RejectsEachBrokenRule(t *testing.T) {
	base := rejectBase(t)
	if _, err := DecodeBatch(rawBatch(3, base), rejectSchema()); err != nil {
		t.Fatalf("base batch rejected: %v", err)
	}
	clone := func() [][]byte {
		out := make([][]byte, len(base))
		for i, b := range base {
			out[i] = append([]byte{}, b...)
		}
		return out
	}
	put32 := func(b []byte, i int, v uint32) { binary.LittleEndian.PutUint32(b[4*i:], v) }
	tests := []struct {
		name    string
		payload func() []byte
		schema  *Schema
		want    string
	}{
		{"short header", func() []byte { return []byte{3, 0, 0} }, nil, "truncated row count"},
		{"buffer count", func() []byte { return rawBatch(3, clone()[:13]) }, nil, "buffer count 13, schema needs 14"},
		{"truncated table", func() []byte { return rawBatch(3, clone())[:40] }, nil, "truncated buffer table"},
		{"row count vs values", func() []byte { return rawBatch(4, clone()) }, nil, `column 0 ("i", int32): values buffer is 12 bytes, want 16`},
		{"misaligned offset", func() []byte {
			p := rawBatch(3, clone())
			off, _ := tableEntry(p, bufIntValues)
			binary.LittleEndian.PutUint64(off, binary.LittleEndian.Uint64(off)+4)
			return p
		}, nil, "buffer 1 offset 236 is not a multiple of 8"},
		{"overlap", func() []byte {
			p := rawBatch(3, clone())
			prev, _ := tableEntry(p, bufIntValues)
			off, _ := tableEntry(p, bufStrValidity)
			copy(off, prev)
			return p
		}, nil, "buffer 2 at offset 232 overlaps"},
		{"buffer before table end", func() []byte {
			p := rawBatch(3, clone())
			off, _ := tableEntry(p, 0)
			binary.LittleEndian.PutUint64(off, 8)
			return p
		}, nil, "buffer 0 at offset 8 overlaps the header"},
		{"out of bounds", func() []byte {
			p := rawBatch(3, clone())
			_, ln := tableEntry(p, bufDecValues)
			binary.LittleEndian.PutUint64(ln, 1<<63)
			return p
		}, nil, "lies outside the"},
		{"offset beyond payload", func() []byte {
			p := rawBatch(3, clone())
			off, _ := tableEntry(p, bufDecValues)
			binary.LittleEndian.PutUint64(off, 1<<40)
			return p
		}, nil, "lies outside the"},
		{"non-zero padding", func() []byte {
			p := rawBatch(3, clone())
			off, _ := tableEntry(p, bufIntValues)
			p[binary.LittleEndian.Uint64(off)+12] = 1 // 12 value bytes, then padding
			return p
		}, nil, "non-zero padding before buffer 2"},
		{"non-zero trailing bytes", func() []byte { return append(rawBatch(3, clone()), 0, 0, 1) }, nil, "non-zero bytes after the last buffer"},
		{"validity length", func() []byte {
			b := clone()
			b[bufStrValidity] = append(b[bufStrValidity], 0xff)
			return rawBatch(3, b)
		}, nil,
			`column 1 ("s", string): validity bitmap is 2 bytes, want 0 or 1`},
		{"null in non-nullable", func() []byte { b := clone(); b[bufIntValidity] = []byte{0b101}; return rawBatch(3, b) }, nil,
			"NULL at row 1 in a non-nullable field"},
		{"bool bitmap length", func() []byte { b := clone(); b[bufBoolValues] = nil; return rawBatch(3, b) }, nil,
			`column 2 ("b", bool): values bitmap is 0 bytes, want 1`},
		{"offsets length", func() []byte { b := clone(); b[bufStrOffsets] = b[bufStrOffsets][:12]; return rawBatch(3, b) }, nil,
			"offsets buffer is 12 bytes, want 16"},
		{"first offset", func() []byte { b := clone(); put32(b[bufStrOffsets], 0, 1); return rawBatch(3, b) }, nil, "first offset is 1"},
		{"offsets decrease", func() []byte {
			b := clone()
			put32(b[bufStrOffsets], 2, 1) // 0 2 1 3
			return rawBatch(3, b)
		}, nil, "offset 2 (1) is below offset 1 (2)"},
		{"offset beyond data", func() []byte { b := clone(); put32(b[bufStrOffsets], 1, 9); return rawBatch(3, b) }, nil, "offset 1 (9) beyond the 3 data bytes"},
		{"last offset short of data", func() []byte { b := clone(); b[bufStrData] = append(b[bufStrData], 'y'); return rawBatch(3, b) }, nil,
			"last offset 3 does not equal the data length 4"},
		{"invalid utf8", func() []byte { b := clone(); b[bufStrData][2] = 0xff; return rawBatch(3, b) }, nil, "not valid UTF-8"},
		{"offset splits utf8", func() []byte {
			b := clone()
			put32(b[bufStrOffsets], 1, 1)
			put32(b[bufStrOffsets], 2, 1)
			return rawBatch(3, b)
		}, nil,
			"offset 1 (1) splits a UTF-8 sequence"},
		{"time too large", func() []byte {
			b := clone()
			binary.LittleEndian.PutUint64(b[bufTimeValues][16:], microsPerDay)
			return rawBatch(3, b)
		}, nil, "row 2: time 86400000000"},
		{"time negative", func() []byte {
			b := clone()
			binary.LittleEndian.PutUint64(b[bufTimeValues], ^uint64(0))
			return rawBatch(3, b)
		}, nil, "row 0: time -1"},
		{"dto offset range", func() []byte {
			b := clone()
			binary.LittleEndian.PutUint16(b[bufDtoOffsets][4:], 841)
			return rawBatch(3, b)
		}, nil, "row 2: zone offset 841 minutes"},
		{"dto offsets length", func() []byte { b := clone(); b[bufDtoOffsets] = b[bufDtoOffsets][:4]; return rawBatch(3, b) }, nil,
			`column 4 ("z", datetimeoffset): offsets buffer is 4 bytes, want 6`},
		{"dto values length", func() []byte { b := clone(); b[bufDtoValues] = b[bufDtoValues][:16]; return rawBatch(3, b) }, nil,
			"values buffer is 16 bytes, want 24"},
		{"decimal precision", func() []byte {
			b := clone()
			binary.LittleEndian.PutUint64(b[bufDecValues], 100000)
			return rawBatch(3, b)
		}, nil, "row 0: value 1000.00 exceeds precision 5"},
		{"no schema", func() []byte { return rawBatch(3, clone()) }, &Schema{Fields: []Field{{Type: 99}}}, "unknown type code 99"},
		{"string data without offsets", func() []byte {
			return rawBatch(0, [][]byte{nil, nil, []byte("x")})
		}, &Schema{Fields: []Field{{Name: "s", Type: TypeString}}}, "1 data bytes without offsets"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.schema
			if s == nil {
				s = rejectSchema()
			}
			_, err := DecodeBatch(tc.payload(), s)
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("err = %v, want ErrProtocol", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %q, want it to mention %q", err, tc.want)
			}
		})
	}
	// The same NULL in the string column is accepted when nullable, refused when not.
	s := rejectSchema()
	s.Fields[1].Nullable = false
	if _, err := DecodeBatch(rawBatch(3, base), s); err == nil || !strings.Contains(err.Error(), `column 1 ("s", string): NULL at row 1`) {
		t.Fatalf("non-nullable string: %v", err)
	}
}

func field(name string, typ, flags, prec, scale byte) []byte {
	return append(appendStr(nil, name), typ, flags, prec, scale)
}

func schemaBytes(fields ...[]byte) []byte {
	p := binary.LittleEndian.AppendUint32(nil, uint32(len(fields)))
	return append(p, bytes.Join(fields, nil)...)
}

func TestDecodeSchema_RejectsEachBrokenRule(t *testing.T) {
	tests := []struct {
		name string
		p    []byte
		want string
	}{
		{"empty", nil, "truncated field count"},
		{"count too large", binary.LittleEndian.AppendUint32(nil, 1<<30), "schema declares 1073741824 fields, limit 4096"},
		{"count above the bytes", binary.LittleEndian.AppendUint32(nil, 100), "field count 100 exceeds"},
		{"unknown type", schemaBytes(field("a", 0, 0, 0, 0)), "unknown type code 0"},
		{"type 16", schemaBytes(field("a", 16, 0, 0, 0)), "unknown type code 16"},
		{"reserved flags", schemaBytes(field("a", 1, 4, 0, 0)), "reserved flag bits set (0x04)"},
		{"precision zero", schemaBytes(field("a", 8, 0, 0, 0)), "decimal precision 0 outside 1..38"},
		{"precision 39", schemaBytes(field("a", 8, 0, 39, 0)), "decimal precision 39"},
		{"scale above precision", schemaBytes(field("a", 8, 0, 5, 6)), "decimal scale 6 above precision 5"},
		{"precision on int", schemaBytes(field("a", 5, 0, 5, 0)), "precision/scale 5/0 set on a int64 field"},
		{"name not utf8", schemaBytes(field("\xff", 5, 0, 0, 0)), "field 0 name at byte 8 is not valid UTF-8"},
		{"name truncated", schemaBytes(field("abcdefgh", 5, 0, 0, 0))[:14], "truncated field 0 name"},
		{"type truncated", schemaBytes(field("abcdefgh", 5, 0, 0, 0))[:18], "truncated field 0 type"},
		{"trailing", append(schemaBytes(field("a", 5, 0, 0, 0)), 0), "1 trailing bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeSchema(tc.p)
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrProtocol mentioning %q", err, tc.want)
			}
		})
	}
}

func TestDecodeParams_RejectsEachBrokenRule(t *testing.T) {
	s := &Schema{Fields: []Field{{Name: "x", Type: TypeInt64}}}
	b := NewBuilder(s)
	if err := b.AppendRow(int64(5)); err != nil {
		t.Fatal(err)
	}
	good := AppendParams(nil, s, b.Build())
	if _, _, err := DecodeParams(good); err != nil {
		t.Fatal(err)
	}
	sl := len(AppendSchema(nil, s))
	tests := []struct {
		name string
		p    func() []byte
		want string
	}{
		{"truncated", func() []byte { return good[:2] }, "truncated schema length"},
		{"schema length too large", func() []byte {
			p := bytes.Clone(good)
			binary.LittleEndian.PutUint32(p, 1000)
			return p
		}, "truncated schema"},
		{"schema trailing", func() []byte {
			p := bytes.Clone(good)
			binary.LittleEndian.PutUint32(p, uint32(sl+1))
			return p
		}, "schema: 1 trailing bytes"},
		{"bad padding", func() []byte { p := bytes.Clone(good); p[4+sl] = 7; return p }, "non-zero padding after the schema"},
		{"two rows", func() []byte {
			b := NewBuilder(s)
			_ = b.AppendRow(int64(1))
			_ = b.AppendRow(int64(2))
			p := binary.LittleEndian.AppendUint32(nil, uint32(sl))
			p = padTo8(AppendSchema(p, s), 0)
			return AppendBatch(p, b.Build())
		}, "batch has 2 rows, want 1"},
		{"batch broken", func() []byte { return good[:len(good)-8] }, "params batch: buffer 1"},
		{"no batch", func() []byte { return good[:align8(4+sl)-1] }, "missing padding and record batch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeParams(tc.p())
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrProtocol mentioning %q", err, tc.want)
			}
		})
	}
}

func TestDecodeDict_RejectsEachBrokenRule(t *testing.T) {
	entry := func(k, v string) []byte { return appendStr(appendStr(nil, k), v) }
	dict := func(n uint32, es ...[]byte) []byte {
		return append(binary.LittleEndian.AppendUint32(nil, n), bytes.Join(es, nil)...)
	}
	tests := []struct {
		name string
		p    []byte
		want string
	}{
		{"empty", nil, "truncated entry count"},
		{"count too large", dict(1 << 31), "dictionary declares 2147483648 entries, limit 64"},
		{"count above the bytes", dict(40), "entry count 40 exceeds"},
		{"uppercase key", dict(1, entry("Job_id", "x")), `key 0 "Job_id" is not lowercase snake_case ASCII`},
		{"empty key", dict(1, entry("", "x")), `key 0 "" is not`},
		{"duplicate key", dict(2, entry("a", "x"), entry("a", "y")), `duplicate key "a"`},
		{"value not utf8", dict(1, entry("a", "\xc3")), `value of "a" at byte 13 is not valid UTF-8`},
		{"truncated value", dict(1, entry("a", "xyz"))[:14], `truncated value of "a"`},
		{"trailing", append(dict(1, entry("a", "x")), 0), "1 trailing bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeDict(tc.p)
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrProtocol mentioning %q", err, tc.want)
			}
		})
	}
	// Message-level rules.
	if _, err := DecodeJob(AppendDict(nil, [][2]string{{"job_id", "1"}, {"language", "R"}})); err == nil || !strings.Contains(err.Error(), `missing key "script"`) {
		t.Errorf("job without script: %v", err)
	}
	if _, err := DecodeError(AppendDict(nil, [][2]string{{"kind", "oops"}})); !errors.Is(err, ErrProtocol) {
		t.Errorf("unknown kind: %v", err)
	}
	if _, err := DecodeError(AppendDict(nil, [][2]string{{"kind", "script"}, {"line", "-3"}})); !errors.Is(err, ErrProtocol) {
		t.Errorf("negative line: %v", err)
	}
	e, err := DecodeError(AppendDict(nil, [][2]string{{"kind", "input"}, {"future_key", "x"}}))
	if err != nil || e.Kind != ErrorKindInput {
		t.Errorf("unknown key not ignored: %v", err)
	}
	for name, p := range map[string][]byte{
		"short":     []byte("BXL1"),
		"magic":     []byte("BXL2\x01\x00\x00\x00"),
		"major two": []byte("BXL1\x02\x00\x00\x00"),
	} {
		if err := CheckHello(p); !errors.Is(err, ErrProtocol) {
			t.Errorf("hello %s accepted: %v", name, err)
		}
	}
	if err := CheckHello([]byte("BXL1\x01\x00\x07\x00")); err != nil {
		t.Errorf("higher minor refused: %v", err)
	}
	if _, err := DecodeEnd([]byte{1, 2, 3}); !errors.Is(err, ErrProtocol) {
		t.Errorf("short END accepted")
	}
}

func frame(t FrameType, p []byte) []byte {
	return append(appendFrameHeader(nil, t, len(p)), p...)
}

func TestReader_RejectsEachBrokenRule(t *testing.T) {
	hello := frame(FrameHello, AppendHello(nil))
	end := func(n uint64) []byte { return frame(FrameEnd, binary.LittleEndian.AppendUint64(nil, n)) }
	batch := func(rows uint32) []byte { return frame(FrameBatch, binary.LittleEndian.AppendUint32(nil, rows)) }
	cat := func(fs ...[]byte) []byte { return bytes.Join(fs, nil) }
	tests := []struct {
		name      string
		stream    []byte
		max       int
		want      string
		unexpEOF  bool
		framesOK  int
		wantFrame int
	}{
		{name: "unknown type", stream: cat(hello, frame(8, nil)), want: "frame 2 (frame(8)): unknown frame type", framesOK: 1},
		{name: "too large", stream: cat(hello, []byte{0, 0, 0, 1, 4}), want: "frame 2 (BATCH): length 16777216 exceeds the limit of 1024 bytes", max: 1024, framesOK: 1},
		{name: "no hello", stream: batch(0), want: "frame 1 (BATCH): first frame must be HELLO"},
		{name: "second hello", stream: cat(hello, hello), want: "frame 2 (HELLO): second HELLO", framesOK: 1},
		{name: "bad hello", stream: frame(FrameHello, []byte("BXL1\x02\x00\x00\x00")), want: "frame 1: bxl: protocol error: hello: peer speaks BXL major version 2"},
		{name: "end mismatch", stream: cat(hello, batch(3), batch(4), end(6)), want: "frame 4 (END): END announces 6 rows, the batches held 7", framesOK: 3},
		{name: "after end", stream: cat(hello, batch(3), end(3), batch(0)), want: "frame 4 (BATCH): frame after END or ERROR", framesOK: 3},
		{name: "after error", stream: cat(hello, frame(FrameError, AppendDict(nil, nil)), hello), want: "frame 3 (HELLO): frame after END", framesOK: 2},
		{name: "batch without row count", stream: cat(hello, frame(FrameBatch, []byte{1})), want: "frame 2 (BATCH): payload of 1 bytes has no row count", framesOK: 1},
		{name: "cut header", stream: cat(hello, []byte{1, 0}), want: "frame 2: stream ends inside the header after 2 bytes", unexpEOF: true, framesOK: 1},
		{name: "cut payload", stream: cat(hello, batch(3))[:20], want: "frame 2 (BATCH): stream ends inside the 4-byte payload", unexpEOF: true, framesOK: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tc.stream), tc.max)
			for i := 0; i < tc.framesOK; i++ {
				if _, _, err := r.Next(); err != nil {
					t.Fatalf("frame %d: %v", i+1, err)
				}
			}
			_, _, err := r.Next()
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrProtocol mentioning %q", err, tc.want)
			}
			if errors.Is(err, io.ErrUnexpectedEOF) != tc.unexpEOF {
				t.Fatalf("errors.Is(err, io.ErrUnexpectedEOF) = %v", !tc.unexpEOF)
			}
		})
	}
	// A clean boundary is io.EOF, also before END (Done tells them apart).
	r := NewReader(bytes.NewReader(hello), 0)
	if _, _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Next(); err != io.EOF || r.Done() {
		t.Fatalf("clean EOF: %v done=%v", err, r.Done())
	}
}

func TestReader_LyingLengthAllocatesLittle(t *testing.T) {
	stream := append(frame(FrameHello, AppendHello(nil)), 0xff, 0xff, 0xff, 0x0f, byte(FrameBatch)) // 255 MiB, no bytes
	r := NewReader(bytes.NewReader(stream), 0)
	if _, _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	var before, after runtimeMem
	before.read()
	_, _, err := r.Next()
	after.read()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v", err)
	}
	if grew := after.total - before.total; grew > 2*eagerAllocBytes {
		t.Fatalf("allocated %d bytes for a frame whose bytes never came", grew)
	}
}
