package bxl

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Protocol version carried by HELLO.
const (
	VersionMajor = 1
	// VersionMinor 1 adds QUERY and the host's answers to it.
	VersionMinor = 1
)

// Default data-frame variable names of the JOB header.
const (
	DefaultInputName  = "InputDataSet"
	DefaultOutputName = "OutputDataSet"
)

var helloMagic = [4]byte{'B', 'X', 'L', '1'}

// AppendHello appends the HELLO payload of this implementation's version.
func AppendHello(dst []byte) []byte {
	dst = append(dst, helloMagic[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, VersionMajor)
	return binary.LittleEndian.AppendUint16(dst, VersionMinor)
}

// CheckHello accepts a HELLO payload of major version 1 and any minor version.
func CheckHello(p []byte) error {
	if len(p) != 8 {
		return fmt.Errorf("%w: hello: payload is %d bytes, want 8", ErrProtocol, len(p))
	}
	if [4]byte(p[:4]) != helloMagic {
		return fmt.Errorf("%w: hello: bad magic %q", ErrProtocol, p[:4])
	}
	if major := binary.LittleEndian.Uint16(p[4:]); major != VersionMajor {
		return fmt.Errorf("%w: hello: peer speaks BXL major version %d, we speak %d", ErrProtocol, major, VersionMajor)
	}
	return nil
}

// DecodeEnd returns the row count of an END payload.
func DecodeEnd(p []byte) (uint64, error) {
	if len(p) != 8 {
		return 0, fmt.Errorf("%w: end: payload is %d bytes, want 8", ErrProtocol, len(p))
	}
	return binary.LittleEndian.Uint64(p), nil
}

// JobHeader is the JOB dictionary.
type JobHeader struct {
	JobID, Language, Script string
	// InputName and OutputName are the data-frame variable names; empty means the default.
	InputName, OutputName string
	// Chunked asks the runtime to run the script once per chunk of the
	// input: a BATCH of zero rows ends a chunk (docs/bxl.md, "Chunks").
	Chunked bool
}

func (h JobHeader) dict() [][2]string {
	in, out := h.InputName, h.OutputName
	if in == "" {
		in = DefaultInputName
	}
	if out == "" {
		out = DefaultOutputName
	}
	d := [][2]string{{"job_id", h.JobID}, {"language", h.Language}, {"script", h.Script},
		{"input_name", in}, {"output_name", out}}
	if h.Chunked {
		d = append(d, [2]string{"chunked", "1"})
	}
	return d
}

// DecodeJob decodes a JOB payload. job_id, language and script are required;
// the names default when absent; unknown keys are ignored.
func DecodeJob(p []byte) (JobHeader, error) {
	kv, err := decodeDict(p, "job", DefaultLimits())
	if err != nil {
		return JobHeader{}, err
	}
	h := JobHeader{InputName: DefaultInputName, OutputName: DefaultOutputName}
	var have [3]bool
	for _, e := range kv {
		switch e[0] {
		case "job_id":
			h.JobID, have[0] = e[1], true
		case "language":
			h.Language, have[1] = e[1], true
		case "script":
			h.Script, have[2] = e[1], true
		case "input_name":
			h.InputName = e[1]
		case "output_name":
			h.OutputName = e[1]
		case "chunked":
			h.Chunked = e[1] == "1"
		}
	}
	for i, k := range []string{"job_id", "language", "script"} {
		if !have[i] {
			return JobHeader{}, fmt.Errorf("%w: job: missing key %q", ErrProtocol, k)
		}
	}
	return h, nil
}

// Error kinds of the ERROR dictionary.
const (
	ErrorKindScript   = "script"
	ErrorKindOutput   = "output"
	ErrorKindInput    = "input"
	ErrorKindProtocol = "protocol"
	ErrorKindInternal = "internal"
)

// ScriptError is the ERROR dictionary: a failure reported by the peer.
type ScriptError struct {
	Kind      string // one of the ErrorKind constants
	Type      string // the runtime's error type, e.g. ZeroDivisionError
	Message   string
	Traceback string
	Column    string // the data-set column concerned, if any
	Line      int    // line in the user's script; 0 when unknown
}

// Error returns one line: kind, type, message, line and column.
func (e *ScriptError) Error() string {
	var b strings.Builder
	b.WriteString(e.Kind)
	b.WriteString(" error")
	if e.Type != "" {
		b.WriteString(": ")
		b.WriteString(e.Type)
	}
	if e.Message != "" {
		b.WriteString(": ")
		writeOneLine(&b, e.Message)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, " (column %q)", e.Column)
	}
	return b.String()
}

// writeOneLine writes s with every run of white space made one space and
// the ends trimmed, in one pass (a message may be large: no word slice).
func writeOneLine(b *strings.Builder, s string) {
	space, started := false, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = started
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		started = true
		b.WriteRune(r)
	}
}

func (e *ScriptError) dict() [][2]string {
	kv := [][2]string{{"kind", e.Kind}, {"type", e.Type}, {"message", e.Message}, {"traceback", e.Traceback}}
	if e.Line > 0 {
		kv = append(kv, [2]string{"line", strconv.Itoa(e.Line)})
	}
	if e.Column != "" {
		kv = append(kv, [2]string{"column", e.Column})
	}
	return kv
}

func validKind(k string) bool {
	switch k {
	case ErrorKindScript, ErrorKindOutput, ErrorKindInput, ErrorKindProtocol, ErrorKindInternal, ErrorKindQuery:
		return true
	}
	return false
}

// DecodeError decodes an ERROR payload within DefaultLimits; kind is
// required and must be known.
func DecodeError(p []byte) (*ScriptError, error) {
	return DefaultLimits().DecodeError(p)
}

func decodeError(p []byte, l Limits) (*ScriptError, error) {
	kv, err := decodeDict(p, "error", l)
	if err != nil {
		return nil, err
	}
	e := &ScriptError{}
	for _, x := range kv {
		switch x[0] {
		case "kind":
			e.Kind = x[1]
		case "type":
			e.Type = x[1]
		case "message":
			e.Message = x[1]
		case "traceback":
			e.Traceback = x[1]
		case "column":
			e.Column = x[1]
		case "line":
			n, err := strconv.Atoi(x[1])
			if err != nil || n < 1 || strings.ContainsAny(x[1], "+-") {
				return nil, fmt.Errorf("%w: error: line %q is not a positive decimal", ErrProtocol, x[1])
			}
			e.Line = n
		}
	}
	if !validKind(e.Kind) {
		return nil, fmt.Errorf("%w: error: unknown kind %q", ErrProtocol, e.Kind)
	}
	return e, nil
}
