package bxl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

func TestQuery_RoundTripAndAnswer(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	s := &Schema{Fields: []Field{{Name: "n", Type: TypeInt64, Nullable: true}}}
	b := NewBuilder(s)
	if err := b.AppendRow(int64(7)); err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{w.WriteHello(), w.WriteQuery(Query{Text: "SELECT n FROM t"})} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The host's side: input END, then an answer on a fresh Writer.
	hw := NewWriter(&buf)
	for _, err := range []error{hw.WriteSchema(s), hw.WriteBatch(b.Build()), hw.WriteEnd(1)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := NewWriter(&buf).WriteError(&ScriptError{Kind: ErrorKindQuery, Message: "permission denied"}); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf, 0)
	if typ, _, err := r.Next(); err != nil || typ != FrameHello {
		t.Fatalf("hello: %v %v", typ, err)
	}
	typ, p, err := r.Next()
	if err != nil || typ != FrameQuery {
		t.Fatalf("query frame: %v %v", typ, err)
	}
	q, err := DefaultLimits().DecodeQuery(p)
	if err != nil || q.Text != "SELECT n FROM t" {
		t.Fatalf("query = %+v, %v", q, err)
	}
	var types []FrameType
	for !r.Done() {
		typ, _, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, typ)
	}
	if _, _, err := r.Next(); !errors.Is(err, ErrProtocol) {
		t.Fatalf("frame after END without ReadAnswer: %v, want a protocol error", err)
	}
	if got := len(types); got != 3 {
		t.Fatalf("answer frames = %v", types)
	}
}

func TestQuery_ReadAnswerAfterEnd(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	_ = w.WriteHello()
	_ = w.WriteEnd(0)
	if err := NewWriter(&buf).WriteError(&ScriptError{Kind: ErrorKindQuery, Message: "no"}); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf, 0)
	for i := 0; i < 2; i++ {
		if _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	r.ReadAnswer()
	typ, p, err := r.Next()
	if err != nil || typ != FrameError {
		t.Fatalf("answer: %v %v", typ, err)
	}
	se, err := DecodeError(p)
	if err != nil || se.Kind != ErrorKindQuery || se.Message != "no" {
		t.Fatalf("answer error = %+v, %v", se, err)
	}
}

func TestDecodeQuery_RefusesBadPayloads(t *testing.T) {
	l := Limits{MaxQueryBytes: 64}
	tests := map[string]struct {
		p    []byte
		want string
	}{
		"missing":   {AppendDict(nil, [][2]string{{"other", "x"}}), "missing key"},
		"empty":     {AppendQuery(nil, Query{}), "empty query"},
		"twice":     {AppendDict(nil, [][2]string{{"query", "a"}, {"query", "b"}}), "duplicate"},
		"not utf8":  {AppendQuery(nil, Query{Text: "SELECT '\xff'"}), "UTF-8"},
		"nul":       {AppendQuery(nil, Query{Text: "SELECT 1\x00; ATTACH"}), "NUL"},
		"too large": {AppendQuery(nil, Query{Text: strings.Repeat("x", 100)}), "exceeds the limit"},
		"truncated": {AppendQuery(nil, Query{Text: "SELECT 1"})[:10], "protocol"},
		"entries":   {binary.LittleEndian.AppendUint32(nil, 1<<30), "entries"},
	}
	for name, tt := range tests {
		_, err := l.DecodeQuery(tt.p)
		if !errors.Is(err, ErrProtocol) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want a protocol error with %q", name, err, tt.want)
		}
	}
}

// TestReader_RefusesHugeQueryOnItsHeader: a QUERY beyond MaxQueryBytes is
// refused before its payload is read.
func TestReader_RefusesHugeQueryOnItsHeader(t *testing.T) {
	stream := append(helloBytes(), binary.LittleEndian.AppendUint32(nil, 200<<20)...)
	stream = append(stream, byte(FrameQuery))
	r := NewReaderLimits(bytes.NewReader(stream), Limits{MaxQueryBytes: 1 << 10})
	if _, _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	_, _, err := r.Next()
	var big *FrameSizeError
	if !errors.As(err, &big) || big.Type != FrameQuery || big.Limit != 1<<10 {
		t.Fatalf("huge QUERY: %v, want a FrameSizeError with limit 1024", err)
	}
}

func FuzzDecodeQuery(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var q Query
		var err error
		boundAlloc(t, "DecodeQuery", len(data), 0, func() { q, err = fuzzLimits.DecodeQuery(data) })
		if err != nil {
			return
		}
		if len(q.Text) > fuzzLimits.MaxQueryBytes || q.Text == "" {
			t.Fatalf("query of %d bytes passed", len(q.Text))
		}
		if q2, err := fuzzLimits.DecodeQuery(AppendQuery(nil, q)); err != nil || q2 != q {
			t.Fatalf("re-encoded query: %+v, %v", q2, err)
		}
	})
}
