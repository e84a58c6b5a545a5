package bxl

import (
	"errors"
	"fmt"
	"strings"
)

// ErrProtocol is wrapped by every error about bytes that break docs/bxl.md.
var ErrProtocol = errors.New("bxl: protocol error")

// ErrValue is wrapped by Builder errors about a value that cannot go into a column.
var ErrValue = errors.New("bxl: value not accepted")

// Type is a BXL column type code.
type Type uint8

// Type codes, as in the type table of docs/bxl.md.
const (
	TypeBool Type = iota + 1
	TypeInt8
	TypeInt16
	TypeInt32
	TypeInt64
	TypeFloat32
	TypeFloat64
	TypeDecimal
	TypeString
	TypeBinary
	TypeDate
	TypeTime
	TypeDateTime
	TypeDateTimeOffset
	TypeUUID
)

var typeNames = [...]string{
	TypeBool: "bool", TypeInt8: "int8", TypeInt16: "int16", TypeInt32: "int32", TypeInt64: "int64",
	TypeFloat32: "float32", TypeFloat64: "float64", TypeDecimal: "decimal", TypeString: "string",
	TypeBinary: "binary", TypeDate: "date", TypeTime: "time", TypeDateTime: "datetime",
	TypeDateTimeOffset: "datetimeoffset", TypeUUID: "uuid",
}

// Valid reports whether t is a type code of BXL v1.
func (t Type) Valid() bool { return t >= TypeBool && t <= TypeUUID }

// String returns the spec's name of t, or "type(N)" for an unknown code.
func (t Type) String() string {
	if t.Valid() {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// ParseType returns the type named name (case-insensitive).
func ParseType(name string) (Type, error) {
	for t := TypeBool; t <= TypeUUID; t++ {
		if strings.EqualFold(name, typeNames[t]) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("bxl: unknown type name %q", name)
}

// valueWidth is the width of a fixed-width values buffer; 0 for bool, string, binary.
func (t Type) valueWidth() int {
	switch t {
	case TypeInt8:
		return 1
	case TypeInt16:
		return 2
	case TypeInt32, TypeFloat32, TypeDate:
		return 4
	case TypeInt64, TypeFloat64, TypeTime, TypeDateTime, TypeDateTimeOffset:
		return 8
	case TypeDecimal, TypeUUID:
		return 16
	}
	return 0
}

// numBuffers is the count of buffers after validity.
func (t Type) numBuffers() int {
	switch t {
	case TypeString, TypeBinary, TypeDateTimeOffset:
		return 2
	}
	return 1
}

// Field is one column of a schema or one param of a params block.
type Field struct {
	Name string
	Type Type
	// Nullable allows NULLs; decoders and the Builder refuse NULLs in other fields.
	Nullable bool
	// Output marks an OUTPUT param (params blocks only).
	Output bool
	// Precision (1..38) and Scale (0..Precision) are set for decimal fields only.
	Precision, Scale uint8
}

// Schema lists the fields of a data set or params block, in order.
type Schema struct {
	Fields []Field
}

// Validate checks the per-field rules of the spec.
func (s *Schema) Validate() error {
	for i := range s.Fields {
		if err := s.Fields[i].validate(); err != nil {
			return fmt.Errorf("field %d (%q): %w", i, s.Fields[i].Name, err)
		}
	}
	return nil
}

func (f *Field) validate() error {
	if !f.Type.Valid() {
		return fmt.Errorf("%w: unknown type code %d", ErrProtocol, uint8(f.Type))
	}
	if f.Type == TypeDecimal {
		if f.Precision < 1 || f.Precision > MaxDecimalPrecision {
			return fmt.Errorf("%w: decimal precision %d outside 1..38", ErrProtocol, f.Precision)
		}
		if f.Scale > f.Precision {
			return fmt.Errorf("%w: decimal scale %d above precision %d", ErrProtocol, f.Scale, f.Precision)
		}
	} else if f.Precision != 0 || f.Scale != 0 {
		return fmt.Errorf("%w: precision/scale %d/%d set on a %s field", ErrProtocol, f.Precision, f.Scale, f.Type)
	}
	return nil
}

// bufferCount is B of a record batch of this schema.
func (s *Schema) bufferCount() int {
	n := 0
	for i := range s.Fields {
		n += 1 + s.Fields[i].Type.numBuffers()
	}
	return n
}
