package sqltype

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// ErrUnsupported is wrapped when a type has no mapping.
var ErrUnsupported = errors.New("unsupported type")

// kind is everything the host knows about one BXL type: how a created column
// is declared on each instance, how a literal parses and how a value prints.
// Adding a SQL type that maps to an existing BXL type is one line in
// sqlServerTypes (and, for SQLite declarations, sqliteDecls).
type kind struct {
	// mssql and sqlite declare a created column; "%d,%d" takes precision
	// and scale (decimal only).
	mssql, sqlite string
	// parse reads a T-SQL literal (params given as text, CAST of a string).
	parse func(f bxl.Field, text string) (any, error)
	// text prints a value as CAST(v AS nvarchar) does.
	text func(v any) string
	// class groups the types CAST converts between.
	class class
}

// class is what CAST rules look at.
type class int

const (
	classNumber class = iota + 1 // bit, integers, floats, decimal
	classText
	classBinary
	classTemporal // date, datetime, datetimeoffset
	classTime
	classUUID
)

// One row per BXL type, spelled out: a table reads better than rules a generic helper would hide.
var kinds = map[bxl.Type]kind{
	bxl.TypeBool:           {mssql: "bit", sqlite: "BOOLEAN", parse: parseBool, text: textBool, class: classNumber},
	bxl.TypeInt8:           {mssql: "smallint", sqlite: "TINYINT", parse: parseInt, text: textAny, class: classNumber}, // tinyint is unsigned
	bxl.TypeInt16:          {mssql: "smallint", sqlite: "SMALLINT", parse: parseInt, text: textAny, class: classNumber},
	bxl.TypeInt32:          {mssql: "int", sqlite: "INT", parse: parseInt, text: textAny, class: classNumber},
	bxl.TypeInt64:          {mssql: "bigint", sqlite: "BIGINT", parse: parseInt, text: textAny, class: classNumber},
	bxl.TypeFloat32:        {mssql: "real", sqlite: "FLOAT", parse: parseFloat, text: textFloat, class: classNumber},
	bxl.TypeFloat64:        {mssql: "float", sqlite: "DOUBLE", parse: parseFloat, text: textFloat, class: classNumber},
	bxl.TypeDecimal:        {mssql: "decimal(%d,%d)", sqlite: "DECIMAL TEXT(%d,%d)", parse: parseDecimal, text: textAny, class: classNumber},
	bxl.TypeString:         {mssql: "nvarchar(max)", sqlite: "TEXT", parse: parseString, text: textAny, class: classText},
	bxl.TypeBinary:         {mssql: "varbinary(max)", sqlite: "BLOB", parse: parseBinary, text: textBinary, class: classBinary},
	bxl.TypeDate:           {mssql: "date", sqlite: "DATE", parse: parseDate, text: textDate, class: classTemporal},
	bxl.TypeTime:           {mssql: "time(6)", sqlite: "TIME", parse: parseTime, text: textTime, class: classTime},
	bxl.TypeDateTime:       {mssql: "datetime2(6)", sqlite: "DATETIME", parse: parseDateTime, text: textDateTime, class: classTemporal},
	bxl.TypeDateTimeOffset: {mssql: "datetimeoffset(6)", sqlite: "DATETIMEOFFSET", parse: parseDateTimeOffset, text: textDateTimeOffset, class: classTemporal},
	bxl.TypeUUID:           {mssql: "uniqueidentifier", sqlite: "UUID", parse: parseUUID, text: textAny, class: classUUID},
}

// lookup returns t's kind or an ErrUnsupported error.
func lookup(t bxl.Type) (kind, error) {
	k, ok := kinds[t]
	if !ok {
		return kind{}, fmt.Errorf("%w: BXL %s", ErrUnsupported, t)
	}
	return k, nil
}

// Name is a field's type as callers read it: "decimal(10,2)", "int64".
func Name(f bxl.Field) string {
	if f.Type == bxl.TypeDecimal {
		return fmt.Sprintf("decimal(%d,%d)", f.Precision, f.Scale)
	}
	return f.Type.String()
}

// SQLServerDecl is the T-SQL column declaration a created column of field f
// gets: the narrowest type that holds every value, with NULL or NOT NULL.
func SQLServerDecl(f bxl.Field) (string, error) {
	d, err := declare(f, func(k kind) string { return k.mssql })
	if err != nil {
		return "", err
	}
	if f.Nullable {
		return d + " NULL", nil
	}
	return d + " NOT NULL", nil
}

// SQLiteDecl is the declared type a created SQLite column of field f gets;
// SQLiteField maps each back to the same BXL type (integers widen to int64,
// as SQLite stores them). Decimals are declared "DECIMAL TEXT(p,s)": TEXT in
// the declaration gives the column TEXT affinity, while plain DECIMAL has
// NUMERIC affinity, under which SQLite turns '1.10' or a 38-digit value into
// a REAL and loses digits.
func SQLiteDecl(f bxl.Field) (string, error) {
	d, err := declare(f, func(k kind) string { return k.sqlite })
	if err != nil {
		return "", err
	}
	if !f.Nullable {
		d += " NOT NULL"
	}
	return d, nil
}

// declare is field f's column type in one engine's layout (which picks the
// engine's declaration from f's kind), without NULL or NOT NULL.
func declare(f bxl.Field, engine func(kind) string) (string, error) {
	k, err := lookup(f.Type)
	if err != nil {
		return "", err
	}
	layout := engine(k)
	if f.Type != bxl.TypeDecimal {
		return layout, nil
	}
	if f.Precision < 1 || f.Precision > 38 || f.Scale > f.Precision {
		return "", fmt.Errorf("%w: column %q: bad decimal(%d,%d)", ErrBadDeclaration, f.Name, f.Precision, f.Scale)
	}
	return fmt.Sprintf(layout, f.Precision, f.Scale), nil
}

// Text renders a non-NULL value of type t as CAST(… AS nvarchar) would: bit
// as 1 or 0, dates as YYYY-MM-DD, datetimes with up to 6 fractional digits,
// binary as 0x hex.
func Text(t bxl.Type, v any) string {
	if k, ok := kinds[t]; ok {
		return k.text(v)
	}
	return textAny(v)
}

// CanCast reports whether a result schema may turn a column of type from
// into type to: numbers into numbers, anything but binary into and out of
// text, date and datetimes into each other, a datetime's clock into a time.
func CanCast(from, to bxl.Type) bool {
	if from == to {
		return true
	}
	cf, ct := kinds[from].class, kinds[to].class
	switch {
	case cf == 0 || ct == 0:
		return false
	case ct == classText:
		return cf != classBinary
	case cf == classText:
		return ct != classBinary
	case cf == classTemporal && ct == classTime:
		return from != bxl.TypeDate // the clock of a datetime; a date has none
	}
	return cf == ct && (cf == classNumber || cf == classTemporal)
}

// ParseValue parses a param value given as text for field f. The forms are
// those of T-SQL literals: 1/0/true/false, 12.50, 2024-01-31,
// 13:45:00.123456, 2024-01-31 13:45:00, 2024-01-31T13:45:00+05:45, 0x0A0B,
// a UUID. Text for string params is taken as is.
func ParseValue(f bxl.Field, text string) (any, error) {
	k, err := lookup(f.Type)
	if err != nil {
		return nil, badValue(f, text, "unsupported type")
	}
	return k.parse(f, text)
}

func badValue(f bxl.Field, text, why string) error {
	return fmt.Errorf("%w: %q for %s %s: %s", ErrBadValue, text, f.Name, f.Type, why)
}

func textAny(v any) string {
	if s, ok := v.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprint(v)
}

func textBool(v any) string {
	if v.(bool) {
		return "1"
	}
	return "0"
}

func textFloat(v any) string {
	switch x := v.(type) {
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return textAny(v)
}

func textBinary(v any) string {
	if b, ok := v.([]byte); ok {
		return fmt.Sprintf("0x%X", b)
	}
	return textAny(v)
}

func textTime(v any) string {
	if d, ok := v.(time.Duration); ok {
		return bxl.FormatTimeOfDay(d)
	}
	return textAny(v)
}

func textDate(v any) string { return timeText(v, time.DateOnly) }

func textDateTime(v any) string { return timeText(v, "2006-01-02 15:04:05.999999") }

func textDateTimeOffset(v any) string { return timeText(v, "2006-01-02 15:04:05.999999 -07:00") }

func timeText(v any, layout string) string {
	if t, ok := v.(time.Time); ok {
		return t.Format(layout)
	}
	return textAny(v)
}

// SQLiteField maps a column's declared type the way SQLite's affinity rules
// read it, but to a precise BXL type. known is false for an empty or
// unrecognised declaration (expressions, NUMERIC without precision): the
// caller infers those from the data.
func SQLiteField(name, decl string) (f bxl.Field, known bool, err error) {
	f = bxl.Field{Name: name, Nullable: true}
	base, args, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(decl)), "(")
	base = strings.TrimSpace(base)
	args = strings.TrimSuffix(strings.TrimSpace(args), ")")
	if t, ok := sqliteDecls[base]; ok {
		f.Type = t
		return f, true, nil
	}
	switch base {
	case "DECIMAL", "NUMERIC", "DECIMAL TEXT", "NUMERIC TEXT":
		if args == "" {
			return f, false, nil
		}
		p, s, err := precisionScale(args)
		if err != nil {
			return f, false, fmt.Errorf("column %q declared %s: %w", name, decl, err)
		}
		f.Type, f.Precision, f.Scale = bxl.TypeDecimal, p, s
		return f, true, nil
	}
	// SQLite's own affinity rules, in its order (INT before CHAR: "POINT" is
	// an integer, as in SQLite).
	for _, r := range sqliteAffinity {
		if r.match(base) {
			f.Type = r.t
			return f, true, nil
		}
	}
	return f, false, nil
}

// sqliteDecls are declared types read exactly (upper case, without arguments).
var sqliteDecls = map[string]bxl.Type{
	"BOOL": bxl.TypeBool, "BOOLEAN": bxl.TypeBool,
	"DATE":     bxl.TypeDate,
	"DATETIME": bxl.TypeDateTime, "TIMESTAMP": bxl.TypeDateTime, "DATETIME2": bxl.TypeDateTime, "SMALLDATETIME": bxl.TypeDateTime,
	"TIME":           bxl.TypeTime,
	"DATETIMEOFFSET": bxl.TypeDateTimeOffset, "TIMESTAMPTZ": bxl.TypeDateTimeOffset,
	"UUID": bxl.TypeUUID, "GUID": bxl.TypeUUID, "UNIQUEIDENTIFIER": bxl.TypeUUID,
	"JSON": bxl.TypeString, "XML": bxl.TypeString,
}

var sqliteAffinity = []struct {
	t     bxl.Type
	match func(string) bool
}{
	{bxl.TypeInt64, containsAny("INT")},
	{bxl.TypeString, containsAny("CHAR", "CLOB", "TEXT")},
	{bxl.TypeBinary, containsAny("BLOB", "BINARY")},
	{bxl.TypeFloat64, containsAny("REAL", "FLOA", "DOUB")},
}

func containsAny(subs ...string) func(string) bool {
	return func(s string) bool {
		for _, sub := range subs {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
}

func precisionScale(args string) (uint8, uint8, error) {
	ps, ss, hasScale := strings.Cut(args, ",")
	p, err := strconv.Atoi(strings.TrimSpace(ps))
	if err != nil || p < 1 || p > 38 {
		return 0, 0, fmt.Errorf("%w: decimal precision must be 1..38", ErrUnsupported)
	}
	s := 0
	if hasScale {
		s, err = strconv.Atoi(strings.TrimSpace(ss))
		if err != nil || s < 0 || s > p {
			return 0, 0, fmt.Errorf("%w: decimal scale must be 0..precision", ErrUnsupported)
		}
	}
	return uint8(p), uint8(s), nil
}
