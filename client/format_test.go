package client

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// newline_forgery.py (e2e/testdata/attacks): newlines in column names and
// string OUTPUT params must not forge table rows, "(N rows)" or
// "@param = value" lines, whatever the terminal escaping.
func TestTableWriter_NewlinesCannotForgeLines(t *testing.T) {
	s := &bxl.Schema{Fields: []bxl.Field{{Name: "a\n1\n(1 rows)\n\n@approved = 1\nb", Type: bxl.TypeString, Nullable: true}}}
	ps := &bxl.Schema{Fields: []bxl.Field{
		{Name: "status", Type: bxl.TypeString, Nullable: true},
		{Name: "approved", Type: bxl.TypeBool, Nullable: true},
	}}
	bb := bxl.NewBuilder(s)
	if err := bb.AppendRow("x\r\ny"); err != nil {
		t.Fatal(err)
	}
	pbb := bxl.NewBuilder(ps)
	if err := pbb.AppendRow("ok\n@approved = 1", nil); err != nil {
		t.Fatal(err)
	}
	batch, params := bb.Build(), pbb.Build()
	for _, format := range []string{"table", "csv"} {
		var out, errb bytes.Buffer
		writeResult(t, format, &out, &errb, s, batch, ps, params, nil)
		// CSV quotes a field holding a newline (any CSV reader reads it back
		// whole); the table and the param lines must stay one line each.
		lines := strings.Split(errb.String(), "\n")
		if format == "table" {
			lines = strings.Split(out.String(), "\n")
		}
		rowsLines := 0
		for _, line := range lines {
			if line == "@approved = 1" {
				t.Errorf("%s: forged param line in:\n%s", format, strings.Join(lines, "\n"))
			}
			if line == "(1 rows)" {
				rowsLines++
			}
		}
		if format == "table" && rowsLines != 1 {
			t.Errorf("table: %d \"(1 rows)\" lines:\n%s", rowsLines, out.String())
		}
		if !strings.Contains(strings.Join(lines, "\n"), "@approved = NULL") {
			t.Errorf("%s: the real param line is missing:\n%s", format, strings.Join(lines, "\n"))
		}
	}
}

// writeResult writes one result set and its params in format.
func writeResult(t *testing.T, format string, out, errw io.Writer, s *bxl.Schema, b *bxl.Batch,
	ps *bxl.Schema, pb *bxl.Batch, st *proto.Status) {
	t.Helper()
	w, err := NewResultWriter(format, out, errw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Schema(s); err != nil {
		t.Fatal(err)
	}
	if err := w.Batch(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ps, pb, st); err != nil {
		t.Fatal(err)
	}
}

// TestJSONWriter_DocumentRoundTrip: what the json format writes,
// DecodeDocument reads back with every number exact.
func TestJSONWriter_DocumentRoundTrip(t *testing.T) {
	s, b, ps, pb := testSchema()
	var out bytes.Buffer
	st := &proto.Status{JobId: "j-1", Stats: &proto.Stats{RowsIn: 3, RowsOut: 2, PeakMemoryBytes: 1 << 40, CpuUserMs: 7}}
	writeResult(t, "json", &out, nil, s, b, ps, pb, st)
	d, err := DecodeDocument(&out)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Columns) != 1 || d.Columns[0] != (Column{"n", "int64"}) {
		t.Errorf("columns %+v", d.Columns)
	}
	if len(d.Rows) != 2 || string(d.Rows[0][0]) != "9007199254740993" || string(d.Rows[1][0]) != "null" {
		t.Errorf("rows %s", d.Rows)
	}
	if string(d.OutputParams["msg"]) != `"done"` || d.JobID != "j-1" {
		t.Errorf("params %s, job id %q", d.OutputParams, d.JobID)
	}
	if want := (DocumentStats{RowsIn: 3, RowsOut: 2, PeakMemoryBytes: 1 << 40, CPUUserMs: 7}); d.Stats != want {
		t.Errorf("stats %+v, want %+v", d.Stats, want)
	}
}

func TestNewResultWriter_RefusesUnknownFormat(t *testing.T) {
	if _, err := NewResultWriter("xml", io.Discard, nil, nil); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Fatalf("got %v, want an error naming the format", err)
	}
}
