package clientcmd

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// A job's output is written by its script, and so are its error messages:
// raw, they reach the caller's terminal, where escape sequences set the
// clipboard (OSC 52), the window title, clear the screen or hide text. When
// exec writes to a terminal it shows every control character (C0 but \n and
// \t, DEL, C1) and every invalid UTF-8 byte as a visible \xNN escape
// instead. Output to a pipe or file stays byte-exact.

// escapeMode is exec's --escape setting.
type escapeMode string

const (
	escapeAuto   escapeMode = "auto" // escape when the stream is a terminal
	escapeAlways escapeMode = "always"
	escapeNever  escapeMode = "never"
)

func parseEscapeMode(s string) (escapeMode, error) {
	switch m := escapeMode(s); m {
	case escapeAuto, escapeAlways, escapeNever:
		return m, nil
	}
	return "", fmt.Errorf("--escape %q: want auto, always or never", s)
}

// escapes tells whether output to f must be escaped under mode m.
func (m escapeMode) escapes(f *os.File) bool {
	switch m {
	case escapeAlways:
		return true
	case escapeNever:
		return false
	}
	return isTerminal(f)
}

// isTerminal reports whether f is a terminal (it answers TCGETS).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// isControl reports the runes a terminal acts on rather than shows.
func isControl(r rune) bool {
	return (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f)
}

// escapeText returns s with control runes and invalid UTF-8 bytes shown as
// \xNN (C1 controls as \u00NN). Text without them is returned as is.
func escapeText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	appendEscaped(&b, []byte(s), true)
	return b.String()
}

// appendEscaped writes p escaped to b and returns how many bytes it
// consumed: with final false an incomplete rune at the end is left for the
// next call (a stream may split a rune between two writes).
func appendEscaped(b *strings.Builder, p []byte, final bool) int {
	i := 0
	for i < len(p) {
		r, n := utf8.DecodeRune(p[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			if !final && !utf8.FullRune(p[i:]) {
				return i
			}
			fmt.Fprintf(b, `\x%02x`, p[i])
			n = 1
		case r < 0x80 && isControl(r):
			fmt.Fprintf(b, `\x%02x`, r)
		case isControl(r):
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.Write(p[i : i+n])
		}
		i += n
	}
	return i
}

// escapeWriter escapes a byte stream on its way to a terminal.
type escapeWriter struct {
	w       io.Writer
	pending []byte // the start of a rune split across writes
}

func (e *escapeWriter) Write(p []byte) (int, error) {
	buf := append(e.pending, p...)
	var b strings.Builder
	n := appendEscaped(&b, buf, false)
	e.pending = append([]byte(nil), buf[n:]...)
	if _, err := io.WriteString(e.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a rune left incomplete at the end of the stream, escaped.
func (e *escapeWriter) Flush() error {
	if len(e.pending) == 0 {
		return nil
	}
	var b strings.Builder
	appendEscaped(&b, e.pending, true)
	e.pending = nil
	_, err := io.WriteString(e.w, b.String())
	return err
}
