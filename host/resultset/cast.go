package resultset

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// cast turns a non-NULL value of type from into one the builder accepts for
// field to, as T-SQL's CAST does:
//   - to a string: the type table's text (CAST … AS nvarchar);
//   - from a string: the declared type's literal, leading and trailing
//     spaces ignored; text for a decimal rounds to its scale;
//   - to an integer: toward zero (2.7 → 2, -2.7 → -2); out of range fails;
//   - to a decimal: rounded half away from zero to the scale; too many
//     digits fail;
//   - to a float: the nearest float;
//   - to bit: non-zero is 1;
//   - between date, datetime and datetimeoffset: the date or the wall
//     clock is kept, the offset of a datetime or date becomes +00:00.
//
// Anything else was refused when the shape was checked (sqltype.CanCast).
func cast(v any, from bxl.Type, to bxl.Field) (any, error) {
	if to.Type == bxl.TypeString {
		return sqltype.Text(from, v), nil
	}
	if s, ok := v.(string); ok {
		return castText(strings.TrimSpace(s), to)
	}
	switch {
	case to.Type == bxl.TypeBool:
		r, err := exact(v)
		if err != nil {
			return nil, err
		}
		return r.Sign() != 0, nil
	case isInt(to.Type):
		r, err := exact(v)
		if err != nil {
			return nil, err
		}
		return toInt(new(big.Int).Quo(r.Num(), r.Denom()), to.Type)
	case to.Type == bxl.TypeDecimal:
		r, err := exact(v)
		if err != nil {
			return nil, err
		}
		return toDecimal(r, to)
	case to.Type == bxl.TypeFloat32 || to.Type == bxl.TypeFloat64:
		return toFloat(v, to.Type)
	}
	// Temporal values: the builder takes a time.Time for each temporal type
	// and reads what it needs (date: the day; datetime: the wall clock).
	return v, nil
}

// Cast converts one non-NULL value of type from to field to by the rules
// of cast, refusing a pair of types sqltype.CanCast refuses (binary and
// text, for one). It is how a single value, such as a scalar query's
// result assigned to a declared variable, converts as T-SQL would.
func Cast(v any, from bxl.Type, to bxl.Field) (any, error) {
	if !sqltype.CanCast(from, to.Type) {
		return nil, fmt.Errorf("%s cannot become %s", sqltype.Name(bxl.Field{Type: from}), sqltype.Name(to))
	}
	return cast(v, from, to)
}

func isInt(t bxl.Type) bool {
	return t == bxl.TypeInt8 || t == bxl.TypeInt16 || t == bxl.TypeInt32 || t == bxl.TypeInt64
}

// exact is a number's exact value; NaN and infinities have none.
func exact(v any) (*big.Rat, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewRat(1, 1), nil
		}
		return new(big.Rat), nil
	case int8:
		return big.NewRat(int64(x), 1), nil
	case int16:
		return big.NewRat(int64(x), 1), nil
	case int32:
		return big.NewRat(int64(x), 1), nil
	case int64:
		return big.NewRat(x, 1), nil
	case float32:
		return exactFloat(float64(x))
	case float64:
		return exactFloat(x)
	case bxl.Decimal:
		return new(big.Rat).SetFrac(x.Big(), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(x.Scale)), nil)), nil
	}
	return nil, fmt.Errorf("%T is not a number", v)
}

func exactFloat(f float64) (*big.Rat, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%v is not a finite number", f)
	}
	return new(big.Rat).SetFloat64(f), nil
}

var intBits = map[bxl.Type]uint{bxl.TypeInt8: 8, bxl.TypeInt16: 16, bxl.TypeInt32: 32, bxl.TypeInt64: 64}

// toInt checks n against t's range ("arithmetic overflow" in T-SQL).
func toInt(n *big.Int, t bxl.Type) (any, error) {
	bits := intBits[t]
	limit := new(big.Int).Lsh(big.NewInt(1), bits-1)
	if n.Cmp(limit) >= 0 || n.Cmp(new(big.Int).Neg(limit)) < 0 {
		return nil, fmt.Errorf("arithmetic overflow: %s does not fit %s", n, t)
	}
	return n.Int64(), nil
}

// toDecimal rounds r half away from zero to the field's scale.
func toDecimal(r *big.Rat, to bxl.Field) (any, error) {
	scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(to.Scale)), nil)))
	q, m := new(big.Int).QuoRem(scaled.Num(), scaled.Denom(), new(big.Int))
	// |remainder| * 2 >= denominator: round away from zero.
	if m.Sign() != 0 && new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(scaled.Denom()) >= 0 {
		q.Add(q, big.NewInt(int64(scaled.Sign())))
	}
	d, err := bxl.DecimalFromBig(q, to.Scale)
	if err != nil {
		return nil, fmt.Errorf("arithmetic overflow: %s does not fit decimal(%d,%d)", r.FloatString(int(to.Scale)), to.Precision, to.Scale)
	}
	return d.Rescale(to.Precision, to.Scale)
}

func toFloat(v any, t bxl.Type) (any, error) {
	var f float64
	switch x := v.(type) {
	case float32:
		f = float64(x)
	case float64:
		f = x
	case bxl.Decimal:
		f, _ = strconv.ParseFloat(x.String(), 64) // correctly rounded; a decimal cannot overflow a float64
	default:
		r, err := exact(v)
		if err != nil {
			return nil, err
		}
		f, _ = r.Float64()
	}
	if t == bxl.TypeFloat32 {
		if !math.IsInf(f, 0) && math.Abs(f) > math.MaxFloat32 {
			return nil, fmt.Errorf("arithmetic overflow: %v does not fit real", f)
		}
		return float32(f), nil
	}
	return f, nil
}

// castText reads a string as T-SQL's CAST of text does.
func castText(s string, to bxl.Field) (any, error) {
	switch {
	case to.Type == bxl.TypeBool:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n != 0, nil
		}
	case to.Type == bxl.TypeDecimal:
		r, ok := decimalText(s)
		if !ok {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return toDecimal(r, to)
	}
	return sqltype.ParseValue(to, s)
}

// decimalText parses [+-]digits[.digits] (T-SQL refuses an exponent when
// casting text to decimal).
func decimalText(s string) (*big.Rat, bool) {
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" || body == "." || strings.ContainsAny(body, "eE") {
		return nil, false
	}
	for _, c := range body {
		if (c < '0' || c > '9') && c != '.' {
			return nil, false
		}
	}
	return new(big.Rat).SetString(s)
}
