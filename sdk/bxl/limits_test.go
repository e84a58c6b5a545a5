package bxl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// allocated runs f and returns the bytes it allocated on the Go heap.
func allocated(f func()) uint64 {
	var before, after runtimeMem
	before.read()
	f()
	after.read()
	return after.total - before.total
}

// repeatReader yields n bytes of a repeated pattern without holding them.
// (host/satellite's test floodReader repeats it: a dozen lines of test code
// in two packages, not worth a package of their own.)
type repeatReader struct {
	pat []byte
	n   int64
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.pat[r.off]
		r.off = (r.off + 1) % len(r.pat)
	}
	r.n -= int64(len(p))
	return len(p), nil
}

func helloBytes() []byte {
	var b bytes.Buffer
	NewWriter(&b).WriteHello()
	return b.Bytes()
}

// errorFrameStream is HELLO then an ERROR frame whose message is msgLen
// bytes of "a " and whose traceback is "tb", streamed, never built.
func errorFrameStream(msgLen int64) io.Reader {
	head := func(k string, vlen int64) []byte {
		b := appendStr(nil, k)
		return binary.LittleEndian.AppendUint32(b, uint32(vlen))
	}
	kind := appendStr(appendStr(nil, "kind"), "script")
	msgHead := head("message", msgLen)
	tb := appendStr(appendStr(nil, "traceback"), "tb")
	total := 4 + len(kind) + len(msgHead) + int(msgLen) + len(tb)
	frame := binary.LittleEndian.AppendUint32(nil, uint32(total))
	frame = append(frame, byte(FrameError))
	frame = binary.LittleEndian.AppendUint32(frame, 3)
	frame = append(append(frame, kind...), msgHead...)
	return io.MultiReader(bytes.NewReader(helloBytes()), bytes.NewReader(frame),
		&repeatReader{pat: []byte("a "), n: msgLen}, bytes.NewReader(tb))
}

func TestReader_ErrorFrameOf120MBIsCutNotHeld(t *testing.T) {
	const msgLen = 120_000_000
	r := NewReaderLimits(errorFrameStream(msgLen), Limits{MaxErrorValueBytes: 64 << 10})
	var se *ScriptError
	n := allocated(func() {
		if _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		typ, p, err := r.Next()
		if err != nil || typ != FrameError {
			t.Fatalf("got %s, %v", typ, err)
		}
		if se, err = DecodeError(p); err != nil {
			t.Fatal(err)
		}
		_ = se.Error()
	})
	if n > 4<<20 {
		t.Errorf("reading a 120 MB ERROR frame allocated %d bytes, want < 4 MiB", n)
	}
	want := fmt.Sprintf(TruncatedMarker, msgLen-(64<<10))
	if !strings.HasSuffix(se.Message, want) || !strings.HasPrefix(se.Message, "a a ") {
		t.Errorf("message ends %q, want the marker %q", se.Message[len(se.Message)-60:], want)
	}
	if se.Traceback != "tb" || se.Kind != ErrorKindScript {
		t.Errorf("other keys lost: %+v", se)
	}
	if !r.Done() {
		t.Error("reader not done after ERROR")
	}
}

func TestReader_ErrorFrameRefusals(t *testing.T) {
	frame := func(payload []byte) io.Reader {
		f := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
		return io.MultiReader(bytes.NewReader(helloBytes()), bytes.NewReader(append(append(f, byte(FrameError)), payload...)))
	}
	long := strings.Repeat("k", 100)
	cases := []struct {
		name    string
		payload []byte
		want    string
	}{
		{"entry bomb", binary.LittleEndian.AppendUint32(nil, 1<<30), "dictionary declares 1073741824 entries, limit 64"},
		{"long key", append(binary.LittleEndian.AppendUint32(nil, 1), appendStr(nil, long)...), "key 0 is 100 bytes, limit 64"},
		{"value beyond the frame", append(binary.LittleEndian.AppendUint32(AppendDict(nil, nil)[:0], 1),
			append(appendStr(nil, "message"), 0xff, 0xff, 0xff, 0x7f)...), "exceeds the 0 bytes left"},
		{"trailing bytes", append(AppendDict(nil, [][2]string{{"kind", "script"}}), 1, 2), "2 trailing bytes"},
		{"bad utf8", AppendDict(nil, [][2]string{{"kind", "\xff"}}), "not valid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(frame(tc.payload), 0)
			r.Next()
			_, _, err := r.Next()
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrProtocol with %q", err, tc.want)
			}
		})
	}
}

func TestReader_ErrorFrameDropsUnknownKeysAndCutsAtRunes(t *testing.T) {
	p := AppendDict(nil, [][2]string{{"kind", "script"}, {"x_extra", strings.Repeat("z", 1000)},
		{"message", strings.Repeat("é", 10)}})
	f := append(binary.LittleEndian.AppendUint32(nil, uint32(len(p))), byte(FrameError))
	r := NewReaderLimits(io.MultiReader(bytes.NewReader(helloBytes()), bytes.NewReader(append(f, p...))),
		Limits{MaxErrorValueBytes: 5})
	r.Next()
	_, got, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	kv, err := DecodeDict(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(kv) != 2 || kv[0][0] != "kind" || kv[1][0] != "message" {
		t.Fatalf("kept %q", kv)
	}
	if want := "éé" + fmt.Sprintf(TruncatedMarker, 16); kv[1][1] != want || !utf8.ValidString(kv[1][1]) {
		t.Errorf("message %q, want %q", kv[1][1], want)
	}
}

// schemaBomb is a SCHEMA payload declaring n empty fields, of which only
// the first few bytes exist.
func schemaBomb(n uint32) []byte { return binary.LittleEndian.AppendUint32(nil, n) }

func TestLimits_RefuseBeforeAllocating(t *testing.T) {
	lim := DefaultLimits()
	longName := append(append(binary.LittleEndian.AppendUint32(nil, 1), binary.LittleEndian.AppendUint32(nil, 1<<30)...), 0, 0, 0, 0)
	s := &Schema{Fields: []Field{{Name: "a", Type: TypeBool}}}
	rowsBomb := binary.LittleEndian.AppendUint32(nil, 1<<31)
	cases := []struct {
		name string
		f    func() error
		want string
	}{
		{"field bomb", func() error { _, err := lim.DecodeSchema(schemaBomb(33554432)); return err },
			"schema declares 33554432 fields, limit 4096"},
		{"long name", func() error { _, err := lim.DecodeSchema(longName); return err },
			"field 0 name is 1073741824 bytes, limit 4096"},
		{"schema bytes", func() error { _, err := Limits{MaxSchemaBytes: 16}.DecodeSchema(make([]byte, 17)); return err },
			"schema of 17 bytes exceeds the limit of 16 bytes"},
		{"rows", func() error { _, err := lim.DecodeBatch(rowsBomb, s); return err },
			"batch declares 2147483648 rows, limit 67108864"},
		{"params count", func() error {
			sch := schemaBomb(5000)
			p := append(binary.LittleEndian.AppendUint32(nil, uint32(len(sch))), sch...)
			_, _, err := lim.DecodeParams(p)
			return err
		}, "schema declares 5000 fields, limit 2100"},
		{"params bytes", func() error { _, _, err := Limits{MaxParamsBytes: 8}.DecodeParams(make([]byte, 9)); return err },
			"payload of 9 bytes exceeds the limit of 8 bytes"},
		{"dict entries", func() error { _, err := lim.DecodeDict(binary.LittleEndian.AppendUint32(nil, 65)); return err },
			"dictionary declares 65 entries, limit 64"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if n := allocated(func() { err = tc.f() }); n > 64<<10 {
				t.Errorf("refusal allocated %d bytes", n)
			}
			if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrProtocol with %q", err, tc.want)
			}
		})
	}
}

// lyingReader yields a frame header and then fails the test if read again.
type lyingReader struct {
	t   *testing.T
	hdr []byte
}

func (r *lyingReader) Read(p []byte) (int, error) {
	if len(r.hdr) == 0 {
		r.t.Fatal("reader read past a header it should have refused")
	}
	n := copy(p, r.hdr)
	r.hdr = r.hdr[n:]
	return n, nil
}

func TestReader_RefusesLargeFramesOnTheirHeader(t *testing.T) {
	for _, tc := range []struct {
		typ  FrameType
		n    uint32
		lim  Limits
		want string
	}{
		{FrameSchema, 256 << 20, Limits{}, "length 268435456 exceeds the limit of 1048576 bytes"},
		{FrameParams, 1 << 20, Limits{MaxParamsBytes: 1000}, "length 1048576 exceeds the limit of 1000 bytes"},
		{FrameBatch, 1 << 30, Limits{MaxFrameBytes: 1 << 20}, "length 1073741824 exceeds the limit of 1048576 bytes"},
		{FrameEnd, 9, Limits{}, "length 9 exceeds the limit of 8 bytes"},
	} {
		hdr := append(helloBytes(), binary.LittleEndian.AppendUint32(nil, tc.n)...)
		r := NewReaderLimits(&lyingReader{t: t, hdr: append(hdr, byte(tc.typ))}, tc.lim)
		if _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		_, _, err := r.Next()
		if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.typ, err, tc.want)
		}
	}
}

func TestTruncated_KeepsRunesWhole(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc" + fmt.Sprintf(TruncatedMarker, 1)},
		{"aé", 2, "a" + fmt.Sprintf(TruncatedMarker, 2)},
		{"a€b", 3, "a" + fmt.Sprintf(TruncatedMarker, 4)},
		{"a😀", 4, "a" + fmt.Sprintf(TruncatedMarker, 4)},
		{"a😀b", 5, "a😀" + fmt.Sprintf(TruncatedMarker, 1)},
	} {
		if got := Truncated(tc.in, tc.max); got != tc.want || !utf8.ValidString(got) {
			t.Errorf("Truncated(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func TestScriptError_OneLineIsLinear(t *testing.T) {
	e := &ScriptError{Kind: ErrorKindScript, Type: "Exception", Message: "  a\n\tb  " + strings.Repeat("a ", 1<<20)}
	var s string
	if n := allocated(func() { s = e.Error() }); n > 16<<20 {
		t.Errorf("Error() of a 2 MiB message allocated %d bytes", n)
	}
	if !strings.HasPrefix(s, "script error: Exception: a b a a") || strings.HasSuffix(s, " ") {
		t.Errorf("Error() = %q…", s[:40])
	}
}
