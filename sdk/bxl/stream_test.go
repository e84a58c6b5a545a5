package bxl

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

// socketpair returns both ends of a unix stream socketpair as the given kind.
func socketpair(t *testing.T, kind string) (io.WriteCloser, io.ReadCloser) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A small send buffer forces partial writes and, when non-blocking, EAGAIN.
	if err := syscall.SetsockoptInt(fds[0], syscall.SOL_SOCKET, syscall.SO_SNDBUF, 16<<10); err != nil {
		t.Fatal(err)
	}
	if kind == "nonblocking file" {
		for _, fd := range fds {
			if err := syscall.SetNonblock(fd, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, b := os.NewFile(uintptr(fds[0]), "bxl-w"), os.NewFile(uintptr(fds[1]), "bxl-r")
	if kind == "net.Conn" {
		ca, err := net.FileConn(a)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := net.FileConn(b)
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		b.Close()
		t.Cleanup(func() { ca.Close(); cb.Close() })
		return ca, cb
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestWriterReader_OverSocketpair(t *testing.T) {
	for _, kind := range []string{"blocking file", "nonblocking file", "net.Conn"} {
		t.Run(kind, func(t *testing.T) {
			wc, rc := socketpair(t, kind)
			s := benchSchema()
			const batches = 60
			errc := make(chan error, 1)
			go func() {
				defer wc.Close()
				w := NewWriter(wc)
				errc <- func() error {
					if err := w.WriteHello(); err != nil {
						return err
					}
					if err := w.WriteSchema(s); err != nil {
						return err
					}
					b := NewBuilder(s)
					row := 0
					for k := 0; k < batches; k++ {
						for j := 0; j < 997*(k%5); j++ { // some batches are empty
							if j%7 == 3 {
								b.AppendNull(1)
								b.AppendNull(2)
								if err := b.AppendInt64(0, int64(row)); err != nil {
									return err
								}
								if err := b.EndRow(); err != nil {
									return err
								}
							} else if err := appendBenchRow(b, row); err != nil {
								return err
							}
							row++
						}
						if err := w.WriteBatch(b.Build()); err != nil {
							return err
						}
					}
					return w.WriteEnd(uint64(row))
				}()
			}()
			r := NewReader(rc, 0)
			var schema *Schema
			row, nbatch := 0, 0
			for {
				typ, p, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				switch typ {
				case FrameHello:
				case FrameSchema:
					if schema, err = DecodeSchema(p); err != nil {
						t.Fatal(err)
					}
				case FrameBatch:
					b, err := DecodeBatch(p, schema)
					if err != nil {
						t.Fatalf("batch %d: %v", nbatch, err)
					}
					nbatch++
					for i := 0; i < b.Rows; i++ {
						if got := b.Columns[0].Int64(i); got != int64(row) {
							t.Fatalf("row %d: id %d", row, got)
						}
						wantNull := i%7 == 3
						if b.Columns[1].IsNull(i) != wantNull || b.Columns[2].IsNull(i) != wantNull {
							t.Fatalf("row %d: nulls wrong", row)
						}
						if !wantNull && (b.Columns[1].Float64(i) != float64(row)*0.5 || b.Columns[2].Str(i) != benchNames[row&15]) {
							t.Fatalf("row %d: got %v", row, b.Row(i))
						}
						row++
					}
				case FrameEnd:
					if n, _ := DecodeEnd(p); n != uint64(row) {
						t.Fatalf("END %d, read %d rows", n, row)
					}
				default:
					t.Fatalf("unexpected %s", typ)
				}
			}
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if !r.Done() || nbatch != batches || row != 997*(0+1+2+3+4)*batches/5 {
				t.Fatalf("done=%v batches=%d rows=%d", r.Done(), nbatch, row)
			}
		})
	}
}

func TestWriter_ChecksEndAndShape(t *testing.T) {
	w := NewWriter(io.Discard)
	s := &Schema{Fields: []Field{{Name: "a", Type: TypeInt32}}}
	b := NewBuilder(s)
	_ = b.AppendRow(int32(1))
	batch := b.Build()
	if err := w.WriteBatch(batch); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEnd(2); err == nil {
		t.Fatal("END with a wrong count accepted")
	}
	batch.Columns[0].Buffers[0] = batch.Columns[0].Buffers[0][:2]
	if err := w.WriteBatch(batch); err == nil {
		t.Fatal("malformed batch written")
	}
	if err := w.WriteParams(s, nil); err == nil {
		t.Fatal("params without a row accepted")
	}
	if err := w.WriteError(&ScriptError{Kind: "bogus"}); err == nil {
		t.Fatal("unknown error kind accepted")
	}
	if err := w.WriteEnd(1); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteHello(); !errors.Is(err, ErrWriterDone) {
		t.Fatalf("write after END: %v", err)
	}
}

func ExampleWriter() {
	s := &Schema{Fields: []Field{{Name: "n", Type: TypeInt64}}}
	b := NewBuilder(s)
	_ = b.AppendRow(42)
	pr, pw := io.Pipe()
	go func() {
		w := NewWriter(pw)
		_ = w.WriteHello()
		_ = w.WriteSchema(s)
		_ = w.WriteBatch(b.Build())
		_ = w.WriteEnd(1)
		pw.Close()
	}()
	r := NewReader(pr, 0)
	var schema *Schema
	for {
		t, p, err := r.Next()
		if err != nil {
			break
		}
		switch t {
		case FrameSchema:
			schema, _ = DecodeSchema(p)
		case FrameBatch:
			batch, _ := DecodeBatch(p, schema)
			fmt.Println(batch.Row(0)...)
		}
	}
	// Output: 42
}
