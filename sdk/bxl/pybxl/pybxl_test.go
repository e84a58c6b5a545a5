package pybxl

import (
	"bytes"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

const python = "/usr/bin/python3"

// Like signing's tool check and the plugins' runtime checks: test code of packages that cannot share a test helper.
func requirePython(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s is not installed: %v", python, err)
	}
}

// The module's own unit tests (unittest, standard library only) run as part of go test.
func TestModule_PythonUnitTests(t *testing.T) {
	requirePython(t)
	out, err := exec.Command(python, "-I", "-B", "-m", "unittest", "discover", "-s", ".", "-t", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("python unit tests failed: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("OK")) {
		t.Fatalf("no unittest verdict:\n%s", out)
	}
}

// echoPy re-encodes what it reads with the module: HELLO, SCHEMA, BATCH*, END
// in; HELLO, SCHEMA, one BATCH with every row, END out.
const echoPy = `
import socket, sys
sys.path.insert(0, sys.argv[1])
import launchpad_bxl as bxl
conn = bxl.Conn(socket.socket(fileno=3))
bxl.send_hello(conn)
bxl.read_hello(conn)
fields = bxl.read_schema(conn)
cols, rows = [[] for _ in fields], 0
for n, batch in bxl.read_batches(conn, fields):
    rows += n
    for acc, col in zip(cols, batch):
        acc.extend(col)
bxl.send_schema(conn, fields)
conn.send(bxl.F_BATCH, bxl.encode_batch(fields, cols, rows))
bxl.send_end(conn, rows)
`

// TestModule_RoundTripsGoBatches checks the Python codec against the Go one:
// batches of every type written by the Go Builder come back from Python with
// the same schema and the same values.
func TestModule_RoundTripsGoBatches(t *testing.T) {
	requirePython(t)
	schema, rows := everyType(t)
	b := bxl.NewBuilder(schema)
	for _, r := range rows {
		if err := b.AppendRow(r...); err != nil {
			t.Fatal(err)
		}
	}
	in := b.Build()
	conn, wait := startEcho(t)
	w := bxl.NewWriter(conn)
	go func() {
		// Two batches: the Python side must concatenate them.
		_ = w.WriteHello()
		_ = w.WriteSchema(schema)
		_ = w.WriteBatch(in)
		_ = w.WriteBatch(in)
		_ = w.WriteEnd(uint64(2 * in.Rows))
	}()
	outSchema, out := readEcho(t, conn)
	if err := wait(); err != nil {
		t.Fatalf("python side: %v", err)
	}
	if !reflect.DeepEqual(outSchema.Fields, schema.Fields) {
		t.Errorf("schema came back as\n%+v\nwant\n%+v", outSchema.Fields, schema.Fields)
	}
	if out.Rows != 2*in.Rows {
		t.Fatalf("got %d rows, want %d", out.Rows, 2*in.Rows)
	}
	for r := 0; r < out.Rows; r++ {
		got, want := out.Row(r), in.Row(r%in.Rows)
		for c := range want {
			if !sameValue(got[c], want[c]) {
				t.Errorf("row %d %s: got %#v, want %#v", r, schema.Fields[c].Name, got[c], want[c])
			}
		}
	}
}

func everyType(t *testing.T) (*bxl.Schema, [][]any) {
	t.Helper()
	names := []bxl.Type{bxl.TypeBool, bxl.TypeInt8, bxl.TypeInt16, bxl.TypeInt32, bxl.TypeInt64,
		bxl.TypeFloat32, bxl.TypeFloat64, bxl.TypeDecimal, bxl.TypeString, bxl.TypeBinary, bxl.TypeDate,
		bxl.TypeTime, bxl.TypeDateTime, bxl.TypeDateTimeOffset, bxl.TypeUUID}
	s := &bxl.Schema{}
	for _, typ := range names {
		f := bxl.Field{Name: typ.String(), Type: typ, Nullable: true}
		if typ == bxl.TypeDecimal {
			f.Precision, f.Scale = 38, 4
		}
		s.Fields = append(s.Fields, f)
	}
	dec, err := bxl.ParseDecimal("-1234567890123456789012345678901.2345", 38, 4)
	if err != nil {
		t.Fatal(err)
	}
	u, err := bxl.ParseUUID("6f9619ff-8b86-d011-b42d-00c04fc964ff")
	if err != nil {
		t.Fatal(err)
	}
	ist := time.FixedZone("+05:45", 5*3600+45*60)
	full := []any{true, int8(-128), int16(32767), int32(math.MinInt32), int64(math.MaxInt64), float32(1.5),
		-math.MaxFloat64, dec, "héllo ✓ 你好 🙂", []byte{0, 255}, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		23*time.Hour + 59*time.Minute + 59*time.Second + 999999*time.Microsecond,
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), time.Date(2024, 2, 29, 13, 45, 0, 500000000, ist), u}
	nulls := make([]any, len(full))
	return s, [][]any{full, nulls, full}
}

// sameValue compares decoded values, a time by instant and zone offset.
// plugins/python's runtime test has the same few lines: test code of two
// packages, not worth an exported helper in the SDK.
func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		_, oa := ta.Zone()
		_, ob := tb.Zone()
		return ok && ta.Equal(tb) && oa == ob
	}
	return reflect.DeepEqual(a, b)
}

// startEcho runs echoPy with the module's folder and fd 3 = one end of a socketpair.
func startEcho(t *testing.T) (net.Conn, func() error) {
	t.Helper()
	conn, child, err := bxl.Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-I", "-B", "-c", echoPy, dir)
	cmd.ExtraFiles = []*os.File{child}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Close()
	return conn, func() error {
		if err := cmd.Wait(); err != nil {
			t.Logf("stderr:\n%s", stderr.String())
			return err
		}
		return nil
	}
}

func readEcho(t *testing.T, conn net.Conn) (*bxl.Schema, *bxl.Batch) {
	t.Helper()
	rd := bxl.NewReader(conn, 0)
	var schema *bxl.Schema
	var batch *bxl.Batch
	for {
		ft, p, err := rd.Next()
		if err != nil {
			t.Fatalf("read python output: %v", err)
		}
		switch ft {
		case bxl.FrameHello:
		case bxl.FrameSchema:
			if schema, err = bxl.DecodeSchema(p); err != nil {
				t.Fatal(err)
			}
		case bxl.FrameBatch:
			if batch, err = bxl.DecodeBatch(p, schema); err != nil {
				t.Fatal(err)
			}
		case bxl.FrameEnd:
			if batch == nil {
				t.Fatal("END without a batch")
			}
			return schema, batch
		default:
			t.Fatalf("unexpected frame %s", ft)
		}
	}
}
