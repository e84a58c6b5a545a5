package bxl

import (
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf8"
)

// errorKeys are the ERROR keys a Reader keeps; others are skipped unread,
// as the spec lets a reader ignore unknown keys.
var errorKeys = map[string]bool{"kind": true, "type": true, "message": true, "traceback": true, "line": true, "column": true}

// readError streams an ERROR frame of n payload bytes and returns a
// re-encoded dictionary of its known keys, each value cut to
// MaxErrorValueBytes with TruncatedMarker: a runtime's 120 MB exception
// message costs the reader MaxErrorValueBytes, never the whole message.
func (r *Reader) readError(n uint32) ([]byte, error) {
	lr := &io.LimitedReader{R: r.r, N: int64(n)}
	s := &errStream{r: lr, lim: r.lim}
	kv, err := s.dict()
	if err != nil {
		return nil, err
	}
	if lr.N != 0 {
		return nil, fmt.Errorf("%w: error: %d trailing bytes", ErrProtocol, lr.N)
	}
	return AppendDict(nil, kv), nil
}

// errStream decodes a dictionary from a stream, bounded by lim.
type errStream struct {
	r   *io.LimitedReader
	lim Limits
	buf [4]byte
}

func (s *errStream) fail(format string, args ...any) error {
	return fmt.Errorf("%w: error: "+format, append([]any{ErrProtocol}, args...)...)
}

// u32 reads a length or count; a short read means the payload (or the
// stream) ended inside the frame.
func (s *errStream) u32(item string) (uint32, error) {
	if _, err := io.ReadFull(s.r, s.buf[:]); err != nil {
		return 0, s.short(item, err)
	}
	return binary.LittleEndian.Uint32(s.buf[:]), nil
}

func (s *errStream) short(item string, err error) error {
	if s.r.N == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
		return s.fail("truncated %s", item)
	}
	return err // the stream itself ended or failed: Next reports that
}

func (s *errStream) dict() ([][2]string, error) {
	n, err := s.u32("entry count")
	if err != nil {
		return nil, err
	}
	if uint64(n) > uint64(s.lim.MaxDictEntries) {
		return nil, s.fail("dictionary declares %d entries, limit %d", n, s.lim.MaxDictEntries)
	}
	var kv [][2]string
	var seen [][2]string
	for i := 0; i < int(n); i++ {
		k, err := s.str(fmt.Sprintf("key %d", i), s.lim.MaxKeyBytes, false)
		if err != nil {
			return nil, err
		}
		if err := checkKey(seen, k); err != nil {
			return nil, s.fail("key %d %s", i, err)
		}
		seen = append(seen, [2]string{k})
		keep := errorKeys[k]
		max := s.lim.MaxErrorValueBytes
		if !keep {
			max = 0
		}
		v, err := s.str(fmt.Sprintf("value of %q", k), max, true)
		if err != nil {
			return nil, err
		}
		if keep {
			kv = append(kv, [2]string{k, v})
		}
	}
	return kv, nil
}

// str reads a string, keeping at most max bytes. Beyond max it refuses the
// string unless cut is set, in which case it skips the rest unread and
// appends TruncatedMarker (nothing for max 0: a skipped value).
func (s *errStream) str(item string, max int, cut bool) (string, error) {
	n, err := s.u32(item + " length")
	if err != nil {
		return "", err
	}
	if int64(n) > s.r.N {
		return "", s.fail("%s of %d bytes exceeds the %d bytes left", item, n, s.r.N)
	}
	if int64(n) > int64(max) && !cut {
		return "", s.fail("%s is %d bytes, limit %d", item, n, max)
	}
	keep := min(int64(n), int64(max))
	b := make([]byte, keep)
	if _, err := io.ReadFull(s.r, b); err != nil {
		return "", s.short(item, err)
	}
	if keep < int64(n) {
		b = []byte(utf8Prefix(string(b)))
	}
	if !utf8.Valid(b) {
		return "", s.fail("%s is not valid UTF-8", item)
	}
	rest := int64(n) - int64(len(b))
	if rest == 0 {
		return string(b), nil
	}
	if _, err := io.CopyN(io.Discard, s.r, int64(n)-keep); err != nil {
		return "", s.short(item, err)
	}
	if max == 0 {
		return "", nil
	}
	return string(b) + fmt.Sprintf(TruncatedMarker, rest), nil
}
