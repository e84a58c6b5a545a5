package bxl

import (
	"encoding/binary"
	"fmt"
	"math"
	"unicode/utf8"
)

// maxVarData is the most string/binary bytes one column of one batch may hold.
const maxVarData = math.MaxInt32

// dec reads primitives from untrusted bytes; every failure names what was being read.
type dec struct {
	p    []byte
	off  int
	what string
}

func (d *dec) fail(format string, args ...any) error {
	return fmt.Errorf("%w: %s: "+format, append([]any{ErrProtocol, d.what}, args...)...)
}

func (d *dec) need(n int, item string) error {
	if n < 0 || len(d.p)-d.off < n {
		return d.fail("truncated %s at byte %d (need %d, have %d)", item, d.off, n, len(d.p)-d.off)
	}
	return nil
}

func (d *dec) u32(item string) (uint32, error) {
	if err := d.need(4, item); err != nil {
		return 0, err
	}
	d.off += 4
	return binary.LittleEndian.Uint32(d.p[d.off-4:]), nil
}

// str reads a string of at most max bytes. item is a format with one verb,
// idx its argument: names are built only for errors, never per field.
func (d *dec) str(item string, idx any, max int) (string, error) {
	n, err := d.u32("string length")
	if err != nil {
		return "", d.fail("truncated "+item+" length at byte %d", idx, d.off)
	}
	if uint64(n) > uint64(max) {
		return "", d.fail(item+" is %d bytes, limit %d", idx, n, max)
	}
	if err := d.need(int(n), "string"); err != nil {
		return "", d.fail("truncated "+item+" at byte %d (need %d, have %d)", idx, d.off, n, len(d.p)-d.off)
	}
	b := d.p[d.off : d.off+int(n)]
	if !utf8.Valid(b) {
		return "", d.fail(item+" at byte %d is not valid UTF-8", idx, d.off)
	}
	d.off += int(n)
	return string(b), nil
}

func (d *dec) end() error {
	if d.off != len(d.p) {
		return d.fail("%d trailing bytes", len(d.p)-d.off)
	}
	return nil
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

func align8(n int) int { return (n + 7) &^ 7 }

func padTo8(dst []byte, start int) []byte {
	for (len(dst)-start)%8 != 0 {
		dst = append(dst, 0)
	}
	return dst
}

const (
	flagNullable = 1 << 0
	flagOutput   = 1 << 1
)

// AppendSchema appends the schema encoding of s to dst.
func AppendSchema(dst []byte, s *Schema) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(s.Fields)))
	for i := range s.Fields {
		f := &s.Fields[i]
		dst = appendStr(dst, f.Name)
		var flags byte
		if f.Nullable {
			flags |= flagNullable
		}
		if f.Output {
			flags |= flagOutput
		}
		dst = append(dst, byte(f.Type), flags, f.Precision, f.Scale)
	}
	return dst
}

// DecodeSchema decodes a SCHEMA payload within DefaultLimits; it must be
// consumed exactly.
func DecodeSchema(p []byte) (*Schema, error) {
	return DefaultLimits().DecodeSchema(p)
}

// schema decodes a schema of at most maxFields fields within l. Every count
// and length is checked before the reader allocates for it.
func (d *dec) schema(l Limits, maxFields int) (*Schema, error) {
	if len(d.p)-d.off > l.MaxSchemaBytes {
		return nil, d.fail("schema of %d bytes exceeds the limit of %d bytes", len(d.p)-d.off, l.MaxSchemaBytes)
	}
	n, err := d.u32("field count")
	if err != nil {
		return nil, err
	}
	if uint64(n) > uint64(maxFields) {
		return nil, d.fail("schema declares %d fields, limit %d", n, maxFields)
	}
	// A field takes at least 8 bytes: bound the allocation by the input.
	if uint64(n) > uint64(len(d.p)-d.off)/8 {
		return nil, d.fail("field count %d exceeds the %d bytes left", n, len(d.p)-d.off)
	}
	s := &Schema{Fields: make([]Field, n)}
	for i := range s.Fields {
		f := &s.Fields[i]
		if f.Name, err = d.str("field %d name", i, l.MaxNameBytes); err != nil {
			return nil, err
		}
		if err := d.need(4, "field type"); err != nil {
			return nil, d.fail("truncated field %d type at byte %d", i, d.off)
		}
		t, flags := d.p[d.off], d.p[d.off+1]
		f.Type, f.Precision, f.Scale = Type(t), d.p[d.off+2], d.p[d.off+3]
		d.off += 4
		if flags&^(flagNullable|flagOutput) != 0 {
			return nil, d.fail("field %d (%q): reserved flag bits set (0x%02x)", i, f.Name, flags)
		}
		f.Nullable, f.Output = flags&flagNullable != 0, flags&flagOutput != 0
		if err := f.validate(); err != nil {
			return nil, fmt.Errorf("%s: field %d (%q): %w", d.what, i, f.Name, err)
		}
	}
	return s, nil
}

// batchLayout appends a batch's header, buffer table and padding to dst and
// returns the buffers in payload order, without copying them. The buffer bytes
// follow at align8 boundaries: each buffer is padded to 8 with zeros.
func batchLayout(dst []byte, b *Batch, bufs [][]byte) ([]byte, [][]byte, int, error) {
	if err := checkShape(b, b.Schema); err != nil {
		return dst, bufs, 0, err
	}
	start := len(dst)
	nb := 0
	for i := range b.Columns {
		nb += 1 + len(b.Columns[i].Buffers)
	}
	dst = binary.LittleEndian.AppendUint32(dst, uint32(b.Rows))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(nb))
	pos := align8(8 + 16*nb)
	for i := range b.Columns {
		c := &b.Columns[i]
		for k := -1; k < len(c.Buffers); k++ {
			buf := c.Validity
			if k >= 0 {
				buf = c.Buffers[k]
			}
			dst = binary.LittleEndian.AppendUint64(dst, uint64(pos))
			dst = binary.LittleEndian.AppendUint64(dst, uint64(len(buf)))
			bufs = append(bufs, buf)
			pos += align8(len(buf))
		}
	}
	dst = padTo8(dst, start)
	return dst, bufs, pos, nil
}

// AppendBatch appends the record batch encoding of b to dst. It copies every
// buffer: use Writer.WriteBatch on hot paths. It panics if b does not match its
// schema's layout (a programming error; decoded and built batches always do).
func AppendBatch(dst []byte, b *Batch) []byte {
	start := len(dst)
	dst, bufs, _, err := batchLayout(dst, b, nil)
	if err != nil {
		panic(err)
	}
	for _, buf := range bufs {
		dst = append(dst, buf...)
		dst = padTo8(dst, start)
	}
	return dst
}

// checkShape verifies that b's buffers have the exact lengths the spec requires
// for schema s, so that encoders never emit a batch a decoder refuses on layout.
func checkShape(b *Batch, s *Schema) error {
	if s == nil {
		return fmt.Errorf("bxl: batch without schema")
	}
	if len(b.Columns) != len(s.Fields) {
		return fmt.Errorf("bxl: batch has %d columns, schema %d fields", len(b.Columns), len(s.Fields))
	}
	if b.Rows < 0 || uint64(b.Rows) > math.MaxUint32 {
		return fmt.Errorf("bxl: batch row count %d out of range", b.Rows)
	}
	n := b.Rows
	bm := (n + 7) / 8
	for i := range b.Columns {
		c, f := &b.Columns[i], &s.Fields[i]
		bad := func(format string, args ...any) error {
			return fmt.Errorf("bxl: batch column %d (%q, %s): "+format, append([]any{i, f.Name, f.Type}, args...)...)
		}
		if c.Type != f.Type {
			return bad("column has type %s", c.Type)
		}
		if c.Len != n {
			return bad("column length %d, batch rows %d", c.Len, n)
		}
		if len(c.Validity) != 0 && len(c.Validity) != bm {
			return bad("validity is %d bytes, want %d", len(c.Validity), bm)
		}
		if len(c.Buffers) != f.Type.numBuffers() {
			return bad("%d buffers, want %d", len(c.Buffers), f.Type.numBuffers())
		}
		switch f.Type {
		case TypeBool:
			if len(c.Buffers[0]) != bm {
				return bad("values bitmap is %d bytes, want %d", len(c.Buffers[0]), bm)
			}
		case TypeString, TypeBinary:
			off := c.Buffers[0]
			if len(off) == 0 && n == 0 {
				if len(c.Buffers[1]) != 0 {
					return bad("data without offsets")
				}
				break
			}
			if len(off) != 4*(n+1) {
				return bad("offsets are %d bytes, want %d", len(off), 4*(n+1))
			}
			if len(c.Buffers[1]) > maxVarData || binary.LittleEndian.Uint32(off[4*n:]) != uint32(len(c.Buffers[1])) {
				return bad("last offset does not match %d data bytes", len(c.Buffers[1]))
			}
		case TypeDateTimeOffset:
			if len(c.Buffers[0]) != 8*n || len(c.Buffers[1]) != 2*n {
				return bad("buffers are %d and %d bytes, want %d and %d", len(c.Buffers[0]), len(c.Buffers[1]), 8*n, 2*n)
			}
		default:
			if w := f.Type.valueWidth(); len(c.Buffers[0]) != w*n {
				return bad("values are %d bytes, want %d", len(c.Buffers[0]), w*n)
			}
		}
	}
	return nil
}

// DecodeBatch decodes a BATCH payload against schema s, checking every rule of
// docs/bxl.md. The columns alias p (zero copy).
func DecodeBatch(p []byte, s *Schema) (*Batch, error) {
	return DefaultLimits().DecodeBatch(p, s)
}

func decodeBatch(p []byte, s *Schema, what string, l Limits) (*Batch, error) {
	d := &dec{p: p, what: what}
	if s == nil {
		return nil, d.fail("no schema")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	rows, err := d.u32("row count")
	if err != nil {
		return nil, err
	}
	if uint64(rows) > uint64(l.MaxBatchRows) {
		return nil, d.fail("batch declares %d rows, limit %d", rows, l.MaxBatchRows)
	}
	nb, err := d.u32("buffer count")
	if err != nil {
		return nil, err
	}
	if want := s.bufferCount(); uint64(nb) != uint64(want) {
		return nil, d.fail("buffer count %d, schema needs %d", nb, want)
	}
	if err := d.need(16*int(nb), "buffer table"); err != nil {
		return nil, err
	}
	n := int(rows)
	table := p[8 : 8+16*int(nb)]
	all := make([][]byte, nb)
	// Buffers must lie in table order at increasing offsets: that makes the
	// overlap check linear. Bytes between them are padding and must be zero.
	prevEnd := uint64(len(table) + 8)
	for k := range all {
		off := binary.LittleEndian.Uint64(table[16*k:])
		ln := binary.LittleEndian.Uint64(table[16*k+8:])
		switch {
		case off%8 != 0:
			return nil, d.fail("buffer %d offset %d is not a multiple of 8", k, off)
		case off < prevEnd:
			return nil, d.fail("buffer %d at offset %d overlaps the header or the previous buffer (ending at %d)", k, off, prevEnd)
		case off > uint64(len(p)) || ln > uint64(len(p))-off:
			return nil, d.fail("buffer %d (offset %d, length %d) lies outside the %d-byte payload", k, off, ln, len(p))
		}
		if !allZero(p[prevEnd:off]) {
			return nil, d.fail("non-zero padding before buffer %d", k)
		}
		all[k] = p[off : off+ln : off+ln]
		prevEnd = off + ln
	}
	if !allZero(p[prevEnd:]) {
		return nil, d.fail("non-zero bytes after the last buffer")
	}
	b := &Batch{Schema: s, Rows: n, Columns: make([]Column, len(s.Fields))}
	k := 0
	for i := range s.Fields {
		f := &s.Fields[i]
		nbuf := f.Type.numBuffers()
		c := &b.Columns[i]
		*c = Column{Type: f.Type, Len: n, Validity: all[k], Buffers: all[k+1 : k+1+nbuf : k+1+nbuf], Precision: f.Precision, Scale: f.Scale}
		k += 1 + nbuf
		if err := checkColumn(c, f); err != nil {
			return nil, fmt.Errorf("%w: %s: column %d (%q, %s): %s", ErrProtocol, what, i, f.Name, f.Type, err.Error())
		}
	}
	return b, nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// colErr is a plain message; decodeBatch adds ErrProtocol and where.
type colErr string

func (e colErr) Error() string { return string(e) }

func colErrf(format string, args ...any) error { return colErr(fmt.Sprintf(format, args...)) }

// checkColumn checks one decoded column's buffers against field f.
func checkColumn(c *Column, f *Field) error {
	n := c.Len
	bm := (n + 7) / 8
	if v := len(c.Validity); v != 0 && v != bm {
		return colErrf("validity bitmap is %d bytes, want 0 or %d", v, bm)
	}
	if len(c.Validity) != 0 && !f.Nullable {
		if i := firstNull(c.Validity, n); i >= 0 {
			return colErrf("NULL at row %d in a non-nullable field", i)
		}
	}
	vals := c.Buffers[0]
	switch f.Type {
	case TypeBool:
		if len(vals) != bm {
			return colErrf("values bitmap is %d bytes, want %d", len(vals), bm)
		}
		return nil
	case TypeString, TypeBinary:
		return checkVar(c, f.Type == TypeString)
	}
	w := f.Type.valueWidth()
	if uint64(len(vals)) != uint64(w)*uint64(n) {
		return colErrf("values buffer is %d bytes, want %d (%d rows × %d)", len(vals), uint64(w)*uint64(n), n, w)
	}
	switch f.Type {
	case TypeDecimal:
		for i := 0; i < n; i++ {
			if !c.IsNull(i) && !c.Decimal(i).fitsPrecision(f.Precision) {
				return colErrf("row %d: value %s exceeds precision %d", i, c.Decimal(i), f.Precision)
			}
		}
	case TypeTime:
		for i := 0; i < n; i++ {
			v := int64(binary.LittleEndian.Uint64(vals[8*i:]))
			if (v < 0 || v >= microsPerDay) && !c.IsNull(i) {
				return colErrf("row %d: time %d µs outside 0..86399999999", i, v)
			}
		}
	case TypeDateTimeOffset:
		offs := c.Buffers[1]
		if len(offs) != 2*n {
			return colErrf("offsets buffer is %d bytes, want %d", len(offs), 2*n)
		}
		for i := 0; i < n; i++ {
			o := int16(binary.LittleEndian.Uint16(offs[2*i:]))
			if (o < -maxOffsetMinutes || o > maxOffsetMinutes) && !c.IsNull(i) {
				return colErrf("row %d: zone offset %d minutes outside -840..840", i, o)
			}
		}
	}
	return nil
}

const microsPerDay = 86_400_000_000

// firstNull returns the first row < n whose validity bit is 0, or -1.
func firstNull(v []byte, n int) int {
	for i := 0; i < n/8; i++ {
		if v[i] != 0xff {
			for j := 0; j < 8; j++ {
				if v[i]&(1<<j) == 0 {
					return 8*i + j
				}
			}
		}
	}
	for i := n &^ 7; i < n; i++ {
		if v[i>>3]&(1<<(i&7)) == 0 {
			return i
		}
	}
	return -1
}

func checkVar(c *Column, isString bool) error {
	n := c.Len
	off, data := c.Buffers[0], c.Buffers[1]
	if len(off) == 0 && n == 0 {
		if len(data) != 0 {
			return colErrf("%d data bytes without offsets", len(data))
		}
		return nil
	}
	if uint64(len(off)) != 4*(uint64(n)+1) {
		return colErrf("offsets buffer is %d bytes, want %d", len(off), 4*(uint64(n)+1))
	}
	if len(data) > maxVarData {
		return colErrf("data buffer is %d bytes, above the 2 GiB - 1 limit", len(data))
	}
	if first := binary.LittleEndian.Uint32(off); first != 0 {
		return colErrf("first offset is %d, want 0", first)
	}
	if isString && !utf8.Valid(data) {
		return colErrf("string data is not valid UTF-8")
	}
	prev := uint32(0)
	for i := 1; i <= n; i++ {
		o := binary.LittleEndian.Uint32(off[4*i:])
		if o < prev {
			return colErrf("offset %d (%d) is below offset %d (%d)", i, o, i-1, prev)
		}
		if o > uint32(len(data)) {
			return colErrf("offset %d (%d) beyond the %d data bytes", i, o, len(data))
		}
		// Whole data is valid UTF-8; a row is too unless it starts or ends inside a rune.
		if isString && o < uint32(len(data)) && !utf8.RuneStart(data[o]) {
			return colErrf("offset %d (%d) splits a UTF-8 sequence", i, o)
		}
		prev = o
	}
	if prev != uint32(len(data)) {
		return colErrf("last offset %d does not equal the data length %d", prev, len(data))
	}
	return nil
}

// AppendParams appends a params block: schema s and b, a batch of exactly one
// row (nil or zero rows when s has no fields). It panics on a batch that does not
// match s; Writer.WriteParams returns that as an error instead.
func AppendParams(dst []byte, s *Schema, b *Batch) []byte {
	out, err := appendParams(dst, s, b)
	if err != nil {
		panic(err)
	}
	return out
}

func appendParams(dst []byte, s *Schema, b *Batch) ([]byte, error) {
	want := 1
	if len(s.Fields) == 0 {
		want = 0
		if b == nil {
			b = &Batch{Schema: s}
		}
	}
	if b == nil || b.Rows != want {
		return dst, fmt.Errorf("bxl: params batch must have %d row(s)", want)
	}
	pb := *b
	pb.Schema = s
	if err := checkShape(&pb, s); err != nil {
		return dst, err
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = AppendSchema(dst, s)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	dst = padTo8(dst, start)
	return AppendBatch(dst, &pb), nil
}

// DecodeParams decodes a PARAMS payload within DefaultLimits. The batch
// aliases p.
func DecodeParams(p []byte) (*Schema, *Batch, error) {
	return DefaultLimits().DecodeParams(p)
}

func decodeParams(p []byte, l Limits) (*Schema, *Batch, error) {
	d := &dec{p: p, what: "params"}
	if len(p) > l.MaxParamsBytes {
		return nil, nil, d.fail("payload of %d bytes exceeds the limit of %d bytes", len(p), l.MaxParamsBytes)
	}
	sl, err := d.u32("schema length")
	if err != nil {
		return nil, nil, err
	}
	if uint64(sl) > uint64(l.MaxSchemaBytes) {
		return nil, nil, d.fail("schema of %d bytes exceeds the limit of %d bytes", sl, l.MaxSchemaBytes)
	}
	if err := d.need(int(sl), "schema"); err != nil {
		return nil, nil, err
	}
	sd := &dec{p: p[4 : 4+int(sl)], what: "params: schema"}
	s, err := sd.schema(l, l.MaxParams)
	if err == nil {
		err = sd.end()
	}
	if err != nil {
		return nil, nil, err
	}
	bs := align8(4 + int(sl))
	if bs > len(p) {
		return nil, nil, d.fail("missing padding and record batch after the schema")
	}
	if !allZero(p[4+int(sl) : bs]) {
		return nil, nil, d.fail("non-zero padding after the schema")
	}
	b, err := decodeBatch(p[bs:], s, "params batch", l)
	if err != nil {
		return nil, nil, err
	}
	want := 1
	if len(s.Fields) == 0 {
		want = 0
	}
	if b.Rows != want {
		return nil, nil, d.fail("batch has %d rows, want %d", b.Rows, want)
	}
	return s, b, nil
}

// AppendDict appends a dictionary of key/value pairs.
func AppendDict(dst []byte, kv [][2]string) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(kv)))
	for _, e := range kv {
		dst = appendStr(dst, e[0])
		dst = appendStr(dst, e[1])
	}
	return dst
}

// DecodeDict decodes a dictionary within DefaultLimits. Keys must be
// lowercase snake_case ASCII and unique; all strings valid UTF-8; p must be
// consumed exactly.
func DecodeDict(p []byte) ([][2]string, error) {
	return DefaultLimits().DecodeDict(p)
}

func decodeDict(p []byte, what string, l Limits) ([][2]string, error) {
	d := &dec{p: p, what: what}
	n, err := d.u32("entry count")
	if err != nil {
		return nil, err
	}
	if uint64(n) > uint64(l.MaxDictEntries) {
		return nil, d.fail("dictionary declares %d entries, limit %d", n, l.MaxDictEntries)
	}
	if uint64(n) > uint64(len(p)-4)/8 { // an entry takes at least 8 bytes
		return nil, d.fail("entry count %d exceeds the %d bytes left", n, len(p)-4)
	}
	kv := make([][2]string, n)
	for i := range kv {
		if kv[i][0], err = d.str("key %d", i, l.MaxKeyBytes); err != nil {
			return nil, err
		}
		if err := checkKey(kv[:i], kv[i][0]); err != nil {
			return nil, d.fail("key %d %s", i, err)
		}
		if kv[i][1], err = d.str("value of %q", kv[i][0], l.MaxFrameBytes); err != nil {
			return nil, err
		}
	}
	return kv, d.end()
}

// checkKey checks a new key against the rules and the keys before it (a
// dictionary has at most MaxDictEntries keys: a linear scan is enough).
func checkKey(before [][2]string, k string) error {
	if !validKey(k) {
		return fmt.Errorf("%q is not lowercase snake_case ASCII", k)
	}
	for _, e := range before {
		if e[0] == k {
			return fmt.Errorf("duplicate key %q", k)
		}
	}
	return nil
}

func validKey(k string) bool {
	if k == "" || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
