package sqlio

import (
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// mismatch builds the error for a value that cannot be stored in f's type
// without losing data. The caller adds column and row.
func mismatch(f bxl.Field, v any, why string) error {
	s := fmt.Sprintf("%v", v)
	if b, ok := v.([]byte); ok {
		s = fmt.Sprintf("%d bytes", len(b))
	}
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	msg := fmt.Sprintf("%T value %q into %s", v, s, sqltype.Name(f))
	if why != "" {
		msg += ": " + why
	}
	return fmt.Errorf("%w: %s", datasource.ErrValueMismatch, msg)
}

// inferField picks a BXL type for a column with no declared type from its
// first non-NULL value, as the driver delivered it.
func inferField(name string, v any) (bxl.Field, bool) {
	f := bxl.Field{Name: name, Nullable: true}
	switch v.(type) {
	case int64, int32, int16, int8, int, uint8, uint16, uint32:
		f.Type = bxl.TypeInt64
	case float64, float32:
		f.Type = bxl.TypeFloat64
	case bool:
		f.Type = bxl.TypeBool
	case string:
		f.Type = bxl.TypeString
	case []byte:
		f.Type = bxl.TypeBinary
	case time.Time:
		f.Type = bxl.TypeDateTime
	default:
		return f, false
	}
	return f, true
}

// AsInt64 returns v as an exact int64 when it is an integer or an integral float.
// Same shape, different types: one case per integer kind, a generic helper would hide the conversion.
func AsInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case float64:
		// 2^63 itself does not fit; everything below it that is integral does.
		if x != math.Trunc(x) || x < -(1<<63) || x >= 1<<63 {
			return 0, false
		}
		return int64(x), true
	case float32:
		return AsInt64(float64(x))
	}
	return 0, false
}

// exactFloat reports whether i survives a round trip through float64.
func exactFloat(i int64) bool {
	f := float64(i)
	return f < 1<<63 && int64(f) == i
}

// toBXL converts a non-NULL driver value to the Go value the BXL builder takes
// for f's type, refusing anything that would lose data.
func toBXL(f bxl.Field, v any) (any, error) {
	conv, ok := fromDriver[f.Type]
	if !ok {
		return nil, fmt.Errorf("%w: BXL %s", datasource.ErrUnsupportedType, f.Type.String())
	}
	return conv(f, v)
}

// fromDriver holds, per BXL type, the exact conversion of a driver value.
var fromDriver = map[bxl.Type]func(f bxl.Field, v any) (any, error){
	bxl.TypeBool: boolFromDriver,
	bxl.TypeInt8: intFromDriver, bxl.TypeInt16: intFromDriver, bxl.TypeInt32: intFromDriver, bxl.TypeInt64: intFromDriver,
	bxl.TypeFloat32: floatFromDriver, bxl.TypeFloat64: floatFromDriver,
	bxl.TypeDecimal:        toDecimal,
	bxl.TypeString:         stringFromDriver,
	bxl.TypeBinary:         binaryFromDriver,
	bxl.TypeDate:           dateFromDriver,
	bxl.TypeTime:           timeFromDriver,
	bxl.TypeDateTime:       timestampFromDriver,
	bxl.TypeDateTimeOffset: timestampFromDriver,
	bxl.TypeUUID:           uuidFromDriver,
}

func boolFromDriver(f bxl.Field, v any) (any, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	if i, ok := AsInt64(v); ok && (i == 0 || i == 1) {
		return i == 1, nil
	}
	return nil, mismatch(f, v, "")
}

func intFromDriver(f bxl.Field, v any) (any, error) {
	i, ok := AsInt64(v)
	if !ok {
		return nil, mismatch(f, v, "")
	}
	switch {
	case f.Type == bxl.TypeInt64:
		return i, nil
	case f.Type == bxl.TypeInt8 && i >= math.MinInt8 && i <= math.MaxInt8:
		return int8(i), nil
	case f.Type == bxl.TypeInt16 && i >= math.MinInt16 && i <= math.MaxInt16:
		return int16(i), nil
	case f.Type == bxl.TypeInt32 && i >= math.MinInt32 && i <= math.MaxInt32:
		return int32(i), nil
	}
	return nil, mismatch(f, v, "out of range")
}

// floatFromDriver widens a driver's float or integer. Its type switch looks
// like sdk/bxl Builder's appendAnyFloat, which widens script values: the two
// differ in what an integer may be (AsInt64 here, the SDK's own toInt64
// there) and in the error, so each stays beside the rules it follows.
func floatFromDriver(f bxl.Field, v any) (any, error) {
	var d float64
	switch x := v.(type) {
	case float64:
		d = x
	case float32:
		d = float64(x)
	default:
		i, ok := AsInt64(v)
		if !ok {
			return nil, mismatch(f, v, "")
		}
		if !exactFloat(i) {
			return nil, mismatch(f, v, "integer not exactly representable as a float")
		}
		d = float64(i)
	}
	if f.Type == bxl.TypeFloat32 {
		if float64(float32(d)) != d && !math.IsNaN(d) {
			return nil, mismatch(f, v, "not exactly representable as float32")
		}
		return float32(d), nil
	}
	return d, nil
}

func stringFromDriver(f bxl.Field, v any) (any, error) {
	switch x := v.(type) {
	case string:
		if utf8.ValidString(x) {
			return x, nil
		}
	case []byte:
		if utf8.Valid(x) {
			return string(x), nil
		}
	default:
		return nil, mismatch(f, v, "")
	}
	return nil, mismatch(f, v, "not valid UTF-8")
}

func binaryFromDriver(f bxl.Field, v any) (any, error) {
	switch x := v.(type) {
	case []byte:
		return x, nil
	case string:
		return []byte(x), nil
	}
	return nil, mismatch(f, v, "")
}

// driverTime is v as a time.Time: the driver's own, or text read by parse
// (why names the expected form in the mismatch).
func driverTime(f bxl.Field, v any, parse func(string) (time.Time, error), why string) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case string:
		t, err := parse(x)
		if err != nil {
			return time.Time{}, mismatch(f, v, why)
		}
		return t, nil
	}
	return time.Time{}, mismatch(f, v, "")
}

func dateFromDriver(f bxl.Field, v any) (any, error) {
	t, err := driverTime(f, v, func(s string) (time.Time, error) { return time.Parse(time.DateOnly, s) }, "not a date (YYYY-MM-DD)")
	if err != nil {
		return nil, err
	}
	if t.Hour() != 0 || t.Minute() != 0 || t.Second() != 0 || t.Nanosecond() != 0 {
		return nil, mismatch(f, v, "has a time of day")
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
}

func timeFromDriver(f bxl.Field, v any) (any, error) {
	var d time.Duration
	switch x := v.(type) {
	case time.Duration:
		d = x
	case time.Time:
		d = bxl.TimeOfDay(x)
	case string:
		t, err := time.Parse("15:04:05.999999999", x)
		if err != nil {
			return nil, mismatch(f, v, "not a time of day (HH:MM:SS[.ffffff])")
		}
		return timeFromDriver(f, t)
	default:
		return nil, mismatch(f, v, "")
	}
	if d < 0 || d >= 24*time.Hour {
		return nil, mismatch(f, v, "outside 00:00:00..23:59:59.999999")
	}
	if d%time.Microsecond != 0 {
		return nil, mismatch(f, v, "finer than a microsecond")
	}
	return d, nil
}

func timestampFromDriver(f bxl.Field, v any) (any, error) {
	t, err := driverTime(f, v, parseTimestamp, "not a timestamp")
	if err != nil {
		return nil, err
	}
	if t.Nanosecond()%1000 != 0 {
		return nil, mismatch(f, v, "finer than a microsecond (CAST to a 6-digit fraction)")
	}
	if f.Type == bxl.TypeDateTime {
		// A naive datetime: a zoned value is stored as its UTC wall clock.
		u := t.UTC()
		return time.Date(u.Year(), u.Month(), u.Day(), u.Hour(), u.Minute(), u.Second(), u.Nanosecond(), time.UTC), nil
	}
	return t, nil
}

func uuidFromDriver(f bxl.Field, v any) (any, error) {
	switch x := v.(type) {
	case bxl.UUID:
		return x, nil
	case [16]byte:
		return bxl.UUID(x), nil
	case []byte:
		if len(x) == 16 {
			return bxl.UUID(x), nil
		}
		return parseUUIDText(f, v, string(x))
	case string:
		return parseUUIDText(f, v, x)
	}
	return nil, mismatch(f, v, "")
}

func parseUUIDText(f bxl.Field, v any, s string) (any, error) {
	u, err := bxl.ParseUUID(s)
	if err != nil {
		return nil, mismatch(f, v, "not a UUID")
	}
	return u, nil
}

// timestampLayouts are the text forms SQLite's date functions produce, plus ISO 8601 with T.
var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02",
}

func parseTimestamp(s string) (time.Time, error) {
	var err error
	for _, l := range timestampLayouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// toDecimal converts to an exact decimal(p,s); ParseDecimal refuses to
// round or overflow. Floats go through their
// shortest round-trip text, so 1.1 stays 1.1 and never becomes 1.100000000000000088….
func toDecimal(f bxl.Field, v any) (any, error) {
	var s string
	switch x := v.(type) {
	case bxl.Decimal:
		s = x.String()
	case string:
		s = x
	case []byte:
		s = string(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, mismatch(f, v, "not a finite number")
		}
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(x), 'f', -1, 32)
	default:
		i, ok := AsInt64(v)
		if !ok {
			return nil, mismatch(f, v, "")
		}
		s = strconv.FormatInt(i, 10)
	}
	d, err := bxl.ParseDecimal(s, f.Precision, f.Scale)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", datasource.ErrValueMismatch, err)
	}
	return d, nil
}
