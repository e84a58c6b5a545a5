package bxl

import "fmt"

// Defaults of Limits. They are far above what a well-behaved peer sends and
// small enough that one hostile frame costs the reader little: every limit is
// checked against a length prefix before anything is allocated for it.
const (
	// DefaultMaxFields bounds the fields of one SCHEMA (and of a PARAMS
	// schema through MaxParams): SQL Server allows 1024 columns per table.
	DefaultMaxFields = 4096
	// DefaultMaxNameBytes bounds one field name (SQL Server: 128 characters).
	DefaultMaxNameBytes = 4096
	// DefaultMaxSchemaBytes bounds one encoded schema.
	DefaultMaxSchemaBytes = 1 << 20
	// DefaultMaxBatchRows bounds the rows of one BATCH: writers cut batches by
	// bytes (a few MiB), so even an all-bool batch stays far below it.
	DefaultMaxBatchRows = 1 << 26
	// DefaultMaxParams bounds the fields of a PARAMS schema (SQL Server
	// allows 2100 parameters per procedure).
	DefaultMaxParams = 2100
	// DefaultMaxDictEntries bounds the entries of a dictionary (JOB, ERROR).
	DefaultMaxDictEntries = 64
	// DefaultMaxKeyBytes bounds one dictionary key.
	DefaultMaxKeyBytes = 64
	// DefaultMaxErrorValueBytes is the most bytes of one ERROR value a Reader
	// keeps; the rest is skipped and a truncation marker appended.
	DefaultMaxErrorValueBytes = 256 << 10
)

// Limits bound what the decoders and a Reader accept from a peer. Every limit
// is enforced on a length or count prefix, before the reader allocates for
// it: a frame breaking one is a protocol error naming the figure and the
// limit ("schema declares 33554432 fields, limit 4096"). A zero field means
// its default (DefaultLimits).
type Limits struct {
	// MaxFrameBytes bounds the payload of any frame but ERROR, which a Reader
	// streams and never holds whole.
	MaxFrameBytes int
	// MaxParamsBytes bounds a PARAMS payload (default MaxFrameBytes); a host
	// lowers it to what is left of a job's output budget.
	MaxParamsBytes int
	// MaxFields, MaxNameBytes and MaxSchemaBytes bound a schema: its field
	// count, one field name, and its whole encoding.
	MaxFields      int
	MaxNameBytes   int
	MaxSchemaBytes int
	// MaxBatchRows bounds the row count of one BATCH.
	MaxBatchRows int
	// MaxParams bounds the field count of a PARAMS schema.
	MaxParams int
	// MaxDictEntries and MaxKeyBytes bound a dictionary.
	MaxDictEntries int
	MaxKeyBytes    int
	// MaxErrorValueBytes is the most bytes a Reader keeps of one value of an
	// ERROR frame; longer values are cut at a UTF-8 boundary and end with
	// TruncatedMarker. Unknown ERROR keys are skipped whole.
	MaxErrorValueBytes int
	// MaxQueryBytes bounds a QUERY payload (within MaxFrameBytes).
	MaxQueryBytes int
}

// DefaultLimits returns the limits the package-level decoders use.
func DefaultLimits() Limits { return Limits{}.withDefaults() }

// withDefaults fills every zero field with its default.
func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxFrameBytes, DefaultMaxFrameBytes)
	def(&l.MaxParamsBytes, l.MaxFrameBytes)
	def(&l.MaxFields, DefaultMaxFields)
	def(&l.MaxNameBytes, DefaultMaxNameBytes)
	def(&l.MaxSchemaBytes, DefaultMaxSchemaBytes)
	def(&l.MaxBatchRows, DefaultMaxBatchRows)
	def(&l.MaxParams, DefaultMaxParams)
	def(&l.MaxDictEntries, DefaultMaxDictEntries)
	def(&l.MaxKeyBytes, DefaultMaxKeyBytes)
	def(&l.MaxErrorValueBytes, DefaultMaxErrorValueBytes)
	def(&l.MaxQueryBytes, DefaultMaxQueryBytes)
	return l
}

// TruncatedMarker is appended to text cut at a limit; %d is the number of
// bytes left out.
const TruncatedMarker = "… [truncated: %d bytes more]"

// Truncated returns s cut to at most max bytes at a UTF-8 boundary, with
// TruncatedMarker saying how many bytes were left out; s itself when it fits.
// The marker is not counted in max.
func Truncated(s string, max int) string {
	if len(s) <= max {
		return s
	}
	keep := utf8Prefix(s[:max])
	return keep + fmt.Sprintf(TruncatedMarker, len(s)-len(keep))
}

// utf8Prefix drops an incomplete rune from the end of s (cut inside it).
func utf8Prefix(s string) string {
	for i := len(s) - 1; i >= 0 && i >= len(s)-4; i-- {
		c := s[i]
		if c < 0x80 {
			return s // ASCII: complete
		}
		if c >= 0xC0 { // a lead byte: keep it only if its sequence is whole
			n := 2
			switch {
			case c >= 0xF0:
				n = 4
			case c >= 0xE0:
				n = 3
			}
			if len(s)-i >= n {
				return s
			}
			return s[:i]
		}
	}
	return s
}

// DecodeSchema decodes a SCHEMA payload within l; it must be consumed exactly.
func (l Limits) DecodeSchema(p []byte) (*Schema, error) {
	l = l.withDefaults()
	d := &dec{p: p, what: "schema"}
	s, err := d.schema(l, l.MaxFields)
	if err != nil {
		return nil, err
	}
	return s, d.end()
}

// DecodeBatch decodes a BATCH payload against s within l (see DecodeBatch).
func (l Limits) DecodeBatch(p []byte, s *Schema) (*Batch, error) {
	return decodeBatch(p, s, "batch", l.withDefaults())
}

// DecodeParams decodes a PARAMS payload within l (see DecodeParams).
func (l Limits) DecodeParams(p []byte) (*Schema, *Batch, error) {
	return decodeParams(p, l.withDefaults())
}

// DecodeDict decodes a dictionary within l (see DecodeDict).
func (l Limits) DecodeDict(p []byte) ([][2]string, error) {
	return decodeDict(p, "dictionary", l.withDefaults())
}

// DecodeError decodes an ERROR payload within l (see DecodeError).
func (l Limits) DecodeError(p []byte) (*ScriptError, error) {
	return decodeError(p, l.withDefaults())
}
