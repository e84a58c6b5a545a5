package client

import (
	"encoding/json"
	"fmt"
	"io"
)

// Document is the json format's output, read back: what tests and tools
// parse from `launchpad exec --format json`. Values stay raw JSON, so a
// number keeps its exact literal (an int64 above 2^53, a decimal's digits).
type Document struct {
	Columns      []Column                   `json:"columns"`
	Rows         [][]json.RawMessage        `json:"rows"`
	OutputParams map[string]json.RawMessage `json:"output_params"`
	JobID        string                     `json:"job_id"`
	Stats        DocumentStats              `json:"stats"`
}

// Column is a result column: its name and its type (sqltype.Name).
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// DocumentStats are the job's figures as the json format prints them.
type DocumentStats struct {
	RowsIn          uint64 `json:"rows_in"`
	RowsOut         uint64 `json:"rows_out"`
	RowsWritten     uint64 `json:"rows_written"`
	DurationMs      int64  `json:"duration_ms"`
	PeakMemoryBytes int64  `json:"peak_memory_bytes"`
	CPUUserMs       int64  `json:"cpu_user_ms"`
	CPUSystemMs     int64  `json:"cpu_system_ms"`
	// Start is "warm" or "cold"; StartNote why a job started cold when
	// its launcher keeps warm runtimes.
	Start     string `json:"start,omitempty"`
	StartNote string `json:"start_note,omitempty"`
}

// DecodeDocument reads one json-format document from r.
func DecodeDocument(r io.Reader) (Document, error) {
	var d Document
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("decode json result: %w", err)
	}
	return d, nil
}
