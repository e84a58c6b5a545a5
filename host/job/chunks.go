package job

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// RowsPerReadParam is the declared param whose value, as in SQL Server,
// sets the chunk size (@r_rowsPerRead).
const RowsPerReadParam = "r_rowsPerRead"

// chunked reports whether the runtime runs the script per chunk.
func (req *Request) chunked() bool {
	return req.RowsPerRead > 0 || len(req.PartitionBy) > 0
}

// prepareChunks checks the streaming and partition settings and takes the
// chunk size from a declared @r_rowsPerRead param.
func prepareChunks(req *Request) error {
	id := req.ID
	if err := rowsPerReadFromParams(req); err != nil {
		return err
	}
	if req.RowsPerRead < 0 {
		return failf(id, CodeInvalidRequest, "rows per read is %d: give a positive number of rows", req.RowsPerRead)
	}
	for _, c := range req.PartitionBy {
		if !sqltype.ValidIdentifier(c) {
			return failf(id, CodeInvalidRequest, "partition column %q is not a valid identifier", c)
		}
	}
	for _, c := range req.OrderBy {
		if !validOrderTerm(c) {
			return failf(id, CodeInvalidRequest, "order column %q: want a column name, optionally followed by ASC or DESC", c)
		}
	}
	if (len(req.PartitionBy) > 0 || len(req.OrderBy) > 0) && strings.TrimSpace(req.InputQuery) == "" {
		return failf(id, CodeInvalidRequest, "partition or order columns need an input query")
	}
	if len(req.OrderBy) > 0 && len(req.PartitionBy) == 0 {
		// SQL Server orders only within partitions; without them the input
		// query's own ORDER BY says it.
		return failf(id, CodeInvalidRequest, "order-by columns order rows within partitions: give partition-by columns too (or ORDER BY in the input query)")
	}
	return nil
}

// validOrderTerm accepts "name", "name ASC" and "name DESC".
func validOrderTerm(t string) bool {
	f := strings.Fields(t)
	if len(f) == 0 || len(f) > 2 || !sqltype.ValidIdentifier(f[0]) {
		return false
	}
	return len(f) == 1 || strings.EqualFold(f[1], "ASC") || strings.EqualFold(f[1], "DESC")
}

// rowsPerReadFromParams sets RowsPerRead from a declared @r_rowsPerRead
// param with a value, as sp_execute_external_script reads it.
func rowsPerReadFromParams(req *Request) error {
	for _, d := range req.Params {
		if !strings.EqualFold(d.Name, RowsPerReadParam) {
			continue
		}
		text, ok := req.ParamValues[d.Name]
		if !ok {
			return nil // NULL: no streaming
		}
		n, err := strconv.ParseInt(strings.TrimSpace(text), 10, 64)
		if err != nil || n < 0 {
			return failf(req.ID, CodeInvalidRequest, "@%s = %q: want a number of rows, 0 or more", d.Name, text)
		}
		if req.RowsPerRead > 0 && n > 0 && n != req.RowsPerRead {
			return failf(req.ID, CodeInvalidRequest, "@%s = %d and rows per read %d disagree", d.Name, n, req.RowsPerRead)
		}
		if n > 0 {
			req.RowsPerRead = n
		}
	}
	return nil
}

// chunkRows cuts rows into the request's chunks, when it asks for them.
func chunkRows(req *Request, rows datasource.Rows) (datasource.Rows, error) {
	if !req.chunked() {
		return rows, nil
	}
	var keys []int
	if len(req.PartitionBy) > 0 {
		var err error
		if keys, err = columnIndexes(rows.Schema(), req.PartitionBy); err != nil {
			return nil, err
		}
	}
	return newChunker(rows, req.RowsPerRead, keys), nil
}

// orderedQuery wraps the input query so its rows arrive grouped by the
// partition columns, each group in the order-by columns' order.
func orderedQuery(q string, partition, order []string) string {
	if len(partition) == 0 && len(order) == 0 {
		return q
	}
	q = strings.TrimRight(strings.TrimSpace(q), "; \t\r\n")
	cols := append(append([]string{}, partition...), order...)
	return fmt.Sprintf("SELECT * FROM (\n%s\n) AS launchpad_input ORDER BY %s", q, strings.Join(cols, ", "))
}

// columnIndexes finds names in s (case-insensitive, as T-SQL names).
func columnIndexes(s *bxl.Schema, names []string) ([]int, error) {
	idx := make([]int, len(names))
	for i, n := range names {
		idx[i] = -1
		for j, f := range s.Fields {
			if strings.EqualFold(f.Name, n) {
				idx[i] = j
				break
			}
		}
		if idx[i] < 0 {
			return nil, fmt.Errorf("partition column %q is not a column of the input query", n)
		}
	}
	return idx, nil
}

// chunker cuts an input stream into the runtime's chunks: at most per rows
// each (0: no limit) and a new chunk wherever the partition key changes. A
// BATCH of zero rows tells the runtime a chunk ended; none follows the last
// chunk. Batches are forwarded whole when they fit in one chunk.
type chunker struct {
	in    datasource.Rows
	per   int64
	keys  []int // partition key columns
	empty *bxl.Batch

	cur     *bxl.Batch
	off     int
	inChunk int64
	last    []any // the previous row's partition key
	brk     bool  // a chunk ends before the next row
	// partitions counts the partitions seen (1 after the first row).
	partitions int
}

func newChunker(in datasource.Rows, per int64, keys []int) *chunker {
	s := in.Schema()
	return &chunker{in: in, per: per, keys: keys, empty: bxl.NewBuilder(s).Build()}
}

func (c *chunker) Schema() *bxl.Schema { return c.in.Schema() }
func (c *chunker) Close() error        { return c.in.Close() }

// Next returns the next batch of the chunked stream.
func (c *chunker) Next() (*bxl.Batch, error) {
	for c.cur == nil {
		b, err := c.in.Next()
		if err != nil {
			return nil, err
		}
		if b.Rows > 0 {
			c.cur, c.off = b, 0
		}
	}
	if c.keys != nil {
		k := rowKey(c.cur, c.keys, c.off)
		if c.last == nil || !sameKey(k, c.last) {
			c.partitions++
			c.brk = c.brk || c.last != nil
		}
		c.last = k
	}
	if c.brk && c.inChunk > 0 {
		c.brk, c.inChunk = false, 0
		return c.empty, nil
	}
	c.brk = false
	end := c.cut()
	out, err := sliceBatch(c.in.Schema(), c.cur, c.off, end)
	if err != nil {
		return nil, err
	}
	c.inChunk += int64(end - c.off)
	c.off = end
	if c.keys != nil {
		c.last = rowKey(c.cur, c.keys, end-1)
	}
	if c.off == c.cur.Rows {
		c.cur = nil
	}
	if c.per > 0 && c.inChunk >= c.per {
		c.brk = true
	}
	return out, nil
}

// cut is the end of the current run: the chunk size, the next partition
// key change or the batch's end, whichever comes first.
func (c *chunker) cut() int {
	end := c.cur.Rows
	if c.per > 0 {
		end = int(min(int64(end), int64(c.off)+c.per-c.inChunk))
	}
	if c.keys == nil {
		return end
	}
	first := c.last
	for i := c.off + 1; i < end; i++ {
		if !sameKey(rowKey(c.cur, c.keys, i), first) {
			return i
		}
	}
	return end
}

// rowKey is row i's values of the key columns.
func rowKey(b *bxl.Batch, keys []int, i int) []any {
	k := make([]any, len(keys))
	for j, col := range keys {
		k[j] = b.Columns[col].Value(i)
	}
	return k
}

// sameKey says whether two partition keys are equal; NULLs are equal to
// each other, as GROUP BY groups them.
func sameKey(a, b []any) bool {
	for i := range a {
		if !sameValue(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameValue(a, b any) bool {
	switch x := a.(type) {
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case time.Time:
		y, ok := b.(time.Time)
		_, xo := x.Zone()
		_, yo := y.Zone()
		return ok && x.Equal(y) && xo == yo
	}
	return a == b
}

// sliceBatch returns rows [a, b) of batch (the batch itself when whole).
func sliceBatch(schema *bxl.Schema, batch *bxl.Batch, a, b int) (*bxl.Batch, error) {
	if a == 0 && b == batch.Rows {
		return batch, nil
	}
	bld := bxl.NewBuilder(schema)
	for i := a; i < b; i++ {
		if err := bld.AppendRow(batch.Row(i)...); err != nil {
			return nil, fmt.Errorf("cut input batch at row %d: %w", i, err)
		}
	}
	return bld.Build(), nil
}

var _ datasource.Rows = (*chunker)(nil)
