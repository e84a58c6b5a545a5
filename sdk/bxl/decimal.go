package bxl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"math/bits"
)

// MaxDecimalPrecision is the largest decimal precision BXL carries.
const MaxDecimalPrecision = 38

// ErrDecimal is wrapped by errors of ParseDecimal, DecimalFromBig and rescaling.
var ErrDecimal = errors.New("bxl: decimal out of range")

// Decimal is a BXL decimal: the unscaled two's-complement int128 Hi:Lo times 10^-Scale.
type Decimal struct {
	Hi    int64
	Lo    uint64
	Scale uint8
}

// u128 is an unsigned magnitude.
type u128 struct{ hi, lo uint64 }

var pow10 = func() (t [MaxDecimalPrecision + 1]u128) {
	t[0] = u128{0, 1}
	for i := 1; i < len(t); i++ {
		t[i], _ = t[i-1].mulSmall(10)
	}
	return t
}()

func (a u128) less(b u128) bool { return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo) }
func (a u128) isZero() bool     { return a.hi == 0 && a.lo == 0 }

// mulSmall returns a*m and whether it overflowed 128 bits.
func (a u128) mulSmall(m uint64) (u128, bool) {
	h1, l := bits.Mul64(a.lo, m)
	h2, h3 := bits.Mul64(a.hi, m)
	h, c := bits.Add64(h1, h3, 0)
	return u128{h, l}, h2 != 0 || c != 0
}

func (a u128) add(d uint64) (u128, bool) {
	lo, c := bits.Add64(a.lo, d, 0)
	hi, c2 := bits.Add64(a.hi, 0, c)
	return u128{hi, lo}, c2 != 0
}

// divSmall returns a/d and a%d.
func (a u128) divSmall(d uint64) (u128, uint64) {
	qh, r := bits.Div64(0, a.hi, d)
	ql, r := bits.Div64(r, a.lo, d)
	return u128{qh, ql}, r
}

// magnitude splits d into sign and absolute value; the magnitude of -2^127 fits.
func (d Decimal) magnitude() (neg bool, m u128) {
	m = u128{uint64(d.Hi), d.Lo}
	if d.Hi < 0 {
		lo, b := bits.Sub64(0, m.lo, 0)
		hi, _ := bits.Sub64(0, m.hi, b)
		return true, u128{hi, lo}
	}
	return false, m
}

// fromMagnitude builds a Decimal; m must be ≤ 2^127 (2^127 only when neg).
func fromMagnitude(neg bool, m u128, scale uint8) Decimal {
	if neg {
		lo, b := bits.Sub64(0, m.lo, 0)
		hi, _ := bits.Sub64(0, m.hi, b)
		m = u128{hi, lo}
	}
	return Decimal{Hi: int64(m.hi), Lo: m.lo, Scale: scale}
}

// ParseDecimal parses "[-+]digits[.digits]" exactly into a decimal(precision, scale).
// It fails instead of rounding or of exceeding the precision.
func ParseDecimal(s string, precision, scale uint8) (Decimal, error) {
	if precision < 1 || precision > MaxDecimalPrecision || scale > precision {
		return Decimal{}, fmt.Errorf("%w: invalid decimal(%d,%d)", ErrDecimal, precision, scale)
	}
	bad := func(why string) (Decimal, error) {
		return Decimal{}, fmt.Errorf("%w: %q as decimal(%d,%d): %s", ErrDecimal, s, precision, scale, why)
	}
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart := s[intStart:i]
	fracPart := ""
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		fracPart = s[fs:i]
	}
	if i != len(s) || len(intPart)+len(fracPart) == 0 {
		return bad("not a decimal number")
	}
	for len(intPart) > 0 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	for len(fracPart) > 0 && fracPart[len(fracPart)-1] == '0' {
		fracPart = fracPart[:len(fracPart)-1]
	}
	if len(fracPart) > int(scale) {
		return bad("would round")
	}
	if len(intPart) > int(precision-scale) {
		return bad("exceeds precision")
	}
	var m u128
	for k := 0; k < len(intPart)+int(scale); k++ {
		var digit uint64
		if k < len(intPart) {
			digit = uint64(intPart[k] - '0')
		} else if j := k - len(intPart); j < len(fracPart) {
			digit = uint64(fracPart[j] - '0')
		}
		// At most 38 digits: 10^38 < 2^127 never overflows.
		m, _ = m.mulSmall(10)
		m, _ = m.add(digit)
	}
	return fromMagnitude(neg && !m.isZero(), m, scale), nil
}

// DecimalFromBig returns unscaled × 10^-scale; unscaled must fit in an int128.
func DecimalFromBig(unscaled *big.Int, scale uint8) (Decimal, error) {
	if scale > MaxDecimalPrecision {
		return Decimal{}, fmt.Errorf("%w: scale %d above %d", ErrDecimal, scale, MaxDecimalPrecision)
	}
	neg := unscaled.Sign() < 0
	abs := new(big.Int).Abs(unscaled)
	limit := 127 // positive values stay below 2^127
	if neg {
		limit = 128 // -2^127 is representable
	}
	if abs.BitLen() > limit || (neg && abs.BitLen() == 128 && abs.TrailingZeroBits() != 127) {
		return Decimal{}, fmt.Errorf("%w: %s does not fit in int128", ErrDecimal, unscaled)
	}
	var buf [16]byte
	abs.FillBytes(buf[:])
	m := u128{binary.BigEndian.Uint64(buf[:8]), binary.BigEndian.Uint64(buf[8:])}
	return fromMagnitude(neg, m, scale), nil
}

// Big returns the unscaled value.
func (d Decimal) Big() *big.Int {
	neg, m := d.magnitude()
	v := new(big.Int).SetUint64(m.hi)
	v.Lsh(v, 64)
	v.Or(v, new(big.Int).SetUint64(m.lo))
	if neg {
		v.Neg(v)
	}
	return v
}

// String formats d with exactly Scale fraction digits, e.g. "-123.4500".
func (d Decimal) String() string {
	neg, m := d.magnitude()
	var digits [48]byte // 2^127 has 39 digits
	i := len(digits)
	for !m.isZero() {
		var r uint64
		m, r = m.divSmall(10)
		i--
		digits[i] = byte('0' + r)
	}
	for len(digits)-i < int(d.Scale)+1 {
		i--
		digits[i] = '0'
	}
	ds := digits[i:]
	out := make([]byte, 0, len(ds)+2)
	if neg {
		out = append(out, '-')
	}
	intLen := len(ds) - int(d.Scale)
	out = append(out, ds[:intLen]...)
	if d.Scale > 0 {
		out = append(out, '.')
		out = append(out, ds[intLen:]...)
	}
	return string(out)
}

// fitsPrecision reports whether |d| < 10^precision.
func (d Decimal) fitsPrecision(precision uint8) bool {
	_, m := d.magnitude()
	return m.less(pow10[precision])
}

// Rescale returns d with the given scale, exactly, within precision digits.
func (d Decimal) Rescale(precision, scale uint8) (Decimal, error) {
	if precision < 1 || precision > MaxDecimalPrecision || scale > precision {
		return Decimal{}, fmt.Errorf("%w: invalid decimal(%d,%d)", ErrDecimal, precision, scale)
	}
	neg, m := d.magnitude()
	switch {
	case scale > d.Scale:
		for k := d.Scale; k < scale; k++ {
			var ovf bool
			if m, ovf = m.mulSmall(10); ovf {
				return Decimal{}, fmt.Errorf("%w: %s exceeds decimal(%d,%d)", ErrDecimal, d, precision, scale)
			}
		}
	case scale < d.Scale:
		for k := scale; k < d.Scale; k++ {
			var r uint64
			if m, r = m.divSmall(10); r != 0 {
				return Decimal{}, fmt.Errorf("%w: %s would round in decimal(%d,%d)", ErrDecimal, d, precision, scale)
			}
		}
	}
	if !m.less(pow10[precision]) {
		return Decimal{}, fmt.Errorf("%w: %s exceeds decimal(%d,%d)", ErrDecimal, d, precision, scale)
	}
	return fromMagnitude(neg, m, scale), nil
}
