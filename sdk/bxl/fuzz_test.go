package bxl

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// touch reads every value of a decoded batch and re-encodes it: a batch that
// passed DecodeBatch must be safe to use and must encode to a valid batch.
func touch(t *testing.T, b *Batch) {
	for i := 0; i < b.Rows && i < 1<<16; i++ {
		b.Row(i)
	}
	p := AppendBatch(nil, b)
	b2, err := DecodeBatch(p, b.Schema)
	if err != nil {
		t.Fatalf("re-encoded batch refused: %v", err)
	}
	if b2.Rows != b.Rows {
		t.Fatalf("rows %d → %d", b.Rows, b2.Rows)
	}
}

// fuzzLimits are small limits that keep executions fast; every bound below
// is stated in them.
var fuzzLimits = Limits{MaxFrameBytes: 64 << 10, MaxSchemaBytes: 16 << 10, MaxFields: 256,
	MaxNameBytes: 256, MaxBatchRows: 1 << 16, MaxParams: 64, MaxErrorValueBytes: 4 << 10, MaxQueryBytes: 8 << 10}

// boundAlloc fails the fuzz run when f allocates more than the decoder's
// limits allow for an input of n bytes: a constant (fixed-size state plus
// what the limits let one frame cost) and a small multiple of the input,
// never an amount a count or length in the input chose.
func boundAlloc(t *testing.T, what string, n int, fixed uint64, f func()) {
	t.Helper()
	limit := fixed + 16*uint64(n) + 64<<10
	if got := allocated(f); got > limit {
		t.Fatalf("%s of a %d-byte input allocated %d bytes, bound %d", what, n, got, limit)
	}
}

func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReaderLimits(bytes.NewReader(data), fuzzLimits)
		var schema *Schema
		for {
			var typ FrameType
			var p []byte
			var err error
			// One frame costs at most its limit (twice, while it grows).
			boundAlloc(t, "Reader.Next", len(data), 2*uint64(fuzzLimits.MaxFrameBytes)+6*uint64(fuzzLimits.MaxErrorValueBytes), func() {
				typ, p, err = r.Next()
			})
			if err != nil {
				return
			}
			switch typ {
			case FrameSchema:
				schema, _ = fuzzLimits.DecodeSchema(p)
			case FrameBatch:
				if schema != nil {
					if b, err := fuzzLimits.DecodeBatch(p, schema); err == nil {
						touch(t, b)
					}
				}
			case FrameParams:
				if _, b, err := fuzzLimits.DecodeParams(p); err == nil {
					touch(t, b)
				}
			case FrameJob:
				_, _ = DecodeJob(p)
			case FrameQuery:
				_, _ = fuzzLimits.DecodeQuery(p)
			case FrameError:
				if e, err := fuzzLimits.DecodeError(p); err == nil {
					_ = e.Error()
				}
			}
		}
	})
}

func FuzzDecodeSchema(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var s *Schema
		var err error
		boundAlloc(t, "DecodeSchema", len(data), 0, func() { s, err = fuzzLimits.DecodeSchema(data) })
		if err != nil {
			return
		}
		if len(s.Fields) > fuzzLimits.MaxFields {
			t.Fatalf("%d fields passed the limit of %d", len(s.Fields), fuzzLimits.MaxFields)
		}
		if out := AppendSchema(nil, s); !bytes.Equal(out, data) {
			t.Fatalf("schema does not re-encode to its bytes")
		}
	})
}

func FuzzDecodeBatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, schema, batch []byte) {
		s, err := fuzzLimits.DecodeSchema(schema)
		if err != nil {
			return
		}
		var b *Batch
		boundAlloc(t, "DecodeBatch", len(schema)+len(batch), 0, func() { b, err = fuzzLimits.DecodeBatch(batch, s) })
		if err != nil {
			return
		}
		if b.Rows > fuzzLimits.MaxBatchRows {
			t.Fatalf("%d rows passed the limit of %d", b.Rows, fuzzLimits.MaxBatchRows)
		}
		touch(t, b)
	})
}

func FuzzDecodeParams(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var s *Schema
		var b *Batch
		var err error
		boundAlloc(t, "DecodeParams", len(data), 0, func() { s, b, err = fuzzLimits.DecodeParams(data) })
		if err != nil {
			return
		}
		touch(t, b)
		if _, _, err := DecodeParams(AppendParams(nil, s, b)); err != nil {
			t.Fatalf("re-encoded params refused: %v", err)
		}
	})
}

func FuzzDecodeDict(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		var kv [][2]string
		var err error
		boundAlloc(t, "DecodeDict", len(data), 0, func() { kv, err = fuzzLimits.DecodeDict(data) })
		if err != nil {
			return
		}
		if out := AppendDict(nil, kv); !bytes.Equal(out, data) {
			t.Fatalf("dictionary does not re-encode to its bytes")
		}
		got, err := DecodeDict(AppendDict(nil, kv))
		if err != nil || !reflect.DeepEqual(got, kv) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzDecodeError reads one ERROR frame the way the host does: streamed by a
// Reader (its length may lie in either direction), then decoded. The kept
// text never exceeds the limit, whatever the frame declares.
func FuzzDecodeError(f *testing.F) {
	f.Fuzz(func(t *testing.T, declared uint32, payload []byte) {
		frame := append(helloBytes(), binary.LittleEndian.AppendUint32(nil, declared)...)
		frame = append(append(frame, byte(FrameError)), payload...)
		r := NewReaderLimits(bytes.NewReader(frame), fuzzLimits)
		if _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		var p []byte
		var err error
		boundAlloc(t, "ERROR frame", len(payload), 6*uint64(fuzzLimits.MaxErrorValueBytes), func() { _, p, err = r.Next() })
		if err != nil {
			return
		}
		e, err := fuzzLimits.DecodeError(p)
		if err != nil {
			return
		}
		max := fuzzLimits.MaxErrorValueBytes + len(fmt.Sprintf(TruncatedMarker, uint32(1<<31)))
		for _, v := range []string{e.Kind, e.Type, e.Message, e.Traceback, e.Column} {
			if len(v) > max {
				t.Fatalf("a %d-byte value passed the limit of %d", len(v), max)
			}
		}
		_ = e.Error()
	})
}

// seedBatches returns a few valid (schema, batch) payload pairs covering every type.
func seedBatches(t *testing.T) [][2][]byte {
	var out [][2][]byte
	all := &Schema{}
	var row []any
	for _, tc := range roundTripCases(t) {
		f := tc.field
		f.Name, f.Nullable = tc.name, true
		all.Fields = append(all.Fields, f)
		row = append(row, tc.in[1])
	}
	b := NewBuilder(all)
	for i := 0; i < 3; i++ {
		if err := b.AppendRow(row...); err != nil {
			t.Fatal(err)
		}
		nulls := make([]any, len(row))
		if err := b.AppendRow(nulls...); err != nil {
			t.Fatal(err)
		}
	}
	out = append(out, [2][]byte{AppendSchema(nil, all), AppendBatch(nil, b.Build())})
	bs := benchSchema()
	bb := NewBuilder(bs)
	for i := 0; i < 20; i++ {
		if err := appendBenchRow(bb, i); err != nil {
			t.Fatal(err)
		}
	}
	out = append(out, [2][]byte{AppendSchema(nil, bs), AppendBatch(nil, bb.Build())})
	out = append(out, [2][]byte{AppendSchema(nil, bs), AppendBatch(nil, NewBuilder(bs).Build())})
	out = append(out, [2][]byte{AppendSchema(nil, &Schema{}), AppendBatch(nil, &Batch{Schema: &Schema{}, Rows: 2})})
	return out
}

func seedStream(t *testing.T) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	pairs := seedBatches(t)
	s, _ := DecodeSchema(pairs[0][0])
	b, _ := DecodeBatch(pairs[0][1], s)
	ps := &Schema{Fields: []Field{{Name: "p", Type: TypeInt32, Nullable: true, Output: true}}}
	pb := NewBuilder(ps)
	_ = pb.AppendRow(nil)
	steps := []error{
		w.WriteHello(),
		w.WriteJob(JobHeader{JobID: "j", Language: "Python", Script: "OutputDataSet = InputDataSet"}),
		w.WriteParams(ps, pb.Build()),
		w.WriteSchema(s),
		w.WriteBatch(b),
		w.WriteEnd(uint64(b.Rows)),
	}
	for _, err := range steps {
		if err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// findingSeeds are the hostile inputs of issue 11, kept as seeds: a SCHEMA
// declaring 33554432 fields, a PARAMS schema declaring more params than
// allowed, a batch declaring 2^31 rows, an ERROR frame declaring a 120 MB
// message, a dictionary declaring 2^30 entries.
func findingSeeds() map[string][][]any {
	bomb := binary.LittleEndian.AppendUint32(nil, 33554432)
	frame := func(t FrameType, declared uint32, p []byte) []byte {
		out := append(helloBytes(), binary.LittleEndian.AppendUint32(nil, declared)...)
		return append(append(out, byte(t)), p...)
	}
	errHead := binary.LittleEndian.AppendUint32(nil, 2)
	errHead = append(errHead, appendStr(appendStr(nil, "kind"), "script")...)
	errHead = append(appendStr(errHead, "message"), binary.LittleEndian.AppendUint32(nil, 120_000_000)...)
	errHead = append(errHead, "a a a a a a a a "...)
	params := append(binary.LittleEndian.AppendUint32(nil, 4), binary.LittleEndian.AppendUint32(nil, 5000)...)
	return map[string][][]any{
		"FuzzDecodeSchema": {{bomb}},
		"FuzzReader":       {{frame(FrameSchema, 268435456, bomb)}, {frame(FrameError, 120_000_000+uint32(len(errHead)), errHead)}},
		"FuzzDecodeParams": {{params}},
		"FuzzDecodeBatch":  {{AppendSchema(nil, &Schema{Fields: []Field{{Name: "b", Type: TypeBool}}}), binary.LittleEndian.AppendUint32(nil, 1<<31)}},
		"FuzzDecodeDict":   {{binary.LittleEndian.AppendUint32(nil, 1<<30)}},
		"FuzzDecodeQuery":  {{binary.LittleEndian.AppendUint32(nil, 1<<30)}, {AppendQuery(nil, Query{Text: "SELECT k FROM secret"})}},
		"FuzzDecodeError": {
			{uint32(120_000_000 + len(errHead)), errHead},
			{uint32(len(AppendDict(nil, (&ScriptError{Kind: "script", Message: "m", Traceback: "t", Line: 3}).dict()))),
				AppendDict(nil, (&ScriptError{Kind: "script", Message: "m", Traceback: "t", Line: 3}).dict())},
		},
	}
}

// TestFuzzSeeds_AreValid keeps the committed corpus honest; with
// BXL_WRITE_FUZZ_SEEDS=1 it (re)writes testdata/fuzz from the current encoders.
func TestFuzzSeeds_AreValid(t *testing.T) {
	pairs := seedBatches(t)
	seeds := map[string][][]any{}
	for _, p := range pairs {
		seeds["FuzzDecodeBatch"] = append(seeds["FuzzDecodeBatch"], []any{p[0], p[1]})
		seeds["FuzzDecodeSchema"] = append(seeds["FuzzDecodeSchema"], []any{p[0]})
	}
	for name, list := range findingSeeds() {
		seeds[name] = append(seeds[name], list...)
	}
	stream := seedStream(t)
	var errBuf bytes.Buffer
	ew := NewWriter(&errBuf)
	_ = ew.WriteHello()
	_ = ew.WriteError(&ScriptError{Kind: ErrorKindScript, Type: "ValueError", Message: "bad", Line: 2})
	var qBuf bytes.Buffer
	qw := NewWriter(&qBuf)
	_ = qw.WriteHello()
	_ = qw.WriteQuery(Query{Text: "SELECT 1"})
	seeds["FuzzReader"] = append(seeds["FuzzReader"], []any{stream}, []any{errBuf.Bytes()}, []any{qBuf.Bytes()})
	ps := &Schema{Fields: []Field{{Name: "x", Type: TypeDecimal, Precision: 10, Scale: 2, Nullable: true}, {Name: "s", Type: TypeString, Output: true}}}
	pb := NewBuilder(ps)
	if err := pb.AppendRow("12.5", "héllo"); err != nil {
		t.Fatal(err)
	}
	seeds["FuzzDecodeParams"] = append(seeds["FuzzDecodeParams"], []any{AppendParams(nil, ps, pb.Build())}, []any{AppendParams(nil, &Schema{}, nil)})
	seeds["FuzzDecodeDict"] = [][]any{
		{AppendDict(nil, JobHeader{JobID: "1", Language: "R", Script: "x <- 1"}.dict())},
		{AppendDict(nil, (&ScriptError{Kind: "script", Message: "m", Line: 4, Column: "c"}).dict())},
		{AppendDict(nil, nil)},
	}
	// Every seed must be accepted, or the fuzzers start from nothing useful.
	for _, p := range pairs {
		s, err := DecodeSchema(p[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeBatch(p[1], s); err != nil {
			t.Fatal(err)
		}
	}
	r := NewReader(bytes.NewReader(stream), 0)
	for {
		_, _, err := r.Next()
		if err != nil {
			if !r.Done() {
				t.Fatalf("stream seed: %v", err)
			}
			break
		}
	}
	if os.Getenv("BXL_WRITE_FUZZ_SEEDS") != "1" {
		for name := range seeds {
			if m, _ := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*")); len(m) == 0 {
				t.Errorf("no committed seeds for %s; run with BXL_WRITE_FUZZ_SEEDS=1", name)
			}
		}
		return
	}
	for name, list := range seeds {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, args := range list {
			var b bytes.Buffer
			b.WriteString("go test fuzz v1\n")
			for _, a := range args {
				switch a := a.(type) {
				case []byte:
					fmt.Fprintf(&b, "[]byte(%q)\n", a)
				case uint32:
					fmt.Fprintf(&b, "uint32(%d)\n", a)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
