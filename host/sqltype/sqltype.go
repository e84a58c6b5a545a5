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

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseParams parses sp_execute_external_script style param declarations:
// "@n int, @msg nvarchar(100) OUTPUT".
func ParseParams(s string) ([]Decl, error) {
	return parseList(s, true)
}

// ParseColumns parses a result schema as T-SQL writes it inside WITH RESULT
// SETS ((…)): "[order id] int NOT NULL, score decimal(10,2) NULL, name
// nvarchar(50) COLLATE Latin1_General_CI_AS".
func ParseColumns(s string) ([]Decl, error) {
	return parseList(s, false)
}

// ValidIdentifier reports whether name can be a param or variable name in
// every runtime: letters, digits and '_', not starting with a digit.
func ValidIdentifier(name string) bool { return identRe.MatchString(name) }

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
	m, ok := sqlServerTypes[base]
	if !ok {
		return bxl.Field{}, fmt.Errorf("unsupported type %q", base)
	}
	if m.args == nil {
		return bxl.Field{Type: m.t}, nil
	}
	return m.args(hasArg1, hasArg2, a1, a2)
}

// sqlServerTypes maps SQL Server type names (and a few common synonyms) to
// BXL; args, when set, reads the type's arguments.
var sqlServerTypes = map[string]struct {
	t    bxl.Type
	args func(hasArg1, hasArg2 bool, a1, a2 int) (bxl.Field, error)
}{
	"bit": {t: bxl.TypeBool}, "bool": {t: bxl.TypeBool}, "boolean": {t: bxl.TypeBool},
	// tinyint is 0..255: int16 holds it exactly, BXL has no unsigned types.
	"tinyint": {t: bxl.TypeInt16}, "smallint": {t: bxl.TypeInt16},
	"int": {t: bxl.TypeInt32}, "integer": {t: bxl.TypeInt32},
	"bigint":  {t: bxl.TypeInt64},
	"real":    {t: bxl.TypeFloat32},
	"float":   {args: floatArgs},
	"decimal": {args: decimalArgs}, "numeric": {args: decimalArgs}, "dec": {args: decimalArgs},
	"money":      {args: fixedDecimal(19, 4)},
	"smallmoney": {args: fixedDecimal(10, 4)},
	"char":       {t: bxl.TypeString}, "varchar": {t: bxl.TypeString}, "nchar": {t: bxl.TypeString},
	"nvarchar": {t: bxl.TypeString}, "text": {t: bxl.TypeString}, "ntext": {t: bxl.TypeString},
	"xml": {t: bxl.TypeString}, "sysname": {t: bxl.TypeString},
	"binary": {t: bxl.TypeBinary}, "varbinary": {t: bxl.TypeBinary}, "image": {t: bxl.TypeBinary},
	"date":     {t: bxl.TypeDate},
	"time":     {t: bxl.TypeTime},
	"datetime": {t: bxl.TypeDateTime}, "datetime2": {t: bxl.TypeDateTime}, "smalldatetime": {t: bxl.TypeDateTime},
	"datetimeoffset":   {t: bxl.TypeDateTimeOffset},
	"uniqueidentifier": {t: bxl.TypeUUID},
}

func floatArgs(hasArg1, _ bool, a1, _ int) (bxl.Field, error) {
	if hasArg1 && a1 >= 1 && a1 <= 24 {
		return bxl.Field{Type: bxl.TypeFloat32}, nil
	}
	if hasArg1 && (a1 < 1 || a1 > 53) {
		return bxl.Field{}, fmt.Errorf("float(%d): n must be 1..53", a1)
	}
	return bxl.Field{Type: bxl.TypeFloat64}, nil
}

func decimalArgs(hasArg1, hasArg2 bool, a1, a2 int) (bxl.Field, error) {
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
}

func fixedDecimal(p, s uint8) func(bool, bool, int, int) (bxl.Field, error) {
	return func(bool, bool, int, int) (bxl.Field, error) {
		return bxl.Field{Type: bxl.TypeDecimal, Precision: p, Scale: s}, nil
	}
}

func parseBool(f bxl.Field, text string) (any, error) {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "1", "true":
		return true, nil
	case "0", "false":
		return false, nil
	}
	return nil, badValue(f, text, "want 1, 0, true or false")
}

var intBits = map[bxl.Type]int{bxl.TypeInt8: 8, bxl.TypeInt16: 16, bxl.TypeInt32: 32, bxl.TypeInt64: 64}

func parseInt(f bxl.Field, text string) (any, error) {
	bits := intBits[f.Type]
	v, err := strconv.ParseInt(strings.TrimSpace(text), 10, bits)
	if err != nil {
		return nil, badValue(f, text, fmt.Sprintf("not a %d-bit integer", bits))
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
}

func parseFloat(f bxl.Field, text string) (any, error) {
	bits := 64
	if f.Type == bxl.TypeFloat32 {
		bits = 32
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(text), bits)
	if err != nil || math.IsInf(v, 0) {
		return nil, badValue(f, text, "not a finite number")
	}
	if bits == 32 {
		return float32(v), nil
	}
	return v, nil
}

func parseDecimal(f bxl.Field, text string) (any, error) {
	d, err := bxl.ParseDecimal(strings.TrimSpace(text), f.Precision, f.Scale)
	if err != nil {
		return nil, badValue(f, text, err.Error())
	}
	return d, nil
}

func parseString(f bxl.Field, text string) (any, error) {
	if !utf8.ValidString(text) {
		return nil, badValue(f, text, "not valid UTF-8")
	}
	return text, nil
}

func parseBinary(f bxl.Field, text string) (any, error) {
	t := strings.TrimSpace(text)
	if !strings.HasPrefix(strings.ToLower(t), "0x") {
		return nil, badValue(f, text, "want hex bytes like 0x0A0B")
	}
	b, err := hex.DecodeString(t[2:])
	if err != nil {
		return nil, badValue(f, text, "not hex")
	}
	return b, nil
}

func parseDate(f bxl.Field, text string) (any, error) {
	v, err := time.Parse(time.DateOnly, strings.TrimSpace(text))
	if err != nil {
		return nil, badValue(f, text, "want YYYY-MM-DD")
	}
	return v, nil
}

func parseTime(f bxl.Field, text string) (any, error) {
	v, err := time.Parse("15:04:05.999999999", strings.TrimSpace(text))
	if err != nil {
		return nil, badValue(f, text, "want hh:mm:ss[.ffffff]")
	}
	return bxl.TimeOfDay(v), nil
}

func parseDateTime(f bxl.Field, text string) (any, error) {
	return parseLayouts(f, text, "want YYYY-MM-DD hh:mm:ss[.ffffff]",
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", time.DateOnly)
}

func parseDateTimeOffset(f bxl.Field, text string) (any, error) {
	return parseLayouts(f, text, "want YYYY-MM-DDThh:mm:ss[.ffffff]+hh:mm",
		time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999 Z07:00")
}

func parseLayouts(f bxl.Field, text, want string, layouts ...string) (any, error) {
	t := strings.TrimSpace(text)
	for _, layout := range layouts {
		if v, err := time.Parse(layout, t); err == nil {
			return v, nil
		}
	}
	return nil, badValue(f, text, want)
}

func parseUUID(f bxl.Field, text string) (any, error) {
	u, err := bxl.ParseUUID(strings.TrimSpace(text))
	if err != nil {
		return nil, badValue(f, text, "not a UUID")
	}
	return u, nil
}
