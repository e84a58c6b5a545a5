package untrusted

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text returns b as one line of at most max bytes of its own (plus a
// truncation marker): control characters (line breaks, ESC, NUL, …) and
// invalid UTF-8 become \x.. or \u.... escapes, so the result can be logged
// as a value without starting a new line or driving a terminal.
func Text(b []byte, max int) string {
	var out strings.Builder
	out.Grow(min(len(b), max))
	i := 0
	for i < len(b) && out.Len() < max {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&out, `\x%02x`, b[i])
		case r == '\t':
			out.WriteByte(' ')
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Cf, r):
			fmt.Fprintf(&out, `\u%04x`, r)
		default:
			out.WriteRune(r)
		}
		i += n
	}
	if i < len(b) {
		fmt.Fprintf(&out, "… [truncated: %d bytes more]", len(b)-i)
	}
	return out.String()
}

// String is Text for a string.
func String(s string, max int) string {
	if len(s) <= max && clean(s) {
		return s
	}
	return Text([]byte(s), max)
}

// clean reports whether s needs no escaping.
func clean(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError || (r >= 0x80 && (unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029')) {
			return false
		}
	}
	return true
}
