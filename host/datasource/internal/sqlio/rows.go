package sqlio

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// Column is how one result column becomes a BXL field. When Known is false
// the type is inferred from the column's first non-NULL value.
type Column struct {
	Field bxl.Field
	Known bool
	// Pre, when set, turns a driver value into something toBXL accepts (e.g.
	// SQL Server's mixed-endian GUID bytes into a bxl.UUID).
	Pre func(any) (any, error)
}

// sqlRows streams a *sql.Rows as BXL batches.
type sqlRows struct {
	rows       *sql.Rows
	cols       []Column
	schema     *bxl.Schema
	batchBytes int
	sanitize   func(error) error
	b          *bxl.Builder // reused: Build hands over the buffers and resets it
	valueLimit int          // largest string/binary value and row, in bytes

	cells   []cell // scan targets
	vals    []any  // the row read, checked against valueLimit
	ptrs    []any
	out     []any // converted row handed to the builder
	peeked  [][]any
	row     int64 // 1-based number of the last row read
	done    bool
	closed  bool
	lastErr error
}

// maxPeekRows bounds how far inference looks for a non-NULL value when the
// rows are tiny (the byte bound would allow millions of them).
const maxPeekRows = 65536

// NewRows streams rows as BXL batches of about batchBytes, typing the
// columns by cols (inferring those not Known) and refusing a value or row
// beyond valueLimit. sanitize, when set, cleans every driver error.
func NewRows(rows *sql.Rows, cols []Column, batchBytes, valueLimit int, sanitize func(error) error) (datasource.Rows, error) {
	if batchBytes <= 0 {
		batchBytes = bxl.DefaultBatchBytes
	}
	if valueLimit <= 0 {
		valueLimit = datasource.DefaultValueLimit
	}
	if sanitize == nil {
		sanitize = func(err error) error { return err }
	}
	r := &sqlRows{rows: rows, cols: cols, batchBytes: batchBytes, valueLimit: valueLimit, sanitize: sanitize}
	r.cells = make([]cell, len(cols))
	r.vals = make([]any, len(cols))
	r.ptrs = make([]any, len(cols))
	r.out = make([]any, len(cols))
	for i := range r.cells {
		r.cells[i].limit = valueLimit
		r.ptrs[i] = &r.cells[i]
	}
	if err := r.infer(); err != nil {
		_ = rows.Close()
		return nil, err
	}
	fields := make([]bxl.Field, len(cols))
	for i, c := range cols {
		fields[i] = c.Field
	}
	r.schema = &bxl.Schema{Fields: fields}
	r.b = bxl.NewBuilder(r.schema)
	return r, nil
}

// infer peeks at a bounded first stretch of rows to type the columns that
// have no declared type. Columns still all NULL by then become strings.
func (r *sqlRows) infer() error {
	unknown := 0
	for _, c := range r.cols {
		if !c.Known {
			unknown++
		}
	}
	size := 0
	for unknown > 0 && size < r.batchBytes && len(r.peeked) < maxPeekRows {
		ok, err := r.scan()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		row := make([]any, len(r.vals))
		copy(row, r.vals)
		r.peeked = append(r.peeked, row)
		for i, v := range row {
			size += approxSize(v)
			if r.cols[i].Known || v == nil {
				continue
			}
			f, ok := inferField(r.cols[i].Field.Name, v)
			if !ok {
				return fmt.Errorf("column %q row %d: %w: cannot infer a type from %T", r.cols[i].Field.Name, r.row, datasource.ErrUnsupportedType, v)
			}
			r.cols[i].Field = f
			r.cols[i].Known = true
			unknown--
		}
	}
	for i := range r.cols {
		if !r.cols[i].Known {
			r.cols[i].Field = bxl.Field{Name: r.cols[i].Field.Name, Type: bxl.TypeString, Nullable: true}
			r.cols[i].Known = true
		}
	}
	return nil
}

func approxSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x) + 8
	case []byte:
		return len(x) + 8
	}
	return 8
}

// scan reads the next row from the driver into r.vals.
func (r *sqlRows) scan() (bool, error) {
	if r.done {
		return false, nil
	}
	if !r.rows.Next() {
		r.done = true
		if err := r.rows.Err(); err != nil {
			return false, fmt.Errorf("read row %d: %w", r.row+1, r.sanitize(err))
		}
		return false, nil
	}
	r.row++
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return false, fmt.Errorf("read row %d: %w", r.row, r.sanitize(err))
	}
	return true, r.takeRow()
}

// takeRow moves the scanned cells into r.vals, refusing a value, or a row's
// values together, beyond the value limit: one batch then never holds more
// than batchBytes plus one row.
func (r *sqlRows) takeRow() error {
	total := 0
	for i := range r.cells {
		v := r.cells[i].v
		r.cells[i].v = nil
		name := r.cols[i].Field.Name
		switch x := v.(type) {
		case oversize:
			return fmt.Errorf("column %q row %d: value of %d bytes %w of %s", name, r.row, int(x), datasource.ErrValueTooLarge, FormatBytes(r.valueLimit))
		case string:
			total += len(x)
		case []byte:
			total += len(x)
		}
		if total > r.valueLimit {
			return fmt.Errorf("column %q row %d: the row's values up to this column (%d bytes) %w of %s",
				name, r.row, total, datasource.ErrValueTooLarge, FormatBytes(r.valueLimit))
		}
		r.vals[i] = v
	}
	return nil
}

// oversize stands for a value too large to copy: its length in bytes.
type oversize int

// cell is a scan target that sees the driver's value before database/sql
// copies it (a Scanner gets the driver's own value), so a value beyond the
// limit is measured and dropped rather than copied once more.
type cell struct {
	v     any
	limit int
}

func (c *cell) Scan(src any) error {
	switch x := src.(type) {
	case []byte:
		if len(x) > c.limit {
			c.v = oversize(len(x))
			return nil
		}
		// The driver may reuse its buffer on the next row.
		c.v = bytes.Clone(x)
	case string:
		if len(x) > c.limit {
			c.v = oversize(len(x))
			return nil
		}
		c.v = x
	default:
		c.v = src
	}
	return nil
}

// FormatBytes renders a limit the way operators configure it.
func FormatBytes(n int) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (r *sqlRows) Schema() *bxl.Schema { return r.schema }

// Next returns the next batch, cut when the builder holds about batchBytes.
func (r *sqlRows) Next() (*bxl.Batch, error) {
	if r.lastErr != nil {
		return nil, r.lastErr
	}
	if r.closed {
		return nil, io.EOF
	}
	b := r.b
	// Rows already read during inference come first; their numbers precede r.row.
	firstPeeked := r.row - int64(len(r.peeked)) + 1
	for len(r.peeked) > 0 {
		row := r.peeked[0]
		r.peeked[0] = nil
		r.peeked = r.peeked[1:]
		if err := r.append(b, row, firstPeeked); err != nil {
			return nil, r.fail(err)
		}
		firstPeeked++
		if b.Size() >= r.batchBytes {
			return b.Build(), nil
		}
	}
	for {
		ok, err := r.scan()
		if err != nil {
			return nil, r.fail(err)
		}
		if !ok {
			break
		}
		if err := r.append(b, r.vals, r.row); err != nil {
			return nil, r.fail(err)
		}
		if b.Size() >= r.batchBytes {
			return b.Build(), nil
		}
	}
	if b.Rows() == 0 {
		return nil, io.EOF
	}
	return b.Build(), nil
}

func (r *sqlRows) fail(err error) error {
	r.lastErr = err
	_ = r.rows.Close()
	return err
}

func (r *sqlRows) append(b *bxl.Builder, row []any, rowNum int64) error {
	for i, v := range row {
		if v == nil {
			r.out[i] = nil
			continue
		}
		c := &r.cols[i]
		var err error
		if c.Pre != nil {
			if v, err = c.Pre(v); err != nil {
				return fmt.Errorf("column %q row %d: %w", c.Field.Name, rowNum, err)
			}
		}
		if r.out[i], err = toBXL(c.Field, v); err != nil {
			return fmt.Errorf("column %q row %d: %w", c.Field.Name, rowNum, err)
		}
	}
	if err := b.AppendRow(r.out...); err != nil {
		return fmt.Errorf("row %d: %w", rowNum, err)
	}
	return nil
}

func (r *sqlRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.peeked = nil
	if err := r.rows.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		return r.sanitize(err)
	}
	return nil
}
