package client

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// ResultWriter prints a result set as it streams in, then the output params.
type ResultWriter interface {
	Schema(*bxl.Schema) error
	Batch(*bxl.Batch) error
	// Close ends the output; ps and pb are the OUTPUT params (nil for none),
	// st the job's final status.
	Close(ps *bxl.Schema, pb *bxl.Batch, st *proto.Status) error
}

// NewResultWriter writes results to w in format (table, csv or json); the
// CSV format's output params go to stderr, so w holds only the CSV. cell
// renders table and param text (a terminal escapes it, so widths are
// measured on what is shown); nil leaves text as it is.
func NewResultWriter(format string, w, stderr io.Writer, cell func(string) string) (ResultWriter, error) {
	if cell == nil {
		cell = func(s string) string { return s }
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	switch format {
	case "table":
		return &tableWriter{w: bw, cell: cell}, nil
	case "csv":
		return &csvWriter{bw: bw, w: csv.NewWriter(bw), params: stderr}, nil
	case "json":
		return &jsonWriter{w: bw}, nil
	}
	return nil, fmt.Errorf("--format %q: want table, csv or json", format)
}

// render prints a non-NULL value the way SQL tools print it (the type
// table's text), except that bit reads true or false.
func render(t bxl.Type, v any) string {
	if b, ok := v.(bool); ok {
		return strconv.FormatBool(b)
	}
	return sqltype.Text(t, v)
}

// csvWriter: a header row, then rows; NULL is an empty field.
type csvWriter struct {
	bw     *bufio.Writer
	w      *csv.Writer
	s      *bxl.Schema
	params io.Writer // where output params go (stderr)
}

func (c *csvWriter) Schema(s *bxl.Schema) error {
	c.s = s
	names := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		names[i] = f.Name
	}
	return c.w.Write(names)
}

func (c *csvWriter) Batch(b *bxl.Batch) error {
	rec := make([]string, len(b.Columns))
	for r := 0; r < b.Rows; r++ {
		for i := range b.Columns {
			col := &b.Columns[i]
			if col.IsNull(r) {
				rec[i] = ""
			} else {
				rec[i] = render(col.Type, col.Value(r))
			}
		}
		if err := c.w.Write(rec); err != nil {
			return err
		}
	}
	return nil
}

func (c *csvWriter) Close(ps *bxl.Schema, pb *bxl.Batch, _ *proto.Status) error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	if err := c.bw.Flush(); err != nil {
		return err
	}
	// stdout holds only the CSV; output params go to stderr.
	printParams(c.params, ps, pb, func(s string) string { return s })
	return nil
}

func printParams(w io.Writer, ps *bxl.Schema, pb *bxl.Batch, cell func(string) string) {
	if ps == nil || pb == nil || pb.Rows == 0 {
		return
	}
	for i, f := range ps.Fields {
		col := &pb.Columns[i]
		v := "NULL"
		if !col.IsNull(0) {
			v = render(col.Type, col.Value(0))
		}
		fmt.Fprintf(w, "@%s = %s\n", cell(oneLine(f.Name)), cell(oneLine(v)))
	}
}

// oneLine keeps a name or value on its line of a table or param listing: a
// newline in script output must not forge rows or "@param = value" lines.
func oneLine(s string) string { return lineBreaks.Replace(s) }

var lineBreaks = strings.NewReplacer("\n", `\n`, "\r", `\r`)

// tableWriter prints an aligned table. Widths come from the first rows (up to
// tableSample) so a long result still streams with bounded memory.
type tableWriter struct {
	w       *bufio.Writer
	cell    func(string) string // renders text for the terminal
	s       *bxl.Schema
	pending [][]string
	widths  []int
	flushed bool
	rows    int
}

const tableSample = 1000

func (t *tableWriter) Schema(s *bxl.Schema) error {
	t.s = s
	t.widths = make([]int, len(s.Fields))
	for i, f := range s.Fields {
		t.widths[i] = utf8.RuneCountInString(t.cell(oneLine(f.Name)))
	}
	return nil
}

func (t *tableWriter) Batch(b *bxl.Batch) error {
	for r := 0; r < b.Rows; r++ {
		row := make([]string, len(b.Columns))
		for i := range b.Columns {
			col := &b.Columns[i]
			if col.IsNull(r) {
				row[i] = "NULL"
			} else {
				row[i] = t.cell(oneLine(render(col.Type, col.Value(r))))
			}
		}
		t.rows++
		if t.flushed {
			t.line(row)
			continue
		}
		t.pending = append(t.pending, row)
		if len(t.pending) >= tableSample {
			t.flush()
		}
	}
	return nil
}

func (t *tableWriter) flush() {
	for _, row := range t.pending {
		for i, v := range row {
			t.widths[i] = max(t.widths[i], utf8.RuneCountInString(v))
		}
	}
	names := make([]string, len(t.s.Fields))
	rule := make([]string, len(t.s.Fields))
	for i, f := range t.s.Fields {
		names[i] = t.cell(oneLine(f.Name))
		rule[i] = strings.Repeat("-", t.widths[i])
	}
	t.line(names)
	t.line(rule)
	for _, row := range t.pending {
		t.line(row)
	}
	t.pending, t.flushed = nil, true
}

func (t *tableWriter) line(cells []string) {
	for i, c := range cells {
		if i > 0 {
			t.w.WriteString("  ")
		}
		t.w.WriteString(c)
		if i < len(cells)-1 {
			t.w.WriteString(strings.Repeat(" ", max(0, t.widths[i]-utf8.RuneCountInString(c))))
		}
	}
	t.w.WriteByte('\n')
}

func (t *tableWriter) Close(ps *bxl.Schema, pb *bxl.Batch, _ *proto.Status) error {
	if t.s != nil {
		if !t.flushed {
			t.flush()
		}
		fmt.Fprintf(t.w, "(%d rows)\n", t.rows)
	}
	if ps != nil && len(ps.Fields) > 0 {
		if t.s != nil {
			t.w.WriteByte('\n')
		}
		printParams(t.w, ps, pb, t.cell)
	}
	return t.w.Flush()
}

// jsonWriter streams {"columns":[...],"rows":[[...]],"output_params":{...}}.
type jsonWriter struct {
	w       *bufio.Writer
	started bool
	rows    int
}

func (j *jsonWriter) Schema(s *bxl.Schema) error {
	type col struct {
		Name string `json:"name"`
		Type string `json:"type"`
	}
	cols := make([]col, len(s.Fields))
	for i, f := range s.Fields {
		cols[i] = col{f.Name, sqltype.Name(f)}
	}
	b, err := json.Marshal(cols)
	if err != nil {
		return err
	}
	j.w.WriteString(`{"columns":`)
	j.w.Write(b)
	j.w.WriteString(`,"rows":[`)
	j.started = true
	return nil
}

func (j *jsonWriter) Batch(b *bxl.Batch) error {
	for r := 0; r < b.Rows; r++ {
		if j.rows > 0 {
			j.w.WriteByte(',')
		}
		j.rows++
		j.w.WriteByte('[')
		for i := range b.Columns {
			if i > 0 {
				j.w.WriteByte(',')
			}
			col := &b.Columns[i]
			if col.IsNull(r) {
				j.w.WriteString("null")
				continue
			}
			j.w.WriteString(jsonValue(col.Type, col.Value(r)))
		}
		j.w.WriteByte(']')
	}
	return nil
}

// jsonValue keeps numbers exact: an int64 or decimal is written as the exact
// number literal, never through float64.
func jsonValue(t bxl.Type, v any) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case int8, int16, int32, int64:
		return fmt.Sprint(x)
	case bxl.Decimal:
		return x.String()
	case float32:
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return strconv.Quote(render(t, x))
		}
		return render(t, x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.Quote(render(t, x))
		}
		return render(t, x)
	}
	b, _ := json.Marshal(render(t, v)) // marshalling a string cannot fail
	return string(b)
}

func (j *jsonWriter) Close(ps *bxl.Schema, pb *bxl.Batch, st *proto.Status) error {
	if !j.started {
		j.w.WriteString(`{"columns":[],"rows":[`)
	}
	j.w.WriteString(`],"output_params":{`)
	if ps != nil && pb != nil && pb.Rows > 0 {
		for i, f := range ps.Fields {
			if i > 0 {
				j.w.WriteByte(',')
			}
			name, _ := json.Marshal(f.Name)
			j.w.Write(name)
			j.w.WriteByte(':')
			col := &pb.Columns[i]
			if col.IsNull(0) {
				j.w.WriteString("null")
			} else {
				j.w.WriteString(jsonValue(col.Type, col.Value(0)))
			}
		}
	}
	j.w.WriteString("}")
	if st.GetJobId() != "" {
		id, _ := json.Marshal(st.GetJobId()) // marshalling a string cannot fail
		j.w.WriteString(`,"job_id":`)
		j.w.Write(id)
	}
	if s := st.GetStats(); s != nil {
		b, _ := json.Marshal(DocumentStats{ // marshalling plain numbers cannot fail
			RowsIn: s.GetRowsIn(), RowsOut: s.GetRowsOut(), RowsWritten: s.GetRowsWritten(), DurationMs: s.GetDurationMs(),
			PeakMemoryBytes: s.GetPeakMemoryBytes(), CPUUserMs: s.GetCpuUserMs(), CPUSystemMs: s.GetCpuSystemMs(),
			Start: s.GetStart(), StartNote: s.GetStartNote(),
		})
		j.w.WriteString(`,"stats":`)
		j.w.Write(b)
	}
	j.w.WriteString("}\n")
	return j.w.Flush()
}
