package main

import (
	"bytes"
	"math"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
	"github.com/openlaunchpad/launchpad/sdk/bxl/pybxl"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

const python = "/usr/bin/python3"

func requirePandas(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import pandas").Run(); err != nil {
		t.Skipf("%s with pandas is not installed (apt-get install python3-pandas): %v", python, err)
	}
}

// The runtime's own unit tests (Python, unittest) run as part of go test.
func TestRuntime_PythonUnitTests(t *testing.T) {
	requirePandas(t)
	cmd := exec.Command(python, "-B", "-m", "unittest", "discover", "-s", "runtime", "-t", "runtime")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python unit tests failed: %v\n%s", err, out)
	}
	t.Logf("%s", lastLines(out, 3))
}

// TestLauncher_StagesEveryRuntimeModule: every module in runtime/ (tests
// aside) is staged with its content, the SDK's codec included, so a module
// added to runtime/ but not to the embed list fails here, not in production.
// Like the R plugin's staging test: two plugin packages with their own runtimes, which cannot share test code.
func TestLauncher_StagesEveryRuntimeModule(t *testing.T) {
	dir := t.TempDir()
	script, err := stageRuntime(&launcher.RunRequest{WorkingDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if script != filepath.Join(dir, mainFile) {
		t.Errorf("main module staged as %s", script)
	}
	sources, err := filepath.Glob("runtime/*.py")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, src := range sources {
		name := filepath.Base(src)
		if strings.HasPrefix(name, "test_") {
			continue
		}
		want[name] = true
		source, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		staged, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("module %s not staged: %v", name, err)
			continue
		}
		if !bytes.Equal(staged, source) {
			t.Errorf("staged %s differs from runtime/%s", name, name)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("staged %s, which runtime/ does not hold", e.Name())
		}
	}
	if !want[pybxl.FileName] {
		t.Errorf("runtime/ lacks %s (the link to sdk/bxl/pybxl)", pybxl.FileName)
	}
}

func lastLines(b []byte, n int) []byte {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return bytes.Join(lines, []byte("\n"))
}

// everyType is a schema with every BXL type, all nullable.
func everyType() *bxl.Schema {
	return &bxl.Schema{Fields: []bxl.Field{
		{Name: "b", Type: bxl.TypeBool, Nullable: true},
		{Name: "i8", Type: bxl.TypeInt8, Nullable: true},
		{Name: "i16", Type: bxl.TypeInt16, Nullable: true},
		{Name: "i32", Type: bxl.TypeInt32, Nullable: true},
		{Name: "i64", Type: bxl.TypeInt64, Nullable: true},
		{Name: "f32", Type: bxl.TypeFloat32, Nullable: true},
		{Name: "f64", Type: bxl.TypeFloat64, Nullable: true},
		{Name: "dec", Type: bxl.TypeDecimal, Nullable: true, Precision: 38, Scale: 4},
		{Name: "s", Type: bxl.TypeString, Nullable: true},
		{Name: "bin", Type: bxl.TypeBinary, Nullable: true},
		{Name: "d", Type: bxl.TypeDate, Nullable: true},
		{Name: "tm", Type: bxl.TypeTime, Nullable: true},
		{Name: "dt", Type: bxl.TypeDateTime, Nullable: true},
		{Name: "dto", Type: bxl.TypeDateTimeOffset, Nullable: true},
		{Name: "u", Type: bxl.TypeUUID, Nullable: true},
	}}
}

func mustDecimal(t *testing.T, s string) bxl.Decimal {
	t.Helper()
	d, err := bxl.ParseDecimal(s, 38, 4)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRuntime_IdentityEveryTypeFromGo drives the real runtime with the Go
// codec: a batch of every type, with NULLs and edge values, must come back
// with the same types and the same values, bit for bit.
func TestRuntime_IdentityEveryTypeFromGo(t *testing.T) {
	requirePandas(t)
	schema := everyType()
	ist := time.FixedZone("", 5*3600+45*60)
	pst := time.FixedZone("", -8*3600)
	u, _ := bxl.ParseUUID("6f9619ff-8b86-d011-b42d-00c04fc964ff")
	huge := new(big.Int).Exp(big.NewInt(10), big.NewInt(37), nil)
	hugeDec, err := bxl.DecimalFromBig(huge.Neg(huge), 4)
	if err != nil {
		t.Fatal(err)
	}
	rows := [][]any{
		{true, int8(-128), int16(32767), int32(-2147483648), int64(9007199254740993), float32(1.5), math.MaxFloat64,
			mustDecimal(t, "123456789.0123"), "héllo ✓ 你好 🙂", []byte{0, 255, 16},
			time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), 23*time.Hour + 59*time.Minute + 59*time.Second + 999999*time.Microsecond,
			time.Date(2024, 2, 29, 13, 45, 0, 123456000, time.UTC), time.Date(2024, 2, 29, 13, 45, 0, 500000000, ist), u},
		{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
		{false, int8(127), int16(-32768), int32(2147483647), int64(math.MinInt64), float32(-0.25), math.Inf(-1),
			hugeDec, "", []byte{},
			time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), time.Duration(0),
			time.Date(1970, 1, 1, 0, 0, 0, 1000, time.UTC), time.Date(1999, 12, 31, 23, 59, 59, 999999000, pst), bxl.UUID{}},
	}
	b := bxl.NewBuilder(schema)
	for _, r := range rows {
		if err := b.AppendRow(r...); err != nil {
			t.Fatal(err)
		}
	}
	in := b.Build()

	out, outSchema := runIdentity(t, schema, in)
	if !reflect.DeepEqual(outSchema.Fields, schema.Fields) {
		t.Errorf("schema came back as\n%+v\nwant\n%+v", outSchema.Fields, schema.Fields)
	}
	if out.Rows != len(rows) {
		t.Fatalf("got %d rows, want %d", out.Rows, len(rows))
	}
	for r := range rows {
		got, want := out.Row(r), in.Row(r)
		for c := range want {
			if !sameValue(got[c], want[c]) {
				t.Errorf("row %d %s: got %#v, want %#v", r, schema.Fields[c].Name, got[c], want[c])
			}
		}
	}
}

// sameValue compares decoded values, a time by instant and zone offset. It
// repeats sdk/bxl/pybxl's test helper: test code of two packages, not worth
// an exported helper in the SDK.
func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		_, oa := ta.Zone()
		_, ob := tb.Zone()
		return ok && ta.Equal(tb) && oa == ob
	}
	return reflect.DeepEqual(a, b)
}

// runIdentity runs `OutputDataSet = InputDataSet` on the runtime over a real
// socketpair and returns what came back.
func runIdentity(t *testing.T, schema *bxl.Schema, in *bxl.Batch) (*bxl.Batch, *bxl.Schema) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	child := os.NewFile(uintptr(fds[1]), "runtime-end")
	hostFile := os.NewFile(uintptr(fds[0]), "host-end")
	conn, err := net.FileConn(hostFile)
	hostFile.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	// Staged as the launcher stages it: the runtime must find its modules
	// under python3 -I in a folder of its own.
	dir := t.TempDir()
	script, err := stageRuntime(&launcher.RunRequest{WorkingDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-I", "-B", script)
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{child}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Env = []string{"HOME=" + dir, "LANG=C.UTF-8"}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	child.Close()
	defer cmd.Wait()

	w := bxl.NewWriter(conn)
	go func() {
		w.WriteHello()
		w.WriteJob(bxl.JobHeader{JobID: "t", Language: "Python", Script: "OutputDataSet = InputDataSet",
			InputName: "InputDataSet", OutputName: "OutputDataSet"})
		w.WriteParams(&bxl.Schema{}, bxl.NewBuilder(&bxl.Schema{}).Build())
		w.WriteSchema(schema)
		w.WriteBatch(in)
		w.WriteEnd(uint64(in.Rows))
		conn.(*net.UnixConn).CloseWrite()
	}()

	rd := bxl.NewReader(conn, 0)
	var outSchema *bxl.Schema
	var batches []*bxl.Batch
	for {
		ft, p, err := rd.Next()
		if err != nil {
			t.Fatalf("read runtime output: %v\nstderr:\n%s", err, stderr.String())
		}
		switch ft {
		case bxl.FrameSchema:
			if outSchema, err = bxl.DecodeSchema(p); err != nil {
				t.Fatal(err)
			}
		case bxl.FrameBatch:
			b, err := bxl.DecodeBatch(p, outSchema)
			if err != nil {
				t.Fatal(err)
			}
			batches = append(batches, b)
		case bxl.FrameError:
			e, _ := bxl.DecodeError(p)
			t.Fatalf("runtime error: %+v", e)
		case bxl.FrameEnd:
			if len(batches) != 1 {
				t.Fatalf("got %d batches, want 1", len(batches))
			}
			return batches[0], outSchema
		}
	}
}
