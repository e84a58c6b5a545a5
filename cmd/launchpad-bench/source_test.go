package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

func TestSynthSource_StreamsExactRowsInBoundedBatches(t *testing.T) {
	const batchBytes = 64 << 10
	tests := []struct {
		name  string
		shape string
		rows  int64
	}{
		{"numeric empty", shapeNumeric, 0},
		{"numeric one row", shapeNumeric, 1},
		{"numeric several batches and a partial one", shapeNumeric, 3*int64(batchBytes/16) + 7},
		{"mixed several batches and a partial one", shapeMixed, 2*int64(batchBytes/36) + 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &synthSource{}
			rows, err := src.Query(context.Background(), synthQuery(tt.shape, tt.rows), nil, batchBytes)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got int64
			var buf bytes.Buffer
			w := bxl.NewWriter(&buf)
			for {
				b, err := rows.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if size := b.Bytes(); size > batchBytes {
					t.Fatalf("batch of %d bytes, want at most %d", size, batchBytes)
				}
				// The writer validates the batch against the schema.
				if err := w.WriteBatch(b); err != nil {
					t.Fatalf("batch at row %d does not encode: %v", got, err)
				}
				if b.Rows > 0 {
					last := b.Rows - 1
					if id := b.Columns[0].Int64(last); float64(id)/2 != b.Columns[1].Float64(last) {
						t.Fatalf("row %d: x = %v, want id/2 with id %d", last, b.Columns[1].Float64(last), id)
					}
					if tt.shape == shapeMixed {
						want := fmt.Sprintf("s%015d", b.Columns[0].Int64(last))
						if s := b.Columns[2].Str(last); s != want {
							t.Fatalf("row %d: s = %q, want %q", last, s, want)
						}
					}
				}
				got += int64(b.Rows)
			}
			if got != tt.rows {
				t.Fatalf("streamed %d rows, want %d", got, tt.rows)
			}
		})
	}
}

func TestSynthSource_RejectsBadQueriesAndWrites(t *testing.T) {
	src := &synthSource{}
	for _, q := range []string{"synthetic:wide:10", "synthetic:numeric", "synthetic:numeric:-1", "SELECT 1"} {
		if _, err := src.Query(context.Background(), q, nil, 0); !errors.Is(err, errBadSyntheticQuery) {
			t.Errorf("Query(%q) = %v, want %v", q, err, errBadSyntheticQuery)
		}
	}
	if _, err := src.BeginWrite(context.Background(), "t", true, &bxl.Schema{}); !errors.Is(err, errSyntheticWrite) {
		t.Errorf("BeginWrite = %v, want %v", err, errSyntheticWrite)
	}
}

func TestWriteCSV_MatchesSyntheticRows(t *testing.T) {
	var buf bytes.Buffer
	n, err := writeCSV(&buf, shapeMixed, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := "id,x,s\n0,0,s000000000000000\n1,0.5,s000000000000001\n2,1,s000000000000002\n"
	if buf.String() != want || n != int64(len(want)) {
		t.Fatalf("writeCSV wrote %d bytes:\n%s\nwant:\n%s", n, buf.String(), want)
	}
	if lines, err := countLines(strings.NewReader(want)); err != nil || lines != 4 {
		t.Fatalf("countLines = %d, %v; want 4", lines, err)
	}
}
