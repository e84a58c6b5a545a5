package bxl

import (
	"bytes"
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

func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(bytes.NewReader(data), 64<<10) // small limit keeps executions fast
		var schema *Schema
		for {
			typ, p, err := r.Next()
			if err != nil {
				return
			}
			switch typ {
			case FrameSchema:
				schema, _ = DecodeSchema(p)
			case FrameBatch:
				if schema != nil {
					if b, err := DecodeBatch(p, schema); err == nil {
						touch(t, b)
					}
				}
			case FrameParams:
				if _, b, err := DecodeParams(p); err == nil {
					touch(t, b)
				}
			case FrameJob:
				_, _ = DecodeJob(p)
			case FrameError:
				if e, err := DecodeError(p); err == nil {
					_ = e.Error()
				}
			}
		}
	})
}

func FuzzDecodeSchema(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeSchema(data)
		if err != nil {
			return
		}
		if out := AppendSchema(nil, s); !bytes.Equal(out, data) {
			t.Fatalf("schema does not re-encode to its bytes")
		}
	})
}

func FuzzDecodeBatch(f *testing.F) {
	f.Fuzz(func(t *testing.T, schema, batch []byte) {
		s, err := DecodeSchema(schema)
		if err != nil {
			return
		}
		b, err := DecodeBatch(batch, s)
		if err != nil {
			return
		}
		touch(t, b)
	})
}

func FuzzDecodeParams(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s, b, err := DecodeParams(data)
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
		kv, err := DecodeDict(data)
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

// TestFuzzSeeds_AreValid keeps the committed corpus honest; with
// BXL_WRITE_FUZZ_SEEDS=1 it (re)writes testdata/fuzz from the current encoders.
func TestFuzzSeeds_AreValid(t *testing.T) {
	pairs := seedBatches(t)
	seeds := map[string][][][]byte{}
	for _, p := range pairs {
		seeds["FuzzDecodeBatch"] = append(seeds["FuzzDecodeBatch"], [][]byte{p[0], p[1]})
		seeds["FuzzDecodeSchema"] = append(seeds["FuzzDecodeSchema"], [][]byte{p[0]})
	}
	stream := seedStream(t)
	var errBuf bytes.Buffer
	ew := NewWriter(&errBuf)
	_ = ew.WriteHello()
	_ = ew.WriteError(&ScriptError{Kind: ErrorKindScript, Type: "ValueError", Message: "bad", Line: 2})
	seeds["FuzzReader"] = [][][]byte{{stream}, {errBuf.Bytes()}}
	ps := &Schema{Fields: []Field{{Name: "x", Type: TypeDecimal, Precision: 10, Scale: 2, Nullable: true}, {Name: "s", Type: TypeString, Output: true}}}
	pb := NewBuilder(ps)
	if err := pb.AppendRow("12.5", "héllo"); err != nil {
		t.Fatal(err)
	}
	seeds["FuzzDecodeParams"] = [][][]byte{{AppendParams(nil, ps, pb.Build())}, {AppendParams(nil, &Schema{}, nil)}}
	seeds["FuzzDecodeDict"] = [][][]byte{
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
				fmt.Fprintf(&b, "[]byte(%q)\n", a)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%d", i)), b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
