package tdsfake

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// TDS data type ids (MS-TDS 2.2.5.4).
const (
	tyGUID       = 0x24
	tyIntN       = 0x26
	tyDateN      = 0x28
	tyTimeN      = 0x29
	tyDateTime2N = 0x2A
	tyDTOffsetN  = 0x2B
	tyVariant    = 0x62
	tyBitN       = 0x68
	tyDecimalN   = 0x6A
	tyNumericN   = 0x6C
	tyFltN       = 0x6D
	tyMoneyN     = 0x6E
	tyDateTimeN  = 0x6F
	tyBigVarBin  = 0xA5
	tyBigVarChar = 0xA7
	tyBigBinary  = 0xAD
	tyBigChar    = 0xAF
	tyNVarChar   = 0xE7
	tyNChar      = 0xEF
	tyUDT        = 0xF0
	tyXML        = 0xF1
)

const maxLen = 0xFFFF // "(max)" in a short-length TYPE_INFO

// collation is SQL_Latin1_General_CP1_CI_AS.
var collation = []byte{0x09, 0x04, 0xD0, 0x00, 0x34}

// sqlType is one column type as it appears in TYPE_INFO.
type sqlType struct {
	name  string // T-SQL spelling, for error messages
	id    byte
	size  int // byte-length types: value size; short-length types: max bytes or maxLen
	prec  uint8
	scale uint8
	udt   string // UDT type name (geography, hierarchyid, …)
}

// Go values the fake uses per type: bool; int64 (all ints); float64 (real,
// float); string (decimal, numeric, money in plain decimal text; all
// character types; xml; uniqueidentifier in its text form); []byte (binary);
// time.Time (date, datetime*, datetimeoffset with its zone); time.Duration
// (time); int64 for sql_variant; []byte for UDTs.

// fixedTypes are the type names that take no arguments.
var fixedTypes = map[string]sqlType{
	"bit": {id: tyBitN, size: 1}, "tinyint": {id: tyIntN, size: 1}, "smallint": {id: tyIntN, size: 2},
	"int": {id: tyIntN, size: 4}, "bigint": {id: tyIntN, size: 8},
	"real": {id: tyFltN, size: 4}, "float": {id: tyFltN, size: 8},
	"money": {id: tyMoneyN, size: 8, prec: 19, scale: 4}, "smallmoney": {id: tyMoneyN, size: 4, prec: 10, scale: 4},
	"datetime": {id: tyDateTimeN, size: 8}, "smalldatetime": {id: tyDateTimeN, size: 4}, "date": {id: tyDateN, size: 3},
	"uniqueidentifier": {id: tyGUID, size: 16}, "xml": {id: tyXML}, "sql_variant": {id: tyVariant, size: 8016},
	"geography": {id: tyUDT, size: maxLen, udt: "geography"}, "geometry": {id: tyUDT, size: maxLen, udt: "geometry"},
	"hierarchyid": {id: tyUDT, size: maxLen, udt: "hierarchyid"},
}

// ParseType reads a T-SQL type name such as "decimal(10,2)" or "nvarchar(max)".
func parseType(s string) (sqlType, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	base, args, _ := strings.Cut(s, "(")
	base = strings.TrimSpace(base)
	args = strings.TrimSuffix(strings.TrimSpace(args), ")")
	num := func(def int) (int, error) {
		if args == "" {
			return def, nil
		}
		if args == "max" {
			return maxLen, nil
		}
		return strconv.Atoi(strings.TrimSpace(args))
	}
	if t, ok := fixedTypes[base]; ok {
		t.name = s
		return t, nil
	}
	t := sqlType{name: s}
	switch base {
	case "decimal", "numeric":
		return parseDecimal(t, base, args)
	case "time", "datetime2", "datetimeoffset":
		n, err := num(7)
		if err != nil || n > 7 {
			return t, fmt.Errorf("bad scale in %s", s)
		}
		t.scale = uint8(n)
		t.id = map[string]byte{"time": tyTimeN, "datetime2": tyDateTime2N, "datetimeoffset": tyDTOffsetN}[base]
	case "char", "varchar", "nchar", "nvarchar", "binary", "varbinary":
		n, err := num(1)
		if err != nil {
			return t, err
		}
		t.id = map[string]byte{"char": tyBigChar, "varchar": tyBigVarChar, "nchar": tyNChar, "nvarchar": tyNVarChar,
			"binary": tyBigBinary, "varbinary": tyBigVarBin}[base]
		t.size = n
		if n != maxLen && (base == "nchar" || base == "nvarchar") {
			t.size = 2 * n
		}
	default:
		return t, fmt.Errorf("fake server does not know type %q", s)
	}
	return t, nil
}

// parseDecimal reads decimal(p[,s]) or numeric(p[,s]); its wire size
// follows the precision.
func parseDecimal(t sqlType, base, args string) (sqlType, error) {
	t.id = tyDecimalN
	if base == "numeric" {
		t.id = tyNumericN
	}
	p, sc := 18, 0
	if args != "" {
		ps, ss, _ := strings.Cut(args, ",")
		var err error
		if p, err = strconv.Atoi(strings.TrimSpace(ps)); err != nil {
			return t, err
		}
		if ss != "" {
			if sc, err = strconv.Atoi(strings.TrimSpace(ss)); err != nil {
				return t, err
			}
		}
	}
	t.prec, t.scale = uint8(p), uint8(sc)
	switch {
	case p <= 9:
		t.size = 5
	case p <= 19:
		t.size = 9
	case p <= 28:
		t.size = 13
	default:
		t.size = 17
	}
	return t, nil
}

func (t sqlType) isPLP() bool {
	switch t.id {
	case tyXML, tyUDT:
		return true
	case tyBigVarChar, tyBigChar, tyNVarChar, tyNChar, tyBigVarBin, tyBigBinary:
		return t.size == maxLen
	}
	return false
}

func timeLen(scale uint8) int {
	switch {
	case scale <= 2:
		return 3
	case scale <= 4:
		return 4
	}
	return 5
}

// writeTypeInfo appends TYPE_INFO.
func writeTypeInfo(b []byte, t sqlType) []byte {
	b = append(b, t.id)
	switch t.id {
	case tyIntN, tyBitN, tyFltN, tyMoneyN, tyDateTimeN, tyGUID:
		b = append(b, byte(t.size))
	case tyDecimalN, tyNumericN:
		b = append(b, byte(t.size), t.prec, t.scale)
	case tyDateN:
	case tyTimeN, tyDateTime2N, tyDTOffsetN:
		b = append(b, t.scale)
	case tyBigVarChar, tyBigChar, tyNVarChar, tyNChar:
		b = binary.LittleEndian.AppendUint16(b, uint16(t.size))
		b = append(b, collation...)
	case tyBigVarBin, tyBigBinary:
		b = binary.LittleEndian.AppendUint16(b, uint16(t.size))
	case tyXML:
		b = append(b, 0) // no schema
	case tyVariant:
		b = binary.LittleEndian.AppendUint32(b, uint32(t.size))
	case tyUDT:
		b = binary.LittleEndian.AppendUint16(b, uint16(t.size))
		b = appendBVarChar(b, "master")
		b = appendBVarChar(b, "sys")
		b = appendBVarChar(b, t.udt)
		b = appendUSVarChar(b, "Microsoft.SqlServer.Types.Sql"+t.udt+", Microsoft.SqlServer.Types")
	}
	return b
}

// readTypeInfo parses TYPE_INFO as a client sends it in a bulk load.
func readTypeInfo(r *reader) (sqlType, error) {
	t := sqlType{id: r.u8()}
	switch t.id {
	case tyIntN, tyBitN, tyFltN, tyMoneyN, tyDateTimeN, tyGUID:
		t.size = int(r.u8())
		if t.id == tyMoneyN {
			t.scale = 4
		}
	case tyDecimalN, tyNumericN:
		t.size = int(r.u8())
		t.prec, t.scale = r.u8(), r.u8()
	case tyDateN:
		t.size = 3
	case tyTimeN, tyDateTime2N, tyDTOffsetN:
		t.scale = r.u8()
	case tyBigVarChar, tyBigChar, tyNVarChar, tyNChar:
		t.size = int(r.u16())
		r.bytes(5)
	case tyBigVarBin, tyBigBinary:
		t.size = int(r.u16())
	default:
		return t, fmt.Errorf("fake server cannot bulk load type 0x%02x", t.id)
	}
	return t, r.err
}

func ucs2(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func fromUCS2(b []byte) (string, error) {
	if len(b)%2 != 0 {
		return "", errors.New("odd UCS-2 length")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

func appendBVarChar(b []byte, s string) []byte {
	u := ucs2(s)
	b = append(b, byte(len(u)/2))
	return append(b, u...)
}

func appendUSVarChar(b []byte, s string) []byte {
	u := ucs2(s)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(u)/2))
	return append(b, u...)
}

var (
	epoch1900 = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	epoch0001 = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
)

func daysSince(t, epoch time.Time) int64 {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return int64(d.Sub(epoch).Hours()) / 24
}

// daysSince0001 avoids time.Duration overflow (±292 years) by going through Unix days.
func daysSince0001(t time.Time) int64 {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.Unix()/86400 - epoch0001.Unix()/86400
}

func clockOf(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}

func appendUintN(b []byte, v uint64, n int) []byte {
	for i := 0; i < n; i++ {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

func appendTime(b []byte, d time.Duration, scale uint8) []byte {
	units := uint64(d) / uint64(math.Pow10(9-int(scale)))
	return appendUintN(b, units, timeLen(scale))
}

func appendPLP(b []byte, data []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(len(data)))
	if len(data) > 0 {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
		b = append(b, data...)
	}
	return binary.LittleEndian.AppendUint32(b, 0)
}

// decimalUnscaled parses plain decimal text into sign and unscaled magnitude at scale.
func decimalUnscaled(s string, scale uint8) (neg bool, m *big.Int, err error) {
	neg = strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	ip, fp, _ := strings.Cut(s, ".")
	if len(strings.TrimRight(fp, "0")) > int(scale) {
		return false, nil, fmt.Errorf("decimal %q has more than %d fractional digits", s, scale)
	}
	for len(fp) < int(scale) {
		fp += "0"
	}
	m, ok := new(big.Int).SetString(ip+fp[:scale], 10)
	if !ok {
		return false, nil, fmt.Errorf("bad decimal %q", s)
	}
	return neg, m, nil
}

func formatUnscaled(neg bool, m *big.Int, scale uint8) string {
	s := m.String()
	if scale > 0 {
		for len(s) <= int(scale) {
			s = "0" + s
		}
		s = s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
	}
	if neg && m.Sign() != 0 {
		s = "-" + s
	}
	return s
}

// guidWire turns RFC text into SQL Server's mixed-endian wire bytes.
func guidWire(s string) ([]byte, error) {
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return nil, fmt.Errorf("bad guid %q", s)
	}
	b := make([]byte, 16)
	for i := range b {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return nil, fmt.Errorf("bad guid %q", s)
		}
		b[i] = byte(v)
	}
	swapGUID(b)
	return b, nil
}

// swapGUID converts between RFC and mixed-endian order (it is its own inverse).
func swapGUID(b []byte) {
	b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
	b[4], b[5] = b[5], b[4]
	b[6], b[7] = b[7], b[6]
}

func guidText(wire []byte) string {
	b := append([]byte(nil), wire...)
	swapGUID(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// appendValue appends one column value of a ROW token; v == nil is NULL.
func appendValue(b []byte, t sqlType, v any) ([]byte, error) {
	if v == nil {
		return appendNull(b, t), nil
	}
	switch t.id {
	case tyBitN, tyIntN, tyFltN, tyVariant:
		return appendScalar(b, t, v)
	case tyMoneyN, tyDecimalN, tyNumericN:
		s, ok := v.(string)
		if !ok {
			return nil, valueError(t, v)
		}
		return appendDecimal(b, t, s)
	case tyDateTimeN, tyDateN, tyDateTime2N, tyDTOffsetN, tyTimeN:
		return appendTemporal(b, t, v)
	case tyGUID:
		s, ok := v.(string)
		if !ok {
			return nil, valueError(t, v)
		}
		w, err := guidWire(s)
		if err != nil {
			return nil, err
		}
		return append(append(b, 16), w...), nil
	case tyBigVarChar, tyBigChar, tyNVarChar, tyNChar, tyXML:
		s, ok := v.(string)
		if !ok {
			return nil, valueError(t, v)
		}
		data, err := textBytes(t, s)
		if err != nil {
			return nil, err
		}
		return appendVarLen(b, t, data), nil
	case tyBigVarBin, tyBigBinary, tyUDT:
		data, ok := v.([]byte)
		if !ok {
			return nil, valueError(t, v)
		}
		return appendVarLen(b, t, data), nil
	}
	return nil, valueError(t, v)
}

func valueError(t sqlType, v any) error { return fmt.Errorf("fake: %T value for %s", v, t.name) }

// appendNull appends NULL as type t writes it.
func appendNull(b []byte, t sqlType) []byte {
	switch {
	case t.isPLP():
		return binary.LittleEndian.AppendUint64(b, math.MaxUint64)
	case t.id == tyBigVarChar || t.id == tyBigChar || t.id == tyNVarChar || t.id == tyNChar ||
		t.id == tyBigVarBin || t.id == tyBigBinary:
		return binary.LittleEndian.AppendUint16(b, 0xFFFF)
	case t.id == tyVariant:
		return binary.LittleEndian.AppendUint32(b, 0)
	}
	return append(b, 0)
}

// appendScalar appends a bit, an integer, a float or a sql_variant bigint.
func appendScalar(b []byte, t sqlType, v any) ([]byte, error) {
	switch x := v.(type) {
	case bool:
		if t.id != tyBitN {
			break
		}
		if x {
			return append(b, 1, 1), nil
		}
		return append(b, 1, 0), nil
	case int64:
		switch t.id {
		case tyIntN:
			b = append(b, byte(t.size))
			return appendUintN(b, uint64(x), t.size), nil
		case tyVariant:
			b = binary.LittleEndian.AppendUint32(b, 10)
			b = append(b, 0x7F, 0) // base type bigint, no properties
			return binary.LittleEndian.AppendUint64(b, uint64(x)), nil
		}
	case float64:
		if t.id != tyFltN {
			break
		}
		b = append(b, byte(t.size))
		if t.size == 4 {
			return binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(x))), nil
		}
		return binary.LittleEndian.AppendUint64(b, math.Float64bits(x)), nil
	}
	return nil, valueError(t, v)
}

// appendDecimal appends money, decimal or numeric from its decimal text.
func appendDecimal(b []byte, t sqlType, s string) ([]byte, error) {
	neg, m, err := decimalUnscaled(s, t.scale)
	if err != nil {
		return nil, err
	}
	b = append(b, byte(t.size))
	if t.id == tyMoneyN {
		x := m.Int64()
		if neg {
			x = -x
		}
		if t.size == 4 {
			return binary.LittleEndian.AppendUint32(b, uint32(int32(x))), nil
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(uint64(x)>>32))
		return binary.LittleEndian.AppendUint32(b, uint32(x)), nil
	}
	if neg {
		b = append(b, 0)
	} else {
		b = append(b, 1)
	}
	mag := m.Bytes() // big-endian
	le := make([]byte, t.size-1)
	for i := range mag {
		le[i] = mag[len(mag)-1-i]
	}
	return append(b, le...), nil
}

// appendTemporal appends a date, time or datetime type.
func appendTemporal(b []byte, t sqlType, v any) ([]byte, error) {
	if t.id == tyTimeN {
		x, ok := v.(time.Duration)
		if !ok {
			return nil, valueError(t, v)
		}
		b = append(b, byte(timeLen(t.scale)))
		return appendTime(b, x, t.scale), nil
	}
	x, ok := v.(time.Time)
	if !ok {
		return nil, valueError(t, v)
	}
	switch t.id {
	case tyDateTimeN:
		b = append(b, byte(t.size))
		days := daysSince(x, epoch1900)
		if t.size == 4 {
			b = binary.LittleEndian.AppendUint16(b, uint16(days))
			return binary.LittleEndian.AppendUint16(b, uint16(clockOf(x)/time.Minute)), nil
		}
		ticks := (int64(clockOf(x))*3 + 5_000_000) / 10_000_000 // 1/300 s, rounded
		b = binary.LittleEndian.AppendUint32(b, uint32(int32(days)))
		return binary.LittleEndian.AppendUint32(b, uint32(ticks)), nil
	case tyDateN:
		b = append(b, 3)
		return appendUintN(b, uint64(daysSince0001(x)), 3), nil
	case tyDateTime2N:
		b = append(b, byte(timeLen(t.scale)+3))
		b = appendTime(b, clockOf(x), t.scale)
		return appendUintN(b, uint64(daysSince0001(x)), 3), nil
	}
	_, off := x.Zone() // datetimeoffset
	u := x.UTC()
	b = append(b, byte(timeLen(t.scale)+5))
	b = appendTime(b, clockOf(u), t.scale)
	b = appendUintN(b, uint64(daysSince0001(u)), 3)
	return binary.LittleEndian.AppendUint16(b, uint16(int16(off/60))), nil
}

// textBytes is s as type t carries it: UCS-2 for the n-types and xml,
// Latin-1 for the others.
func textBytes(t sqlType, s string) ([]byte, error) {
	if t.id == tyNVarChar || t.id == tyNChar || t.id == tyXML {
		return ucs2(s), nil
	}
	var data []byte
	for _, r := range s {
		if r > 0xFF {
			return nil, fmt.Errorf("fake: %q is not Latin-1 for %s", s, t.name)
		}
		data = append(data, byte(r))
	}
	return data, nil
}

// appendVarLen appends a character or binary value: PLP chunks for the
// max and xml types, else a 2-byte length.
func appendVarLen(b []byte, t sqlType, data []byte) []byte {
	if t.isPLP() {
		return appendPLP(b, data)
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}

// readValue decodes one column value of a ROW token as a client sends it.
func readValue(r *reader, t sqlType) (any, error) {
	if t.isPLP() {
		return readPLP(r, t)
	}
	switch t.id {
	case tyBigVarChar, tyBigChar, tyNVarChar, tyNChar, tyBigVarBin, tyBigBinary:
		n := r.u16()
		if n == 0xFFFF {
			return nil, r.err
		}
		data := r.bytes(int(n))
		if r.err != nil {
			return nil, r.err
		}
		return decodeBytes(t, data)
	}
	n := int(r.u8())
	if n == 0 {
		return nil, r.err
	}
	buf := r.bytes(n)
	if r.err != nil {
		return nil, r.err
	}
	switch t.id {
	case tyBitN:
		return buf[0] != 0, nil
	case tyIntN:
		switch n {
		case 1:
			return int64(buf[0]), nil
		case 2:
			return int64(int16(leUint(buf))), nil
		case 4:
			return int64(int32(leUint(buf))), nil
		case 8:
			return int64(leUint(buf)), nil
		}
	case tyFltN:
		if n == 4 {
			return float64(math.Float32frombits(uint32(leUint(buf)))), nil
		}
		return math.Float64frombits(leUint(buf)), nil
	case tyMoneyN, tyDecimalN, tyNumericN:
		return decodeDecimal(t, buf), nil
	case tyDateTimeN, tyDateN, tyTimeN, tyDateTime2N, tyDTOffsetN:
		return decodeTemporal(t, buf), nil
	case tyGUID:
		return guidText(buf), nil
	}
	return nil, fmt.Errorf("fake: cannot decode type 0x%02x size %d", t.id, n)
}

// readPLP reads a max or xml value sent in PLP chunks.
func readPLP(r *reader, t sqlType) (any, error) {
	total := r.u64()
	if total == math.MaxUint64 {
		return nil, r.err
	}
	var data []byte
	for r.err == nil {
		n := r.u32()
		if n == 0 {
			break
		}
		data = append(data, r.bytes(int(n))...)
	}
	if r.err != nil {
		return nil, r.err
	}
	return decodeBytes(t, data)
}

// leUint reads a little-endian unsigned integer of len(b) bytes.
func leUint(b []byte) uint64 {
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// decodeDecimal reads money, decimal or numeric as decimal text.
func decodeDecimal(t sqlType, buf []byte) string {
	n := len(buf)
	if t.id == tyMoneyN {
		var x int64
		if n == 4 {
			x = int64(int32(leUint(buf)))
		} else {
			x = int64(leUint(buf[0:4])<<32 | leUint(buf[4:8]))
		}
		neg := x < 0
		if neg {
			x = -x
		}
		return formatUnscaled(neg, big.NewInt(x), 4)
	}
	mag := make([]byte, n-1)
	for i := range mag {
		mag[i] = buf[n-1-i]
	}
	return formatUnscaled(buf[0] == 0, new(big.Int).SetBytes(mag), t.scale)
}

// decodeTemporal reads a date, time or datetime type.
func decodeTemporal(t sqlType, buf []byte) any {
	frac := func(b []byte) time.Duration { return time.Duration(leUint(b) * uint64(math.Pow10(9-int(t.scale)))) }
	switch t.id {
	case tyDateTimeN:
		if len(buf) == 4 {
			return epoch1900.AddDate(0, 0, int(leUint(buf[0:2]))).Add(time.Duration(leUint(buf[2:4])) * time.Minute)
		}
		days := int32(leUint(buf[0:4]))
		ticks := int64(leUint(buf[4:8]))
		// As SQL Server shows datetime: whole 1/300 s rounded to milliseconds.
		ms := int64(math.Round(float64(ticks%300) / 0.3))
		clock := time.Duration(ticks/300)*time.Second + time.Duration(ms)*time.Millisecond
		return epoch1900.AddDate(0, 0, int(days)).Add(clock)
	case tyDateN:
		return epoch0001.AddDate(0, 0, int(leUint(buf)))
	case tyTimeN:
		return frac(buf)
	}
	tl := timeLen(t.scale)
	u := epoch0001.AddDate(0, 0, int(leUint(buf[tl:tl+3]))).Add(frac(buf[:tl]))
	if t.id == tyDateTime2N {
		return u
	}
	off := int(int16(leUint(buf[tl+3 : tl+5]))) // datetimeoffset
	return u.In(time.FixedZone("", off*60))
}

func decodeBytes(t sqlType, data []byte) (any, error) {
	switch t.id {
	case tyNVarChar, tyNChar, tyXML:
		return fromUCS2(data)
	case tyBigVarChar, tyBigChar:
		r := make([]rune, len(data))
		for i, c := range data {
			r[i] = rune(c)
		}
		return string(r), nil
	}
	return append([]byte{}, data...), nil
}
