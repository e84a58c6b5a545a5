package bxl

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// Builder builds batches column-wise from row-wise appends.
//
// Two ways to add a row:
//   - AppendRow(v0, v1, ...): all or nothing.
//   - one Append/AppendNull/typed append per column, in any order, then EndRow.
//     A column may get one value per row; EndRow checks that every column got one
//     and otherwise abandons the row. A failed per-column append adds nothing, so
//     the caller may retry that column or call DiscardRow.
//
// Cut batches by size: after EndRow, if Size() >= DefaultBatchBytes, Build.
// A Builder is not safe for concurrent use.
type Builder struct {
	schema *Schema
	cols   []colBuilder
	rows   int
	filled int   // columns holding a value for the row in progress
	rowErr error // deferred error of AppendNull, reported by EndRow
}

type colBuilder struct {
	f        *Field
	validity []byte // nil until the first NULL
	vals     []byte // values, values bitmap (bool) or offsets (string, binary)
	data     []byte // string/binary data or datetimeoffset offsets
	mark     int    // rows+1 of the Builder while this column holds a value for the row in progress
	hint     [2]int // buffer sizes of the previous batch, to pre-size the next one
}

// NewBuilder returns a Builder for schema s, which must be valid.
func NewBuilder(s *Schema) *Builder {
	b := &Builder{schema: s, cols: make([]colBuilder, len(s.Fields))}
	for i := range b.cols {
		b.cols[i].f = &s.Fields[i]
		b.cols[i].reset()
	}
	return b
}

func (c *colBuilder) reset() {
	c.mark = 0 // row numbers restart at 0
	c.validity = nil
	c.vals = make([]byte, 0, c.hint[0])
	c.data = nil
	if c.hint[1] > 0 {
		c.data = make([]byte, 0, c.hint[1])
	}
	if t := c.f.Type; t == TypeString || t == TypeBinary {
		c.vals = append(c.vals, 0, 0, 0, 0)
	}
}

// Schema returns the builder's schema.
func (b *Builder) Schema() *Schema { return b.schema }

// Rows returns the complete rows so far.
func (b *Builder) Rows() int { return b.rows }

// Size returns the buffer bytes so far, for size-based batch cutting.
func (b *Builder) Size() int {
	n := 0
	for i := range b.cols {
		c := &b.cols[i]
		n += len(c.validity) + len(c.vals) + len(c.data)
	}
	return n
}

// Build hands the buffers over as a batch and resets the builder. It panics
// while a row is in progress (a per-column append without EndRow).
func (b *Builder) Build() *Batch {
	if b.filled != 0 || b.rowErr != nil {
		panic("bxl: Builder.Build with a row in progress; call EndRow or DiscardRow first")
	}
	out := &Batch{Schema: b.schema, Rows: b.rows, Columns: make([]Column, len(b.cols))}
	for i := range b.cols {
		c := &b.cols[i]
		col := Column{Type: c.f.Type, Len: b.rows, Validity: c.validity, Precision: c.f.Precision, Scale: c.f.Scale}
		switch c.f.Type.numBuffers() {
		case 1:
			col.Buffers = [][]byte{c.vals}
		default:
			data := c.data
			if data == nil {
				data = []byte{}
			}
			col.Buffers = [][]byte{c.vals, data}
		}
		out.Columns[i] = col
		c.hint = [2]int{len(c.vals), len(c.data)}
		c.reset()
	}
	b.rows = 0
	return out
}

// EndRow completes the row in progress. If a column has no value (or AppendNull
// failed) it abandons the row and says which columns are missing.
func (b *Builder) EndRow() error {
	if err := b.rowErr; err != nil {
		b.DiscardRow()
		return err
	}
	if b.filled != len(b.cols) {
		var missing []string
		for i := range b.cols {
			if b.cols[i].mark != b.rows+1 {
				missing = append(missing, fmt.Sprintf("%d (%q)", i, b.cols[i].f.Name))
			}
		}
		b.DiscardRow()
		return fmt.Errorf("%w: row %d abandoned: no value for column(s) %s", ErrValue, b.rows, strings.Join(missing, ", "))
	}
	if uint64(b.rows) >= math.MaxUint32 {
		b.DiscardRow()
		return fmt.Errorf("%w: batch already holds %d rows; Build first", ErrValue, b.rows)
	}
	b.filled = 0
	b.rows++ // marks of the finished row no longer match rows+1
	return nil
}

// DiscardRow drops the values of the row in progress.
func (b *Builder) DiscardRow() {
	for i := range b.cols {
		c := &b.cols[i]
		if c.mark == b.rows+1 {
			c.truncate(b.rows)
			c.mark = 0
		}
	}
	b.filled = 0
	b.rowErr = nil
}

// truncate restores the column to its state after n rows.
func (c *colBuilder) truncate(n int) {
	bm := (n + 7) / 8
	if c.validity != nil {
		c.validity = clearFrom(c.validity[:bm], n)
		if firstNull(c.validity, n) < 0 {
			c.validity = nil
		}
	}
	switch t := c.f.Type; t {
	case TypeBool:
		c.vals = clearFrom(c.vals[:bm], n)
	case TypeString, TypeBinary:
		c.vals = c.vals[:4*(n+1)]
		c.data = c.data[:binary.LittleEndian.Uint32(c.vals[4*n:])]
	case TypeDateTimeOffset:
		c.vals, c.data = c.vals[:8*n], c.data[:2*n]
	default:
		c.vals = c.vals[:t.valueWidth()*n]
	}
}

// clearFrom zeroes the bits at and after bit n of the bitmap.
func clearFrom(bm []byte, n int) []byte {
	if n%8 != 0 {
		bm[n/8] &= byte(1)<<(n%8) - 1
	}
	return bm
}

// appendBit appends bit i (the bitmap holds exactly ceil(i/8) bytes).
func appendBit(bm []byte, i int, v bool) []byte {
	if i%8 == 0 {
		bm = append(bm, 0)
	}
	if v {
		bm[i>>3] |= 1 << (i & 7)
	}
	return bm
}

func (b *Builder) slot(col int) (*colBuilder, error) {
	if col < 0 || col >= len(b.cols) {
		return nil, fmt.Errorf("%w: column %d out of range (schema has %d)", ErrValue, col, len(b.cols))
	}
	c := &b.cols[col]
	if c.mark == b.rows+1 {
		return nil, fmt.Errorf("%w: column %d (%q) already has a value for row %d; call EndRow", ErrValue, col, c.f.Name, b.rows)
	}
	return c, nil
}

// done marks the column filled and records validity for a non-NULL value.
func (b *Builder) done(c *colBuilder) {
	if c.validity != nil {
		c.validity = appendBit(c.validity, b.rows, true)
	}
	c.mark = b.rows + 1
	b.filled++
}

func (b *Builder) valueErr(c *colBuilder, v any, why string) error {
	return fmt.Errorf("%w: column %q (%s): cannot take %T: %s", ErrValue, c.f.Name, c.f.Type, v, why)
}

// AppendNull appends NULL. Errors (non-nullable column, column out of range or
// already set) are reported by the next EndRow, which abandons the row.
func (b *Builder) AppendNull(col int) {
	if err := b.appendNull(col); err != nil && b.rowErr == nil {
		b.rowErr = err
	}
}

func (b *Builder) appendNull(col int) error {
	c, err := b.slot(col)
	if err != nil {
		return err
	}
	if !c.f.Nullable {
		return fmt.Errorf("%w: column %q (%s) is not nullable", ErrValue, c.f.Name, c.f.Type)
	}
	r := b.rows
	if c.validity == nil {
		c.validity = make([]byte, (r+7)/8, max(c.hint[0]/8, (r+8)/8))
		for i := range c.validity {
			c.validity[i] = 0xff
		}
		c.validity = clearFrom(c.validity, r)
	}
	c.validity = appendBit(c.validity, r, false)
	// The NULL slot is present and zero.
	switch t := c.f.Type; t {
	case TypeBool:
		c.vals = appendBit(c.vals, r, false)
	case TypeString, TypeBinary:
		c.vals = append(c.vals, c.vals[len(c.vals)-4:]...)
	case TypeDateTimeOffset:
		c.vals = append(c.vals, zeroPad[:8]...)
		c.data = append(c.data, 0, 0)
	default:
		c.vals = append(c.vals, zeroPad[:t.valueWidth()]...)
	}
	c.mark = b.rows + 1
	b.filled++
	return nil
}

// AppendRow appends one row, all or nothing: on error the builder is as before.
func (b *Builder) AppendRow(vals ...any) error {
	if b.filled != 0 || b.rowErr != nil {
		return fmt.Errorf("%w: AppendRow while a per-column row is in progress", ErrValue)
	}
	if len(vals) != len(b.cols) {
		return fmt.Errorf("%w: row has %d values, schema %d fields", ErrValue, len(vals), len(b.cols))
	}
	for i, v := range vals {
		if err := b.Append(i, v); err != nil {
			b.DiscardRow()
			return err
		}
	}
	return b.EndRow()
}

// Append appends v to column col of the row in progress; nil is NULL. See the
// package documentation for the accepted Go types.
func (b *Builder) Append(col int, v any) error {
	if v == nil {
		return b.appendNull(col)
	}
	c, err := b.slot(col)
	if err != nil {
		return err
	}
	switch c.f.Type {
	case TypeInt8, TypeInt16, TypeInt32, TypeInt64:
		return b.appendAnyInt(c, v)
	case TypeFloat32, TypeFloat64:
		return b.appendAnyFloat(c, v)
	case TypeString, TypeBinary:
		switch x := v.(type) {
		case string:
			return b.appendString(c, x)
		case []byte:
			return b.AppendBytes(col, x)
		}
		return b.valueErr(c, v, "want string or []byte")
	case TypeDecimal, TypeUUID:
		if x, ok := v.(string); ok { // parsed by appendString
			return b.appendString(c, x)
		}
	}
	var put func(*colBuilder, int, any) string
	if int(c.f.Type) < len(fixedPut) {
		put = fixedPut[c.f.Type]
	}
	if put == nil {
		return b.valueErr(c, v, "invalid column type")
	}
	if why := put(c, b.rows, v); why != "" {
		return b.valueErr(c, v, why)
	}
	b.done(c)
	return nil
}

// fixedPut appends one value of a fixed-width type to its column (row is the
// row's index), or says why it cannot. An array: Append runs once per value.
var fixedPut = [...]func(c *colBuilder, row int, v any) string{
	TypeBool:           putBool,
	TypeDecimal:        putDecimal,
	TypeDate:           putDate,
	TypeTime:           putTime,
	TypeDateTime:       putDateTime,
	TypeDateTimeOffset: putDateTimeOffset,
	TypeUUID:           putUUID,
}

func (b *Builder) appendAnyInt(c *colBuilder, v any) error {
	i, ok, inRange := toInt64(v)
	if !ok {
		return b.valueErr(c, v, "want an integer")
	}
	if !inRange {
		return b.valueErr(c, v, fmt.Sprintf("%v out of range", v))
	}
	if why := b.appendInt(c, i); why != "" {
		return b.valueErr(c, v, why)
	}
	return nil
}

func (b *Builder) appendAnyFloat(c *colBuilder, v any) error {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	default:
		i, ok, inRange := toInt64(v)
		if !ok {
			return b.valueErr(c, v, "want a float or an integer")
		}
		f = float64(i)
		if !inRange || (f >= math.MaxInt64 || int64(f) != i) {
			return b.valueErr(c, v, fmt.Sprintf("%v is not exact as a float", v))
		}
	}
	if why := b.appendFloat(c, f); why != "" {
		return b.valueErr(c, v, why)
	}
	return nil
}

func putBool(c *colBuilder, row int, v any) string {
	x, ok := v.(bool)
	if !ok {
		return "want bool"
	}
	c.vals = appendBit(c.vals, row, x)
	return ""
}

func putDecimal(c *colBuilder, row int, v any) string {
	var d Decimal
	if x, ok := v.(Decimal); ok {
		d = x
	} else {
		i, ok, inRange := toInt64(v)
		if !ok || !inRange {
			return "want Decimal, string or an integer"
		}
		d = Decimal{Hi: i >> 63, Lo: uint64(i)}
	}
	d, err := d.Rescale(c.f.Precision, c.f.Scale)
	if err != nil {
		return err.Error()
	}
	c.appendDecimal(d)
	return ""
}

func putDate(c *colBuilder, row int, v any) string {
	t, ok := v.(time.Time)
	if !ok {
		return "want time.Time"
	}
	y, m, d := t.Date()
	days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	if days < math.MinInt32 || days > math.MaxInt32 {
		return "date out of range"
	}
	c.vals = binary.LittleEndian.AppendUint32(c.vals, uint32(int32(days)))
	return ""
}

func putTime(c *colBuilder, row int, v any) string {
	var d time.Duration
	switch x := v.(type) {
	case time.Duration:
		d = x
	case time.Time:
		h, m, s := x.Clock()
		d = time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second + time.Duration(x.Nanosecond())
	default:
		return "want time.Duration or time.Time"
	}
	if d < 0 || d >= 24*time.Hour {
		return fmt.Sprintf("%v outside [0, 24h)", d)
	}
	c.vals = binary.LittleEndian.AppendUint64(c.vals, uint64(d/time.Microsecond))
	return ""
}

func putDateTime(c *colBuilder, row int, v any) string {
	t, ok := v.(time.Time)
	if !ok {
		return "want time.Time"
	}
	if !microRange(t) {
		return "year out of range"
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	us := time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC).UnixMicro()
	c.vals = binary.LittleEndian.AppendUint64(c.vals, uint64(us))
	return ""
}

func putDateTimeOffset(c *colBuilder, row int, v any) string {
	t, ok := v.(time.Time)
	if !ok {
		return "want time.Time"
	}
	_, off := t.Zone()
	if off%60 != 0 || off < -maxOffsetMinutes*60 || off > maxOffsetMinutes*60 {
		return fmt.Sprintf("zone offset %ds is not whole minutes within ±14:00", off)
	}
	if !microRange(t) {
		return "year out of range"
	}
	c.vals = binary.LittleEndian.AppendUint64(c.vals, uint64(t.UnixMicro()))
	c.data = binary.LittleEndian.AppendUint16(c.data, uint16(int16(off/60)))
	return ""
}

func putUUID(c *colBuilder, row int, v any) string {
	switch x := v.(type) {
	case UUID:
		c.vals = append(c.vals, x[:]...)
	case [16]byte:
		c.vals = append(c.vals, x[:]...)
	default:
		return "want UUID or string"
	}
	return ""
}

// microRange keeps µs since the epoch within int64.
func microRange(t time.Time) bool {
	y := t.Year()
	return y > -290000 && y < 290000
}

func (c *colBuilder) appendDecimal(d Decimal) {
	c.vals = binary.LittleEndian.AppendUint64(c.vals, d.Lo)
	c.vals = binary.LittleEndian.AppendUint64(c.vals, uint64(d.Hi))
}

// toInt64 converts any Go integer; inRange is false for a uint64 above MaxInt64.
func toInt64(v any) (i int64, ok, inRange bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true, true
	case int8:
		return int64(x), true, true
	case int16:
		return int64(x), true, true
	case int32:
		return int64(x), true, true
	case int64:
		return x, true, true
	case uint:
		return int64(x), true, uint64(x) <= math.MaxInt64
	case uint8:
		return int64(x), true, true
	case uint16:
		return int64(x), true, true
	case uint32:
		return int64(x), true, true
	case uint64:
		return int64(x), true, x <= math.MaxInt64
	case uintptr:
		return int64(x), true, uint64(x) <= math.MaxInt64
	}
	return 0, false, false
}

// appendInt returns why i does not fit the column ("" when appended); callers box
// the value only on failure so typed paths stay allocation free.
func (b *Builder) appendInt(c *colBuilder, i int64) string {
	switch c.f.Type {
	case TypeInt8:
		if i < math.MinInt8 || i > math.MaxInt8 {
			return fmt.Sprintf("%d out of range", i)
		}
		c.vals = append(c.vals, byte(i))
	case TypeInt16:
		if i < math.MinInt16 || i > math.MaxInt16 {
			return fmt.Sprintf("%d out of range", i)
		}
		c.vals = binary.LittleEndian.AppendUint16(c.vals, uint16(i))
	case TypeInt32:
		if i < math.MinInt32 || i > math.MaxInt32 {
			return fmt.Sprintf("%d out of range", i)
		}
		c.vals = binary.LittleEndian.AppendUint32(c.vals, uint32(i))
	case TypeInt64:
		c.vals = binary.LittleEndian.AppendUint64(c.vals, uint64(i))
	default:
		return "not an integer column"
	}
	b.done(c)
	return ""
}

func (b *Builder) appendFloat(c *colBuilder, f float64) string {
	switch c.f.Type {
	case TypeFloat64:
		c.vals = binary.LittleEndian.AppendUint64(c.vals, math.Float64bits(f))
	case TypeFloat32:
		c.vals = binary.LittleEndian.AppendUint32(c.vals, math.Float32bits(float32(f)))
	default:
		return "not a float column"
	}
	b.done(c)
	return ""
}

// AppendInt64 appends v to an integer column (range checked) without boxing.
func (b *Builder) AppendInt64(col int, v int64) error {
	c, err := b.slot(col)
	if err != nil {
		return err
	}
	if c.f.Type == TypeInt64 {
		c.vals = binary.LittleEndian.AppendUint64(c.vals, uint64(v))
		b.done(c)
		return nil
	}
	if why := b.appendInt(c, v); why != "" {
		return b.valueErr(c, v, why)
	}
	return nil
}

// AppendFloat64 appends v to a float64 or float32 column without boxing.
func (b *Builder) AppendFloat64(col int, v float64) error {
	c, err := b.slot(col)
	if err != nil {
		return err
	}
	if why := b.appendFloat(c, v); why != "" {
		return b.valueErr(c, v, why)
	}
	return nil
}

// AppendBool appends v to a bool column.
func (b *Builder) AppendBool(col int, v bool) error {
	c, err := b.slot(col)
	if err != nil {
		return err
	}
	if c.f.Type != TypeBool {
		return b.valueErr(c, v, "not a bool column")
	}
	c.vals = appendBit(c.vals, b.rows, v)
	b.done(c)
	return nil
}

// AppendString appends s to a string (valid UTF-8 only), binary, decimal or uuid column.
func (b *Builder) AppendString(col int, s string) error {
	c, err := b.slot(col)
	if err != nil {
		return err
	}
	return b.appendString(c, s)
}

func (b *Builder) appendString(c *colBuilder, s string) error {
	switch c.f.Type {
	case TypeString:
		if !utf8.ValidString(s) {
			return b.valueErr(c, s, "not valid UTF-8")
		}
	case TypeBinary:
	case TypeDecimal:
		d, err := ParseDecimal(s, c.f.Precision, c.f.Scale)
		if err != nil {
			return b.valueErr(c, s, err.Error())
		}
		c.appendDecimal(d)
		b.done(c)
		return nil
	case TypeUUID:
		u, err := ParseUUID(s)
		if err != nil {
			return b.valueErr(c, s, err.Error())
		}
		c.vals = append(c.vals, u[:]...)
		b.done(c)
		return nil
	default:
		return b.valueErr(c, s, "not a string column")
	}
	if len(c.data)+len(s) > maxVarData {
		return b.valueErr(c, s, "column data would exceed 2 GiB - 1 in this batch; Build first")
	}
	c.data = append(c.data, s...)
	c.vals = binary.LittleEndian.AppendUint32(c.vals, uint32(len(c.data)))
	b.done(c)
	return nil
}

// AppendBytes appends v (copied) to a binary column, or to a string column if
// it is valid UTF-8.
func (b *Builder) AppendBytes(col int, v []byte) error {
	c, err := b.slot(col)
	if err != nil {
		return err
	}
	switch c.f.Type {
	case TypeString:
		if !utf8.Valid(v) {
			return b.valueErr(c, v, "not valid UTF-8")
		}
	case TypeBinary:
	default:
		return b.valueErr(c, v, "not a string or binary column")
	}
	if len(c.data)+len(v) > maxVarData {
		return b.valueErr(c, v, "column data would exceed 2 GiB - 1 in this batch; Build first")
	}
	c.data = append(c.data, v...)
	c.vals = binary.LittleEndian.AppendUint32(c.vals, uint32(len(c.data)))
	b.done(c)
	return nil
}
