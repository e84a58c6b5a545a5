package resultset

import (
	"errors"
	"fmt"

	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// ErrMismatch is wrapped by every error about the output not fitting.
var ErrMismatch = errors.New("output does not match the result schema")

// Shaper converts one output data set.
type Shaper struct {
	in, out  *bxl.Schema
	identity bool
	rows     int // rows converted so far: errors count rows over the whole data set
}

// New checks that the output schema got can take the declared shape.
func New(decls []sqltype.Decl, got *bxl.Schema) (*Shaper, error) {
	if len(decls) != len(got.Fields) {
		return nil, fmt.Errorf("%w: it declares %d columns, the output data set has %d",
			ErrMismatch, len(decls), len(got.Fields))
	}
	s := &Shaper{in: got, out: &bxl.Schema{}, identity: true}
	for i, d := range decls {
		from, to := got.Fields[i], d.Field
		to.Output = false
		if !sqltype.CanCast(from.Type, to.Type) {
			return nil, fmt.Errorf("%w: column %d %q is %s and cannot become %s (%s) as declared for %q",
				ErrMismatch, i+1, from.Name, sqltype.Name(from), d.SQLType, sqltype.Name(to), d.Name)
		}
		if from.Type != to.Type || from.Precision != to.Precision || from.Scale != to.Scale {
			s.identity = false
		}
		s.out.Fields = append(s.out.Fields, to)
	}
	return s, nil
}

// Identity reports whether batches keep their buffers (only names change),
// so their encoded form can be forwarded as it is.
func (s *Shaper) Identity() bool { return s.identity }

// Schema is the declared schema the converted batches have.
func (s *Shaper) Schema() *bxl.Schema { return s.out }

// maxShapedBytes bounds one converted batch: a narrow input column (bits)
// may become a wide one (text), and the host must not build a frame's worth
// of it at once.
const maxShapedBytes = 4 << 20

// Convert passes b to emit in the declared shape, as one or more batches of
// at most about maxShapedBytes. When only names change, emit gets b's
// buffers under the declared schema, without copying.
func (s *Shaper) Convert(b *bxl.Batch, emit func(*bxl.Batch) error) error {
	if err := s.checkNotNull(b); err != nil {
		return err
	}
	if s.identity {
		s.rows += b.Rows
		return emit(&bxl.Batch{Schema: s.out, Rows: b.Rows, Columns: b.Columns})
	}
	bb := bxl.NewBuilder(s.out)
	row := make([]any, len(s.out.Fields))
	for r := 0; r < b.Rows; r++ {
		if err := s.convertRow(b, r, row); err != nil {
			return err
		}
		if err := bb.AppendRow(row...); err != nil {
			return fmt.Errorf("%w: row %d: %v", ErrMismatch, s.rows+1, err)
		}
		s.rows++
		if bb.Size() >= maxShapedBytes {
			if err := emit(bb.Build()); err != nil {
				return err
			}
			bb = bxl.NewBuilder(s.out)
		}
	}
	if bb.Rows() == 0 {
		return nil
	}
	return emit(bb.Build())
}

// convertRow fills row with row r of b in the declared types.
func (s *Shaper) convertRow(b *bxl.Batch, r int, row []any) error {
	for c := range s.out.Fields {
		col := &b.Columns[c]
		if col.IsNull(r) {
			row[c] = nil
			continue
		}
		v, err := cast(col.Value(r), col.Type, s.out.Fields[c])
		if err != nil {
			return fmt.Errorf("%w: column %q row %d: %v", ErrMismatch, s.out.Fields[c].Name, s.rows+1, err)
		}
		row[c] = v
	}
	return nil
}

// checkNotNull refuses a NULL in a column declared NOT NULL, naming the
// column and the row (counted from 1 within the data set).
func (s *Shaper) checkNotNull(b *bxl.Batch) error {
	for c, f := range s.out.Fields {
		col := &b.Columns[c]
		if f.Nullable || col.NullCount() == 0 {
			continue
		}
		for r := 0; r < b.Rows; r++ {
			if col.IsNull(r) {
				return fmt.Errorf("%w: column %q row %d is NULL, but the column is declared NOT NULL",
					ErrMismatch, f.Name, s.rows+r+1)
			}
		}
	}
	return nil
}
