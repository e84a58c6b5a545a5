package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// Shapes of the synthetic data set.
const (
	shapeMixed   = "mixed"   // id int64, x float64, s string of strLen bytes
	shapeNumeric = "numeric" // id int64, x float64
)

// strLen is the byte length of every string of the mixed shape.
const strLen = 16

// synthPrefix starts the input queries the synthetic source answers itself:
// "synthetic:SHAPE:ROWS". Anything else goes to the fallback (the SQLite
// instance), so one host serves both.
const synthPrefix = "synthetic:"

// errSyntheticWrite is returned by BeginWrite: the bench only reads.
var errSyntheticWrite = errors.New("synthetic source: writing tables is not supported")

// errBadSyntheticQuery means a "synthetic:" query is malformed.
var errBadSyntheticQuery = errors.New("synthetic source: bad query")

func synthQuery(shape string, rows int64) string {
	return fmt.Sprintf("%s%s:%d", synthPrefix, shape, rows)
}

// synthSource generates rows without a database. Every full batch is the same
// pre-built ~batchBytes template (rows repeat every template length), so
// generating costs nothing next to the path being measured.
type synthSource struct {
	fallback datasource.Source // may be nil
}

var _ datasource.Source = (*synthSource)(nil)

func (s *synthSource) Query(ctx context.Context, query string, params []datasource.Param, batchBytes int) (datasource.Rows, error) {
	rest, ok := strings.CutPrefix(query, synthPrefix)
	if !ok {
		if s.fallback == nil {
			return nil, fmt.Errorf("%w: %q is not a synthetic query", errBadSyntheticQuery, query)
		}
		return s.fallback.Query(ctx, query, params, batchBytes)
	}
	shape, n, ok := strings.Cut(rest, ":")
	rows, err := strconv.ParseInt(n, 10, 64)
	if !ok || err != nil || rows < 0 {
		return nil, fmt.Errorf("%w: %q: want synthetic:SHAPE:ROWS", errBadSyntheticQuery, query)
	}
	if batchBytes <= 0 {
		batchBytes = bxl.DefaultBatchBytes
	}
	return newSynthRows(shape, rows, batchBytes)
}

// TableColumns is the fallback's: synthetic queries have no tables.
func (s *synthSource) TableColumns(ctx context.Context, table string) ([]datasource.TableColumn, error) {
	if s.fallback == nil {
		return nil, fmt.Errorf("%w: no table %q", errBadSyntheticQuery, table)
	}
	return s.fallback.TableColumns(ctx, table)
}

func (s *synthSource) BeginWrite(context.Context, string, bool, *bxl.Schema) (datasource.TableWriter, error) {
	return nil, errSyntheticWrite
}

func (s *synthSource) Close() error {
	if s.fallback != nil {
		return s.fallback.Close()
	}
	return nil
}

// synthSchema returns the schema of a shape.
func synthSchema(shape string) (*bxl.Schema, error) {
	fields := []bxl.Field{{Name: "id", Type: bxl.TypeInt64}, {Name: "x", Type: bxl.TypeFloat64}}
	switch shape {
	case shapeNumeric:
	case shapeMixed:
		fields = append(fields, bxl.Field{Name: "s", Type: bxl.TypeString})
	default:
		return nil, fmt.Errorf("%w: unknown shape %q", errBadSyntheticQuery, shape)
	}
	return &bxl.Schema{Fields: fields}, nil
}

// rowBytes is the BXL buffer bytes one row of a shape takes.
func rowBytes(shape string) int {
	if shape == shapeMixed {
		return 8 + 8 + 4 + strLen
	}
	return 8 + 8
}

// synthRows streams rows batches of the template, the last one cut short.
type synthRows struct {
	schema   *bxl.Schema
	template *bxl.Batch
	left     int64
}

func newSynthRows(shape string, rows int64, batchBytes int) (*synthRows, error) {
	s, err := synthSchema(shape)
	if err != nil {
		return nil, err
	}
	per := max(1, batchBytes/rowBytes(shape))
	return &synthRows{schema: s, template: synthBatch(s, per), left: rows}, nil
}

// synthBatch fills n rows: id = i, x = i/2, s = "s" and i in 15 digits.
func synthBatch(s *bxl.Schema, n int) *bxl.Batch {
	b := bxl.NewBuilder(s)
	for i := range n {
		v := []any{int64(i), float64(i) / 2}
		if len(s.Fields) == 3 {
			v = append(v, fmt.Sprintf("s%015d", i))
		}
		if err := b.AppendRow(v...); err != nil {
			panic(err) // the values fit the schema by construction
		}
	}
	return b.Build()
}

func (r *synthRows) Schema() *bxl.Schema { return r.schema }

func (r *synthRows) Next() (*bxl.Batch, error) {
	if r.left <= 0 {
		return nil, io.EOF
	}
	t := r.template
	if r.left >= int64(t.Rows) {
		r.left -= int64(t.Rows)
		return t, nil
	}
	n := int(r.left)
	r.left = 0
	return sliceBatch(t, n), nil
}

// sliceBatch returns the first n rows of b, sharing its buffers (no NULLs).
func sliceBatch(b *bxl.Batch, n int) *bxl.Batch {
	out := &bxl.Batch{Schema: b.Schema, Rows: n, Columns: make([]bxl.Column, len(b.Columns))}
	for i, c := range b.Columns {
		nc := bxl.Column{Type: c.Type, Len: n}
		switch c.Type {
		case bxl.TypeString:
			offs := c.Buffers[0][:4*(n+1)]
			end := int(uint32(offs[4*n]) | uint32(offs[4*n+1])<<8 | uint32(offs[4*n+2])<<16 | uint32(offs[4*n+3])<<24)
			nc.Buffers = [][]byte{offs, c.Buffers[1][:end]}
		default:
			nc.Buffers = [][]byte{c.Buffers[0][:8*n]}
		}
		out.Columns[i] = nc
	}
	return out
}

func (r *synthRows) Close() error { return nil }
