package main

import (
	"bytes"
	"strings"
	"testing"

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
		w, err := newResultWriter(format, &out, &errb, func(s string) string { return s })
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Schema(s); err != nil {
			t.Fatal(err)
		}
		if err := w.Batch(batch); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(ps, params, nil); err != nil {
			t.Fatal(err)
		}
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
