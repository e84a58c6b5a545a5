package bxl

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"unsafe"
)

// FrameType is the type byte of a frame.
type FrameType uint8

// Frame types of docs/bxl.md.
const (
	FrameHello FrameType = iota
	FrameJob
	FrameParams
	FrameSchema
	FrameBatch
	FrameEnd
	FrameError
	// FrameQuery (BXL 1.1) is a query a script makes back to the instance.
	FrameQuery
)

var frameNames = [...]string{"HELLO", "JOB", "PARAMS", "SCHEMA", "BATCH", "END", "ERROR", "QUERY"}

// Valid reports whether f is a frame type of BXL v1 (1.1 with QUERY).
func (f FrameType) Valid() bool { return int(f) < len(frameNames) }

func (f FrameType) String() string {
	if f.Valid() {
		return frameNames[f]
	}
	return fmt.Sprintf("frame(%d)", uint8(f))
}

const (
	frameHeaderLen = 5
	// DefaultMaxFrameBytes is the Reader's frame size limit when none is given.
	DefaultMaxFrameBytes = 256 << 20
	// DefaultBatchBytes is the target of buffer bytes per batch for writers.
	DefaultBatchBytes = 4 << 20
	// eagerAllocBytes is the most a Reader allocates for a frame before its bytes
	// arrive; larger frames grow as they are read, so a lying length costs little.
	eagerAllocBytes = 8 << 20
)

// FrameSizeError is a frame refused on its header: its length is above the
// Reader's limit for its type. It wraps ErrProtocol.
type FrameSizeError struct {
	Frame  int // the frame's number in the stream
	Type   FrameType
	Length uint32
	Limit  int
}

func (e *FrameSizeError) Error() string {
	return fmt.Sprintf("%v: frame %d (%s): length %d exceeds the limit of %d bytes", ErrProtocol, e.Frame, e.Type, e.Length, e.Limit)
}

func (e *FrameSizeError) Unwrap() error { return ErrProtocol }

// ErrWriterDone is returned by a Writer asked to write after END or ERROR.
var ErrWriterDone = errors.New("bxl: write after END or ERROR")

// Writer writes frames to one stream. It is not safe for concurrent use.
type Writer struct {
	w       io.Writer
	hdr     []byte
	iov     [][]byte
	lay     [][]byte
	rows    uint64
	done    bool
	err     error // first write error; the stream is unusable after it
	payload []byte
}

// NewWriter returns a Writer on w. A frame's header and column buffers go
// out with net.Buffers, which writes them in one writev(2) when w is a
// net.Conn (a unix socket from net.FileConn, as the host's data plane is)
// and one Write each otherwise.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Rows returns the rows sent in BATCH frames so far.
func (w *Writer) Rows() uint64 { return w.rows }

var zeroPad [16]byte

func (w *Writer) begin() error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return ErrWriterDone
	}
	return nil
}

func (w *Writer) send(bufs [][]byte) error {
	nb := net.Buffers(bufs)
	if _, err := nb.WriteTo(w.w); err != nil {
		w.err = fmt.Errorf("bxl: write: %w", err)
		return w.err
	}
	return nil
}

// WriteFrame writes one frame with a raw payload. BATCH rows are counted and
// END is checked against them; nothing may follow END or ERROR.
func (w *Writer) WriteFrame(t FrameType, payload []byte) error {
	if err := w.begin(); err != nil {
		return err
	}
	if !t.Valid() {
		return fmt.Errorf("bxl: write: unknown frame type %d", uint8(t))
	}
	if uint64(len(payload)) > math.MaxUint32 {
		return fmt.Errorf("bxl: write %s: payload of %d bytes exceeds the u32 length", t, len(payload))
	}
	switch t {
	case FrameBatch:
		if len(payload) < 4 {
			return fmt.Errorf("bxl: write BATCH: payload of %d bytes has no row count", len(payload))
		}
	case FrameEnd:
		n, err := DecodeEnd(payload)
		if err != nil {
			return err
		}
		if n != w.rows {
			return fmt.Errorf("bxl: write END: %d rows announced, %d sent in batches", n, w.rows)
		}
	}
	w.hdr = appendFrameHeader(w.hdr[:0], t, len(payload))
	if err := w.send(append(w.iov[:0], w.hdr, payload)); err != nil {
		return err
	}
	switch t {
	case FrameBatch:
		w.rows += uint64(binary.LittleEndian.Uint32(payload))
	case FrameEnd, FrameError:
		w.done = true
	}
	return nil
}

func appendFrameHeader(dst []byte, t FrameType, n int) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	return append(dst, byte(t))
}

// WriteHello writes this side's HELLO.
func (w *Writer) WriteHello() error { return w.WriteFrame(FrameHello, AppendHello(nil)) }

// WriteJob writes the JOB header.
func (w *Writer) WriteJob(h JobHeader) error {
	w.payload = AppendDict(w.payload[:0], h.dict())
	return w.WriteFrame(FrameJob, w.payload)
}

// WriteParams writes a params block (b has one row, or is nil for zero fields).
func (w *Writer) WriteParams(s *Schema, b *Batch) error {
	p, err := appendParams(w.payload[:0], s, b)
	if err != nil {
		return fmt.Errorf("bxl: write PARAMS: %w", err)
	}
	w.payload = p
	return w.WriteFrame(FrameParams, p)
}

// WriteSchema writes a SCHEMA frame.
func (w *Writer) WriteSchema(s *Schema) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("bxl: write SCHEMA: %w", err)
	}
	w.payload = AppendSchema(w.payload[:0], s)
	return w.WriteFrame(FrameSchema, w.payload)
}

// WriteBatch writes a BATCH frame: header and buffer table from a small scratch
// buffer, then the column buffers themselves in one vectored write, never copied.
func (w *Writer) WriteBatch(b *Batch) error {
	if err := w.begin(); err != nil {
		return err
	}
	hdr, bufs, total, err := batchLayout(append(w.hdr[:0], 0, 0, 0, 0, byte(FrameBatch)), b, w.lay[:0])
	if err != nil {
		return fmt.Errorf("bxl: write BATCH: %w", err)
	}
	if uint64(total) > math.MaxUint32 {
		return fmt.Errorf("bxl: write BATCH: payload of %d bytes exceeds the u32 length", total)
	}
	binary.LittleEndian.PutUint32(hdr, uint32(total))
	w.hdr = hdr
	// Interleave padding after each buffer; the iov list is reused across batches.
	iov := append(w.iov[:0], hdr)
	for _, buf := range bufs {
		if len(buf) == 0 {
			continue
		}
		iov = append(iov, buf)
		if pad := align8(len(buf)) - len(buf); pad > 0 {
			iov = append(iov, zeroPad[:pad])
		}
	}
	w.iov, w.lay = iov, bufs
	err = w.send(iov)
	clear(w.iov) // drop references to the caller's buffers
	clear(w.lay)
	if err != nil {
		return err
	}
	w.rows += uint64(b.Rows)
	return nil
}

// WriteEnd writes END; rows must equal the rows sent in batches.
func (w *Writer) WriteEnd(rows uint64) error {
	return w.WriteFrame(FrameEnd, binary.LittleEndian.AppendUint64(nil, rows))
}

// WriteError writes an ERROR frame; e.Kind must be one of the ErrorKind constants.
func (w *Writer) WriteError(e *ScriptError) error {
	if !validKind(e.Kind) {
		return fmt.Errorf("bxl: write ERROR: unknown kind %q", e.Kind)
	}
	w.payload = AppendDict(w.payload[:0], e.dict())
	return w.WriteFrame(FrameError, w.payload)
}

// Reader reads frames from one stream. It is not safe for concurrent use.
// It enforces the stream-level rules: HELLO first (and valid), nothing after END
// or ERROR, END's row count equal to the sum of the BATCH row counts; and its
// Limits on every frame's length before it allocates (SCHEMA frames within
// MaxSchemaBytes, PARAMS within MaxParamsBytes, others within MaxFrameBytes).
// ERROR frames are streamed: whatever their length, a Reader keeps at most
// MaxErrorValueBytes of each known value.
type Reader struct {
	r      io.Reader
	lim    Limits
	hdr    [frameHeaderLen]byte
	frames int
	hello  bool
	done   bool
	rows   uint64
}

// NewReader returns a Reader with DefaultLimits, refusing frames larger than
// maxFrameBytes (0 means DefaultMaxFrameBytes).
func NewReader(r io.Reader, maxFrameBytes int) *Reader {
	return NewReaderLimits(r, Limits{MaxFrameBytes: maxFrameBytes})
}

// NewReaderLimits returns a Reader enforcing l (zero fields: defaults).
func NewReaderLimits(r io.Reader, l Limits) *Reader {
	return &Reader{r: r, lim: l.withDefaults()}
}

// Limits returns the limits in force.
func (r *Reader) Limits() Limits { return r.lim }

// SetLimits changes the limits for the frames still to come (a host lowers
// MaxParamsBytes to what is left of a job's output budget).
func (r *Reader) SetLimits(l Limits) { r.lim = l.withDefaults() }

// Frames returns how many frames Next has started reading; errors name this number.
func (r *Reader) Frames() int { return r.frames }

// Done reports whether END or ERROR was read.
func (r *Reader) Done() bool { return r.done }

// Rows returns the rows announced by the BATCH frames read so far.
func (r *Reader) Rows() uint64 { return r.rows }

// Next reads one frame. The payload is freshly allocated, 8-byte aligned (so
// batches can be viewed in place) and owned by the caller. It returns io.EOF only
// at a clean frame boundary; a stream cut inside a frame gives an error wrapping
// both ErrProtocol and io.ErrUnexpectedEOF.
func (r *Reader) Next() (FrameType, []byte, error) {
	n, err := io.ReadFull(r.r, r.hdr[:])
	if err == io.EOF {
		return 0, nil, io.EOF
	}
	r.frames++
	if err == io.ErrUnexpectedEOF {
		return 0, nil, fmt.Errorf("%w: frame %d: stream ends inside the header after %d bytes: %w", ErrProtocol, r.frames, n, io.ErrUnexpectedEOF)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("bxl: read frame %d: %w", r.frames, err)
	}
	length := binary.LittleEndian.Uint32(r.hdr[:])
	t := FrameType(r.hdr[4])
	fail := func(format string, args ...any) (FrameType, []byte, error) {
		return 0, nil, fmt.Errorf("%w: frame %d (%s): "+format, append([]any{ErrProtocol, r.frames, t}, args...)...)
	}
	switch {
	case !t.Valid():
		return fail("unknown frame type")
	case t != FrameError && uint64(length) > uint64(r.maxFor(t)):
		return 0, nil, &FrameSizeError{Frame: r.frames, Type: t, Length: length, Limit: r.maxFor(t)}
	case r.done:
		return fail("frame after END or ERROR")
	case !r.hello && t != FrameHello:
		return fail("first frame must be HELLO")
	case r.hello && t == FrameHello:
		return fail("second HELLO")
	}
	var p []byte
	if t == FrameError {
		p, err = r.readError(length)
	} else {
		p, err = r.readPayload(int(length))
	}
	if err != nil {
		if errors.Is(err, ErrProtocol) {
			return 0, nil, fmt.Errorf("frame %d: %w", r.frames, err)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return 0, nil, fmt.Errorf("%w: frame %d (%s): stream ends inside the %d-byte payload: %w", ErrProtocol, r.frames, t, length, io.ErrUnexpectedEOF)
		}
		return 0, nil, fmt.Errorf("bxl: read frame %d (%s): %w", r.frames, t, err)
	}
	switch t {
	case FrameHello:
		if err := CheckHello(p); err != nil {
			return 0, nil, fmt.Errorf("frame %d: %w", r.frames, err)
		}
		r.hello = true
	case FrameBatch:
		if len(p) < 4 {
			return fail("payload of %d bytes has no row count", len(p))
		}
		r.rows += uint64(binary.LittleEndian.Uint32(p))
	case FrameEnd:
		rows, err := DecodeEnd(p)
		if err != nil {
			return 0, nil, fmt.Errorf("frame %d: %w", r.frames, err)
		}
		if rows != r.rows {
			return fail("END announces %d rows, the batches held %d", rows, r.rows)
		}
		r.done = true
	case FrameError:
		r.done = true
	}
	return t, p, nil
}

// maxFor is the payload limit of frames of type t.
func (r *Reader) maxFor(t FrameType) int {
	switch t {
	case FrameHello, FrameEnd:
		return 8
	case FrameSchema:
		return min(r.lim.MaxSchemaBytes, r.lim.MaxFrameBytes)
	case FrameParams:
		return min(r.lim.MaxParamsBytes, r.lim.MaxFrameBytes)
	case FrameQuery:
		return min(r.lim.MaxQueryBytes, r.lim.MaxFrameBytes)
	}
	return r.lim.MaxFrameBytes
}

func (r *Reader) readPayload(n int) ([]byte, error) {
	if n <= eagerAllocBytes {
		p := alloc8(n)
		_, err := io.ReadFull(r.r, p)
		return p, err
	}
	p := alloc8(eagerAllocBytes)
	have := 0
	for {
		m, err := io.ReadFull(r.r, p[have:])
		have += m
		if err != nil {
			return nil, err
		}
		if have == n {
			return p, nil
		}
		np := alloc8(min(n, 2*len(p)))
		copy(np, p[:have])
		p = np
	}
}

// alloc8 returns n bytes backed by []uint64, hence 8-byte aligned.
func alloc8(n int) []byte {
	if n == 0 {
		return []byte{}
	}
	u := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&u[0])), n)
}
