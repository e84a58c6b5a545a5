package bxl

import (
	"testing"
)

func benchSchema() *Schema {
	return &Schema{Fields: []Field{
		{Name: "id", Type: TypeInt64},
		{Name: "x", Type: TypeFloat64, Nullable: true},
		{Name: "name", Type: TypeString, Nullable: true},
	}}
}

var benchNames = func() (s [16]string) {
	for i := range s {
		s[i] = string(rune('a'+i)) + "-name-0123456789"[:15]
	}
	return s
}()

func appendBenchRow(b *Builder, i int) error {
	if err := b.AppendInt64(0, int64(i)); err != nil {
		return err
	}
	if err := b.AppendFloat64(1, float64(i)*0.5); err != nil {
		return err
	}
	if err := b.AppendString(2, benchNames[i&15]); err != nil {
		return err
	}
	return b.EndRow()
}

// benchBatch builds one default-sized batch (about 4 MiB of buffers).
func benchBatch(b testing.TB) *Batch {
	bl := NewBuilder(benchSchema())
	for i := 0; bl.Size() < DefaultBatchBytes; i++ {
		if err := appendBenchRow(bl, i); err != nil {
			b.Fatal(err)
		}
	}
	return bl.Build()
}

func BenchmarkBuilder(b *testing.B) {
	bl := NewBuilder(benchSchema())
	b.SetBytes(8 + 8 + 16 + 4) // value bytes per row, offsets included
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := appendBenchRow(bl, i); err != nil {
			b.Fatal(err)
		}
		if bl.Size() >= DefaultBatchBytes {
			bl.Build()
		}
	}
}

// BenchmarkWriteBatch writes into a real unix socketpair drained by a goroutine:
// the figure is the data plane's throughput (vectored writes), not a memcpy.
func BenchmarkWriteBatch(b *testing.B) {
	batch := benchBatch(b)
	size := len(AppendBatch(nil, batch))
	// The writing end as the host holds it: a *net.UnixConn.
	wf, rf, err := Socketpair()
	if err != nil {
		b.Fatal(err)
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		buf := make([]byte, 1<<20)
		for {
			if _, err := rf.Read(buf); err != nil {
				return
			}
		}
	}()
	defer func() { wf.Close(); <-drained; rf.Close() }()
	w := NewWriter(wf)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.WriteBatch(batch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBatch(b *testing.B) {
	batch := benchBatch(b)
	p := AppendBatch(alloc8(0), batch)
	s := benchSchema()
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeBatch(p, s); err != nil {
			b.Fatal(err)
		}
	}
}
