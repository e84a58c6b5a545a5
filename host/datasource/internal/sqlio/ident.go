package sqlio

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/openlaunchpad/launchpad/host/datasource"
)

// maxIdentLen is SQL Server's sysname length; SQLite has no limit but a
// table name longer than this is a mistake, not a name.
const maxIdentLen = 128

// SplitTableName validates a table name of at most maxParts dot-separated
// parts. A part is a plain identifier (letter or _, then letters, digits,
// _, $, #, @) or a bracketed or double-quoted one, where the closing
// character is doubled inside. It returns the unquoted parts.
func SplitTableName(name string, maxParts int) ([]string, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w %q: %s", datasource.ErrBadTableName, name, why)
	}
	if name == "" {
		return nil, bad("empty")
	}
	var parts []string
	s := name
	for {
		var part string
		switch {
		case strings.HasPrefix(s, "["), strings.HasPrefix(s, `"`):
			closeCh := "]"
			if s[0] == '"' {
				closeCh = `"`
			}
			// Inside quotes the closing character is written twice.
			var b strings.Builder
			i := 1
			for {
				j := strings.Index(s[i:], closeCh)
				if j < 0 {
					return nil, bad("unterminated quoted part")
				}
				b.WriteString(s[i : i+j])
				i += j + 1
				if i < len(s) && s[i:i+1] == closeCh {
					b.WriteString(closeCh)
					i++
					continue
				}
				break
			}
			part = b.String()
			s = s[i:]
			if part == "" || strings.ContainsRune(part, 0) {
				return nil, bad("empty or invalid quoted part")
			}
		default:
			end := strings.IndexByte(s, '.')
			if end < 0 {
				end = len(s)
			}
			part = s[:end]
			s = s[end:]
			if !plainIdent(part) {
				return nil, bad(fmt.Sprintf("%q is not a plain identifier (quote it with [ ] or \" \")", part))
			}
		}
		if len(part) > maxIdentLen {
			return nil, bad("part longer than 128 characters")
		}
		parts = append(parts, part)
		if s == "" {
			break
		}
		if s[0] != '.' || len(s) == 1 {
			return nil, bad("parts must be separated by single dots")
		}
		s = s[1:]
	}
	if len(parts) > maxParts {
		return nil, bad(fmt.Sprintf("at most %d parts", maxParts))
	}
	return parts, nil
}

func plainIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
		case i > 0 && (unicode.IsDigit(r) || r == '$' || r == '#' || r == '@'):
		default:
			return false
		}
	}
	return true
}

// QuoteDouble quotes an identifier the ANSI way (SQLite).
func QuoteDouble(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// QuoteBracket quotes an identifier the T-SQL way.
func QuoteBracket(s string) string { return "[" + strings.ReplaceAll(s, "]", "]]") + "]" }

func QuoteParts(parts []string, q func(string) string) string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = q(p)
	}
	return strings.Join(out, ".")
}

// checkOutputSchema refuses schemas that cannot become a table: no columns,
// empty or duplicate (case-insensitive, as both engines compare) names.
func checkOutputSchema(fields int, name func(int) string) error {
	if fields == 0 {
		return fmt.Errorf("%w: no columns", datasource.ErrBadSchema)
	}
	seen := make(map[string]bool, fields)
	for i := 0; i < fields; i++ {
		n := name(i)
		if n == "" {
			return fmt.Errorf("%w: column %d has no name", datasource.ErrBadSchema, i+1)
		}
		if strings.ContainsRune(n, 0) || len(n) > maxIdentLen {
			return fmt.Errorf("%w: column %d name is invalid", datasource.ErrBadSchema, i+1)
		}
		k := strings.ToLower(n)
		if seen[k] {
			return fmt.Errorf("%w: duplicate column name %q", datasource.ErrBadSchema, n)
		}
		seen[k] = true
	}
	return nil
}
