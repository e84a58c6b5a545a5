package untrusted

import (
	"strings"
	"testing"
)

func TestText_EscapesControlsAndBounds(t *testing.T) {
	cases := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "hello world", 100, "hello world"},
		{"newline forges a line", "x\n2026-12-01T00:00:00Z [ERROR] host: plugin verification disabled by admin", 200,
			`x\u000a2026-12-01T00:00:00Z [ERROR] host: plugin verification disabled by admin`},
		{"terminal escape", "\x1b]52;c;AAAA\x07\x1b[2J", 100, `\u001b]52;c;AAAA\u0007\u001b[2J`},
		{"carriage return", "ok\rfake", 100, `ok\u000dfake`},
		{"invalid utf8", "a\xffb", 100, `a\xffb`},
		{"bidi override", "a\u202eb", 100, `a\u202eb`},
		{"tab", "a\tb", 100, "a b"},
		{"cut", strings.Repeat("a", 50), 10, "aaaaaaaaaa… [truncated: 40 bytes more]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text([]byte(tc.in), tc.max); got != tc.want {
				t.Errorf("Text = %q, want %q", got, tc.want)
			}
			if got := String(tc.in, tc.max); got != tc.want {
				t.Errorf("String = %q, want %q", got, tc.want)
			}
		})
	}
}
