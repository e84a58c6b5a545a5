package sqlite

import (
	"errors"
	"strings"
)

// ErrNotAQuery is returned for an input query that is not one reading
// statement.
var ErrNotAQuery = errors.New("not authorized: an input query is one SELECT, WITH … SELECT or VALUES statement")

// checkQueryText is the first of the SQLite input query's guards: the text
// must hold one statement that starts with SELECT, WITH or VALUES. The
// authorizer and query_only still decide what that statement may do; this
// layer refuses what they cannot see, such as a bare REINDEX (SQLite asks
// the authorizer nothing for it) or a second statement after the first.
func checkQueryText(q string) error {
	first, rest := "", false
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '(':
			i++
			continue
		case strings.HasPrefix(q[i:], "--"):
			i = skipTo(q, i+2, "\n")
			continue
		case strings.HasPrefix(q[i:], "/*"):
			i = skipTo(q, i+2, "*/")
			continue
		case c == ';':
			rest = true
			i++
			continue
		}
		if rest {
			return ErrNotAQuery // text after the statement's end
		}
		if first == "" {
			j := i
			for j < len(q) && (q[j] == '_' || q[j] >= 'a' && q[j] <= 'z' || q[j] >= 'A' && q[j] <= 'Z') {
				j++
			}
			first = strings.ToUpper(q[i:j])
			if first != "SELECT" && first != "WITH" && first != "VALUES" {
				return ErrNotAQuery
			}
		}
		i = skipToken(q, i)
	}
	if first == "" {
		return ErrNotAQuery
	}
	return nil
}

// skipTo returns the index after the next end at or after i (len(q) if none).
// sqlio's skipPast is the same five lines; this guard stays self-contained,
// next to the SQLite tokenizer rules it follows (see sqlio's skipQuoted).
func skipTo(q string, i int, end string) int {
	k := strings.Index(q[i:], end)
	if k < 0 {
		return len(q)
	}
	return i + k + len(end)
}

// skipToken returns the index after the token at i: a quoted string or
// identifier ('…', "…", `…`, […]) as a whole, anything else one byte.
func skipToken(q string, i int) int {
	closing := map[byte]byte{'\'': '\'', '"': '"', '`': '`', '[': ']'}
	cl, ok := closing[q[i]]
	if !ok {
		return i + 1
	}
	for j := i + 1; j < len(q); j++ {
		if q[j] != cl {
			continue
		}
		if cl != ']' && j+1 < len(q) && q[j+1] == cl { // doubled quote
			j++
			continue
		}
		return j + 1
	}
	return len(q)
}
