package sqltype

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// ErrBadDeclaration is wrapped by every declaration parse error.
var ErrBadDeclaration = errors.New("bad declaration")

// ErrBadValue is wrapped by every value parse error.
var ErrBadValue = errors.New("bad value")

// Decl is one declared param or result column.
type Decl struct {
	// Name without "@".
	Name string
	// SQLType is the declared type, normalised to lower case: "nvarchar(100)".
	SQLType string
	// Field is the BXL field carrying it; Field.Output marks OUTPUT params.
	Field bxl.Field
	// Length is the declared character or byte length; -1 for (max), 0 when
	// the type has none.
	Length int
}

var (
	identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	typeRe  = regexp.MustCompile(`^([a-z][a-z0-9_]*)(?:\s*\(\s*(max|\d+)\s*(?:,\s*(\d+)\s*)?\))?$`)
)

// ParseParams parses sp_execute_external_script style param declarations.
func ParseParams(s string) ([]Decl, error) {
	return parseList(s, true)
}

// ParseColumns parses a result schema: "id int, score float".
func ParseColumns(s string) ([]Decl, error) {
	return parseList(s, false)
}

// ValidIdentifier reports whether name can be a param or variable name in
// every runtime: letters, digits and '_', not starting with a digit.
func ValidIdentifier(name string) bool { return identRe.MatchString(name) }

func parseList(s string, params bool) ([]Decl, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []Decl
	seen := map[string]bool{}
	for _, item := range splitTopLevel(s) {
		d, err := parseOne(strings.TrimSpace(item), params)
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(d.Name)
		if seen[key] {
			return nil, fmt.Errorf("%w: %q declared twice", ErrBadDeclaration, d.Name)
		}
		seen[key] = true
		out = append(out, d)
	}
	return out, nil
}

// splitTopLevel splits on commas outside parentheses: decimal(10,2) stays whole.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func parseOne(item string, params bool) (Decl, error) {
	words := strings.Fields(item)
	if len(words) < 2 {
		return Decl{}, fmt.Errorf("%w: %q: want a name and a type", ErrBadDeclaration, item)
	}
	name := words[0]
	if params {
		if !strings.HasPrefix(name, "@") {
			return Decl{}, fmt.Errorf("%w: param %q must start with @", ErrBadDeclaration, name)
		}
		name = strings.TrimPrefix(name, "@")
	} else {
		name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	}
	if !ValidIdentifier(name) {
		return Decl{}, fmt.Errorf("%w: %q is not a valid name", ErrBadDeclaration, words[0])
	}
	rest := words[1:]
	output := false
	if params && len(rest) > 1 {
		last := strings.ToUpper(rest[len(rest)-1])
		if last == "OUTPUT" || last == "OUT" {
			output = true
			rest = rest[:len(rest)-1]
		}
	}
	typ := strings.ToLower(strings.Join(rest, " "))
	m := typeRe.FindStringSubmatch(typ)
	if m == nil {
		return Decl{}, fmt.Errorf("%w: %q has an unreadable type %q", ErrBadDeclaration, name, typ)
	}
	base, arg1, arg2 := m[1], m[2], m[3]
	d := Decl{Name: name, SQLType: typ}
	var p, sc int
	if arg1 == "max" {
		d.Length = -1
	} else if arg1 != "" {
		p, _ = strconv.Atoi(arg1)
		d.Length = p
	}
	if arg2 != "" {
		sc, _ = strconv.Atoi(arg2)
	}
	f, err := fieldFor(base, arg1 != "", arg2 != "", p, sc)
	if err != nil {
		return Decl{}, fmt.Errorf("%w: %q: %v", ErrBadDeclaration, name, err)
	}
	if f.Type != bxl.TypeString && f.Type != bxl.TypeBinary {
		d.Length = 0
	}
	f.Name, f.Nullable, f.Output = name, true, output
	d.Field = f
	return d, nil
}

// FieldForSQLType maps a SQL Server type name (without arguments) and its
// precision, scale or length to a BXL field. length is ignored except for
// float(n).
func FieldForSQLType(name string, precision, scale uint8, length int) (bxl.Field, error) {
	name = strings.ToLower(name)
	if name == "float" && length > 0 {
		return fieldFor(name, true, false, length, 0)
	}
	return fieldFor(name, precision > 0, precision > 0, int(precision), int(scale))
}

func fieldFor(base string, hasArg1, hasArg2 bool, a1, a2 int) (bxl.Field, error) {
	switch base {
	case "bit", "bool", "boolean":
		return bxl.Field{Type: bxl.TypeBool}, nil
	case "tinyint", "smallint":
		// tinyint is 0..255: int16 holds it exactly, BXL has no unsigned types.
		return bxl.Field{Type: bxl.TypeInt16}, nil
	case "int", "integer":
		return bxl.Field{Type: bxl.TypeInt32}, nil
	case "bigint":
		return bxl.Field{Type: bxl.TypeInt64}, nil
	case "real":
		return bxl.Field{Type: bxl.TypeFloat32}, nil
	case "float":
		if hasArg1 && a1 >= 1 && a1 <= 24 {
			return bxl.Field{Type: bxl.TypeFloat32}, nil
		}
		if hasArg1 && (a1 < 1 || a1 > 53) {
			return bxl.Field{}, fmt.Errorf("float(%d): n must be 1..53", a1)
		}
		return bxl.Field{Type: bxl.TypeFloat64}, nil
	case "decimal", "numeric", "dec":
		p, s := 18, 0
		if hasArg1 {
			p = a1
		}
		if hasArg2 {
			s = a2
		}
		if p < 1 || p > 38 || s < 0 || s > p {
			return bxl.Field{}, fmt.Errorf("decimal(%d,%d): precision must be 1..38 and scale 0..precision", p, s)
		}
		return bxl.Field{Type: bxl.TypeDecimal, Precision: uint8(p), Scale: uint8(s)}, nil
	case "money":
		return bxl.Field{Type: bxl.TypeDecimal, Precision: 19, Scale: 4}, nil
	case "smallmoney":
		return bxl.Field{Type: bxl.TypeDecimal, Precision: 10, Scale: 4}, nil
	case "char", "varchar", "nchar", "nvarchar", "text", "ntext", "xml", "sysname":
		return bxl.Field{Type: bxl.TypeString}, nil
	case "binary", "varbinary", "image":
		return bxl.Field{Type: bxl.TypeBinary}, nil
	case "date":
		return bxl.Field{Type: bxl.TypeDate}, nil
	case "time":
		return bxl.Field{Type: bxl.TypeTime}, nil
	case "datetime", "datetime2", "smalldatetime":
		return bxl.Field{Type: bxl.TypeDateTime}, nil
	case "datetimeoffset":
		return bxl.Field{Type: bxl.TypeDateTimeOffset}, nil
	case "uniqueidentifier":
		return bxl.Field{Type: bxl.TypeUUID}, nil
	}
	return bxl.Field{}, fmt.Errorf("unsupported type %q", base)
}

// ParseValue parses a param value given as text for field f. The forms are
// those of T-SQL literals: 1/0/true/false, 12.50, 2024-01-31,
// 13:45:00.123456, 2024-01-31 13:45:00, 2024-01-31T13:45:00+05:45, 0x0A0B,
// a UUID. Text for string params is taken as is.
func ParseValue(f bxl.Field, text string) (any, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w: %q for %s %s: %s", ErrBadValue, text, f.Name, f.Type, why)
	}
	t := strings.TrimSpace(text)
	switch f.Type {
	case bxl.TypeBool:
		switch strings.ToLower(t) {
		case "1", "true":
			return true, nil
		case "0", "false":
			return false, nil
		}
		return nil, bad("want 1, 0, true or false")
	case bxl.TypeInt8, bxl.TypeInt16, bxl.TypeInt32, bxl.TypeInt64:
		bits := map[bxl.Type]int{bxl.TypeInt8: 8, bxl.TypeInt16: 16, bxl.TypeInt32: 32, bxl.TypeInt64: 64}[f.Type]
		v, err := strconv.ParseInt(t, 10, bits)
		if err != nil {
			return nil, bad(fmt.Sprintf("not a %d-bit integer", bits))
		}
		switch f.Type {
		case bxl.TypeInt8:
			return int8(v), nil
		case bxl.TypeInt16:
			return int16(v), nil
		case bxl.TypeInt32:
			return int32(v), nil
		}
		return v, nil
	case bxl.TypeFloat32, bxl.TypeFloat64:
		bits := 64
		if f.Type == bxl.TypeFloat32 {
			bits = 32
		}
		v, err := strconv.ParseFloat(t, bits)
		if err != nil || math.IsInf(v, 0) {
			return nil, bad("not a finite number")
		}
		if bits == 32 {
			return float32(v), nil
		}
		return v, nil
	case bxl.TypeDecimal:
		d, err := bxl.ParseDecimal(t, f.Precision, f.Scale)
		if err != nil {
			return nil, bad(err.Error())
		}
		return d, nil
	case bxl.TypeString:
		if !utf8.ValidString(text) {
			return nil, bad("not valid UTF-8")
		}
		return text, nil
	case bxl.TypeBinary:
		if !strings.HasPrefix(strings.ToLower(t), "0x") {
			return nil, bad("want hex bytes like 0x0A0B")
		}
		b, err := hex.DecodeString(t[2:])
		if err != nil {
			return nil, bad("not hex")
		}
		return b, nil
	case bxl.TypeDate:
		v, err := time.Parse(time.DateOnly, t)
		if err != nil {
			return nil, bad("want YYYY-MM-DD")
		}
		return v, nil
	case bxl.TypeTime:
		v, err := time.Parse("15:04:05.999999999", t)
		if err != nil {
			return nil, bad("want hh:mm:ss[.ffffff]")
		}
		return time.Duration(v.Hour())*time.Hour + time.Duration(v.Minute())*time.Minute +
			time.Duration(v.Second())*time.Second + time.Duration(v.Nanosecond()), nil
	case bxl.TypeDateTime:
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", time.DateOnly} {
			if v, err := time.Parse(layout, t); err == nil {
				return v, nil
			}
		}
		return nil, bad("want YYYY-MM-DD hh:mm:ss[.ffffff]")
	case bxl.TypeDateTimeOffset:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999 Z07:00"} {
			if v, err := time.Parse(layout, t); err == nil {
				return v, nil
			}
		}
		return nil, bad("want YYYY-MM-DDThh:mm:ss[.ffffff]+hh:mm")
	case bxl.TypeUUID:
		u, err := bxl.ParseUUID(t)
		if err != nil {
			return nil, bad("not a UUID")
		}
		return u, nil
	}
	return nil, bad("unsupported type")
}
