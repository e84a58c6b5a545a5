package bxl

import (
	"fmt"
	"unicode/utf8"
)

// DefaultMaxQueryBytes bounds a QUERY payload (the query text and its
// dictionary): far above any hand-written query, small enough that a
// runtime's flood of them costs the host little.
const DefaultMaxQueryBytes = 1 << 20

// ErrorKindQuery is the kind of an ERROR the host answers a QUERY with: the
// query was refused (permission, limits) or failed. The runtime raises it
// in the script, which may catch it; the conversation goes on.
const ErrorKindQuery = "query"

// Query is the QUERY dictionary: a query a script makes back to the
// instance during its job (docs/bxl.md, "Queries from the script").
type Query struct {
	// Text is the query, one reading statement in the instance's dialect.
	Text string
}

func (q Query) dict() [][2]string { return [][2]string{{"query", q.Text}} }

// AppendQuery appends the QUERY payload of q.
func AppendQuery(dst []byte, q Query) []byte { return AppendDict(dst, q.dict()) }

// WriteQuery writes a QUERY frame (runtime → host, after HELLO, before the
// runtime's output starts).
func (w *Writer) WriteQuery(q Query) error {
	w.payload = AppendQuery(w.payload[:0], q)
	return w.WriteFrame(FrameQuery, w.payload)
}

// DecodeQuery decodes a QUERY payload within l: the text is required,
// non-empty, valid UTF-8 and without NUL; unknown keys are ignored. The
// Reader already refused a payload beyond MaxQueryBytes on its header.
func (l Limits) DecodeQuery(p []byte) (Query, error) {
	l = l.withDefaults()
	if len(p) > l.MaxQueryBytes {
		return Query{}, fmt.Errorf("%w: query: payload of %d bytes exceeds the limit of %d", ErrProtocol, len(p), l.MaxQueryBytes)
	}
	kv, err := decodeDict(p, "query", l)
	if err != nil {
		return Query{}, err
	}
	var q Query
	have := false
	for _, e := range kv { // decodeDict refuses a key given twice
		if e[0] == "query" {
			q.Text, have = e[1], true
		}
	}
	switch {
	case !have:
		return Query{}, fmt.Errorf("%w: query: missing key \"query\"", ErrProtocol)
	case q.Text == "":
		return Query{}, fmt.Errorf("%w: query: empty query text", ErrProtocol)
	case !utf8.ValidString(q.Text):
		return Query{}, fmt.Errorf("%w: query: text is not valid UTF-8", ErrProtocol)
	}
	for i := 0; i < len(q.Text); i++ {
		if q.Text[i] == 0 {
			return Query{}, fmt.Errorf("%w: query: text holds a NUL byte", ErrProtocol)
		}
	}
	return q, nil
}

// ReadAnswer prepares the Reader for the host's answer to a QUERY, which
// follows the host's END (or an earlier answer): a new SCHEMA BATCH* END,
// or an ERROR, with its own row count. A runtime calls it after sending
// QUERY; the frames read then follow the usual rules.
func (r *Reader) ReadAnswer() {
	r.done = false
	r.rows = 0
}
