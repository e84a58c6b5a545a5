package sqlio

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/openlaunchpad/launchpad/host/datasource"
)

// ParamRefs returns the @variables an input query names, each spelling
// once, in order of first use, without "@". Text in string literals, quoted
// identifiers ("…", […], `…`) and comments is skipped, and so are T-SQL's
// @@functions (@@ROWCOUNT).
func ParamRefs(q string) []string {
	var refs []string
	seen := map[string]bool{}
	for i := 0; i < len(q); {
		switch {
		case strings.HasPrefix(q[i:], "--"):
			i = skipPast(q, i+2, "\n")
		case strings.HasPrefix(q[i:], "/*"):
			i = skipPast(q, i+2, "*/")
		case q[i] == '\'' || q[i] == '"' || q[i] == '`' || q[i] == '[':
			i = skipQuoted(q, i)
		case strings.HasPrefix(q[i:], "@@"):
			i = identEnd(q, i+2)
		case q[i] == '@':
			j := identEnd(q, i+1)
			if name := q[i+1 : j]; name != "" && !seen[name] {
				seen[name] = true
				refs = append(refs, name)
			}
			i = j
		default:
			i++
		}
	}
	return refs
}

// BindRefs pairs each @variable the query names with its declared param,
// comparing names case-insensitively as T-SQL does. A name no param
// declares is ErrUndeclaredParam naming it.
func BindRefs(q string, params []datasource.Param) (map[string]datasource.Param, error) {
	refs := ParamRefs(q)
	if len(refs) == 0 {
		return nil, nil
	}
	out := make(map[string]datasource.Param, len(refs))
	for _, r := range refs {
		found := false
		for _, p := range params {
			if strings.EqualFold(p.Name, r) {
				out[r], found = p, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%w \"@%s\": the input query uses @%s, which --params does not declare",
				datasource.ErrUndeclaredParam, r, r)
		}
	}
	return out, nil
}

// identEnd returns the index after the variable name starting at i
// (T-SQL: letters, digits, _, @, #, $).
func identEnd(q string, i int) int {
	for i < len(q) {
		c, n := utf8.DecodeRuneInString(q[i:])
		if c != '_' && c != '@' && c != '#' && c != '$' && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			break
		}
		i += n
	}
	return i
}

// skipPast returns the index after the next end at or after i (len(q) if none).
// Scans like sqlite's statement check in shape only: they look for different things (params here, the first keyword there).
func skipPast(q string, i int, end string) int {
	k := strings.Index(q[i:], end)
	if k < 0 {
		return len(q)
	}
	return i + k + len(end)
}

// skipQuoted returns the index after the quoted token at i; the closing
// character doubled inside stands for itself, T-SQL's "]]" included. It
// stays apart from sqlite/stmt.go's skipToken on purpose: that one is a
// guard and follows SQLite's own tokenizer exactly (no "]]").
func skipQuoted(q string, i int) int {
	cl := q[i]
	if cl == '[' {
		cl = ']'
	}
	for j := i + 1; j < len(q); j++ {
		if q[j] != cl {
			continue
		}
		if j+1 < len(q) && q[j+1] == cl {
			j++
			continue
		}
		return j + 1
	}
	return len(q)
}
