// Package resultset checks a script's output data set against a declared
// result schema and converts it, like T-SQL's WITH RESULT SETS: columns take
// the declared names and types, values convert as CAST would (a float rounds
// to a decimal's scale, a string parses as the declared type), and a column
// or value that cannot convert is an error naming the column.
package resultset

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// ErrMismatch is wrapped by every error about the output not fitting.
var ErrMismatch = errors.New("output does not match the result schema")

// Shaper converts one output data set.
type Shaper struct {
	in, out  *bxl.Schema
	identity bool
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

// Convert returns b in the declared shape. When only names change it
// returns b's buffers under the declared schema without copying.
func (s *Shaper) Convert(b *bxl.Batch) (*bxl.Batch, error) {
	if s.identity {
		return &bxl.Batch{Schema: s.out, Rows: b.Rows, Columns: b.Columns}, nil
	}
	bb := bxl.NewBuilder(s.out)
	row := make([]any, len(s.out.Fields))
	for r := 0; r < b.Rows; r++ {
		for c := range s.out.Fields {
			col := &b.Columns[c]
			if col.IsNull(r) {
				row[c] = nil
				continue
			}
			v, err := convert(col.Value(r), col.Type, s.out.Fields[c])
			if err != nil {
				return nil, fmt.Errorf("%w: column %q row %d: %v", ErrMismatch, s.out.Fields[c].Name, r+1, err)
			}
			row[c] = v
		}
		if err := bb.AppendRow(row...); err != nil {
			return nil, fmt.Errorf("%w: row %d: %v", ErrMismatch, r+1, err)
		}
	}
	return bb.Build(), nil
}

func isInt(t bxl.Type) bool {
	return t == bxl.TypeInt8 || t == bxl.TypeInt16 || t == bxl.TypeInt32 || t == bxl.TypeInt64
}

// convert turns a non-NULL value of type from into one the builder accepts
// for field to.
func convert(v any, from bxl.Type, to bxl.Field) (any, error) {
	if to.Type == bxl.TypeString {
		return sqltype.Text(from, v), nil
	}
	if b, ok := v.(bool); ok {
		if to.Type == bxl.TypeBool {
			return b, nil
		}
		v = int64(0)
		if b {
			v = int64(1)
		}
	}
	switch x := v.(type) {
	case string:
		return sqltype.ParseValue(to, x)
	case float32:
		return fromFloat(float64(x), to)
	case float64:
		return fromFloat(x, to)
	case bxl.Decimal:
		return fromDecimal(x, to)
	case int8, int16, int32, int64:
		n := reflectInt(x)
		switch {
		case to.Type == bxl.TypeBool:
			return n != 0, nil
		case to.Type == bxl.TypeDecimal:
			return bxl.ParseDecimal(strconv.FormatInt(n, 10), to.Precision, to.Scale)
		}
		return n, nil
	}
	// Temporal values: the builder takes a time.Time for each temporal type
	// and reads what it needs (date: the day; datetime: the wall clock).
	return v, nil
}

func reflectInt(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	}
	return v.(int64)
}

func fromFloat(f float64, to bxl.Field) (any, error) {
	switch {
	case to.Type == bxl.TypeBool:
		return f != 0, nil
	case isInt(to.Type):
		if f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
			return nil, fmt.Errorf("%v is not a whole number within %s", f, to.Type)
		}
		return int64(f), nil
	case to.Type == bxl.TypeDecimal:
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%v has no decimal form", f)
		}
		// Like CAST(float AS decimal(p,s)): round to the scale.
		return bxl.ParseDecimal(strconv.FormatFloat(f, 'f', int(to.Scale), 64), to.Precision, to.Scale)
	}
	return f, nil
}

func fromDecimal(d bxl.Decimal, to bxl.Field) (any, error) {
	switch {
	case to.Type == bxl.TypeDecimal:
		return d.Rescale(to.Precision, to.Scale)
	case to.Type == bxl.TypeFloat32 || to.Type == bxl.TypeFloat64:
		return strconv.ParseFloat(d.String(), 64)
	}
	n := d.Big()
	q, r := new(big.Int).QuoRem(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil), new(big.Int))
	if to.Type == bxl.TypeBool {
		return n.Sign() != 0, nil
	}
	if r.Sign() != 0 || !q.IsInt64() {
		return nil, fmt.Errorf("%s is not a whole number within %s", d, to.Type)
	}
	return q.Int64(), nil
}
