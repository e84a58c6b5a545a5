package bxl

import (
	"encoding/binary"
	"fmt"
	"math"
	"sync/atomic"
	"time"
	"unsafe"
)

// Column is one column of a batch in Arrow layout. Decoded columns alias the
// frame payload: keep the payload alive and unmodified while the column is used.
type Column struct {
	Type Type
	Len  int
	// Validity is the validity bitmap; nil or empty means no NULLs.
	Validity []byte
	// Buffers are the buffers after validity, in the order of the spec's type table.
	Buffers [][]byte
	// Precision and Scale of a decimal column (0 otherwise).
	Precision, Scale uint8
}

// Batch is a record batch: Rows rows of the columns of Schema.
type Batch struct {
	Schema  *Schema
	Rows    int
	Columns []Column
}

// Bytes is the size of the batch's buffers: what its data weighs on the
// data plane, less framing.
func (b *Batch) Bytes() int {
	n := 0
	for _, c := range b.Columns {
		n += len(c.Validity)
		for _, buf := range c.Buffers {
			n += len(buf)
		}
	}
	return n
}

// Row returns row i as values per the package's mapping (boxed: not for hot paths).
func (b *Batch) Row(i int) []any {
	out := make([]any, len(b.Columns))
	for c := range b.Columns {
		out[c] = b.Columns[c].Value(i)
	}
	return out
}

// IsNull reports whether row i is NULL.
func (c *Column) IsNull(i int) bool {
	return len(c.Validity) != 0 && c.Validity[i>>3]&(1<<(i&7)) == 0
}

// NullCount counts the NULL rows.
func (c *Column) NullCount() int {
	if len(c.Validity) == 0 {
		return 0
	}
	n := 0
	for i := 0; i < c.Len; i++ {
		if c.IsNull(i) {
			n++
		}
	}
	return n
}

func (c *Column) must(t Type) {
	if c.Type != t {
		panic(fmt.Sprintf("bxl: %s accessor on a %s column", t, c.Type))
	}
}

// The typed accessors below read row i without boxing; they panic when the column
// has another type or i is out of range (programming errors), and return the zero
// slot of a NULL row (check IsNull first).

func (c *Column) Bool(i int) bool {
	c.must(TypeBool)
	return c.Buffers[0][i>>3]&(1<<(i&7)) != 0
}

func (c *Column) Int8(i int) int8 { c.must(TypeInt8); return int8(c.Buffers[0][i]) }

func (c *Column) Int16(i int) int16 {
	c.must(TypeInt16)
	return int16(binary.LittleEndian.Uint16(c.Buffers[0][2*i:]))
}

func (c *Column) Int32(i int) int32 {
	c.must(TypeInt32)
	return int32(binary.LittleEndian.Uint32(c.Buffers[0][4*i:]))
}

func (c *Column) Int64(i int) int64 {
	c.must(TypeInt64)
	return int64(binary.LittleEndian.Uint64(c.Buffers[0][8*i:]))
}

func (c *Column) Float32(i int) float32 {
	c.must(TypeFloat32)
	return math.Float32frombits(binary.LittleEndian.Uint32(c.Buffers[0][4*i:]))
}

func (c *Column) Float64(i int) float64 {
	c.must(TypeFloat64)
	return math.Float64frombits(binary.LittleEndian.Uint64(c.Buffers[0][8*i:]))
}

func (c *Column) Decimal(i int) Decimal {
	c.must(TypeDecimal)
	v := c.Buffers[0][16*i : 16*i+16]
	return Decimal{Lo: binary.LittleEndian.Uint64(v), Hi: int64(binary.LittleEndian.Uint64(v[8:])), Scale: c.Scale}
}

func (c *Column) varBytes(i int) []byte {
	off := c.Buffers[0]
	s := binary.LittleEndian.Uint32(off[4*i:])
	e := binary.LittleEndian.Uint32(off[4*i+4:])
	return c.Buffers[1][s:e:e]
}

// Str returns row i of a string column; it aliases the column's data (no copy).
func (c *Column) Str(i int) string {
	c.must(TypeString)
	b := c.varBytes(i)
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Bytes returns row i of a binary or string column, aliasing the column's data.
func (c *Column) Bytes(i int) []byte {
	if c.Type != TypeString {
		c.must(TypeBinary)
	}
	return c.varBytes(i)
}

// Date returns row i of a date column as days since 1970-01-01.
func (c *Column) Date(i int) int32 {
	c.must(TypeDate)
	return int32(binary.LittleEndian.Uint32(c.Buffers[0][4*i:]))
}

// Time returns row i of a time column as the duration since midnight.
func (c *Column) Time(i int) time.Duration {
	c.must(TypeTime)
	return time.Duration(int64(binary.LittleEndian.Uint64(c.Buffers[0][8*i:]))) * time.Microsecond
}

// DateTime returns row i of a datetime column as microseconds since 1970-01-01T00:00:00.
func (c *Column) DateTime(i int) int64 {
	c.must(TypeDateTime)
	return int64(binary.LittleEndian.Uint64(c.Buffers[0][8*i:]))
}

// DateTimeOffset returns row i of a datetimeoffset column: UTC microseconds since
// the epoch and the zone offset in minutes.
func (c *Column) DateTimeOffset(i int) (utcMicros int64, offsetMinutes int16) {
	c.must(TypeDateTimeOffset)
	return int64(binary.LittleEndian.Uint64(c.Buffers[0][8*i:])),
		int16(binary.LittleEndian.Uint16(c.Buffers[1][2*i:]))
}

func (c *Column) UUID(i int) UUID {
	c.must(TypeUUID)
	return UUID(c.Buffers[0][16*i : 16*i+16])
}

// Value returns row i per the package's mapping; nil for NULL. Strings and []byte
// are copies, so they stay valid after the payload is reused.
func (c *Column) Value(i int) any {
	if c.IsNull(i) {
		return nil
	}
	switch c.Type {
	case TypeBool:
		return c.Bool(i)
	case TypeInt8:
		return c.Int8(i)
	case TypeInt16:
		return c.Int16(i)
	case TypeInt32:
		return c.Int32(i)
	case TypeInt64:
		return c.Int64(i)
	case TypeFloat32:
		return c.Float32(i)
	case TypeFloat64:
		return c.Float64(i)
	case TypeDecimal:
		return c.Decimal(i)
	case TypeString:
		return string(c.varBytes(i))
	case TypeBinary:
		return append([]byte{}, c.varBytes(i)...)
	case TypeDate:
		return time.Unix(int64(c.Date(i))*86400, 0).UTC()
	case TypeTime:
		return c.Time(i)
	case TypeDateTime:
		return time.UnixMicro(c.DateTime(i)).UTC()
	case TypeDateTimeOffset:
		us, off := c.DateTimeOffset(i)
		return time.UnixMicro(us).In(offsetZone(off))
	case TypeUUID:
		return c.UUID(i)
	}
	panic(fmt.Sprintf("bxl: column of invalid type %d", uint8(c.Type)))
}

const maxOffsetMinutes = 840

// zones caches one *time.Location per offset so decoding allocates none per value.
var zones [2*maxOffsetMinutes + 1]atomic.Pointer[time.Location]

// offsetZone returns the fixed zone "+hh:mm" for an offset in −840..840 minutes.
func offsetZone(minutes int16) *time.Location {
	m := int(minutes)
	if m < -maxOffsetMinutes || m > maxOffsetMinutes {
		return time.FixedZone(fmt.Sprintf("%+d", m), m*60) // unreachable for validated columns
	}
	slot := &zones[m+maxOffsetMinutes]
	if l := slot.Load(); l != nil {
		return l
	}
	sign, a := '+', m
	if m < 0 {
		sign, a = '-', -m
	}
	l := time.FixedZone(fmt.Sprintf("%c%02d:%02d", sign, a/60, a%60), m*60)
	slot.Store(l)
	return l
}
