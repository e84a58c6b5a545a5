package tsql

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// twoCharOps are T-SQL's operators of two characters; any other operator or
// punctuation mark is one character of oneCharOps.
var twoCharOps = []string{"<=", ">=", "<>", "!=", "!<", "!>", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "::"}

const oneCharOps = "(),;.=+-*/%<>&|^~!:"

// maxGoCount bounds GO's repeat count; the parser refuses any but 1 anyway.
const maxGoCount = 1 << 20

// lexer turns source text into tokens. It tracks line and column so every
// token, and every error, says where it is.
type lexer struct {
	src       string
	i         int  // byte offset of the next character
	pos       Pos  // position of the next character
	lineToken bool // a token already started on the current line
	toks      []Token
}

// Lex splits src into tokens, skipping whitespace and comments. The last
// token is always EOF.
func Lex(src string) ([]Token, error) {
	if !utf8.ValidString(src) {
		return nil, syntaxErr(invalidUTF8Pos(src), "the batch is not valid UTF-8 text")
	}
	l := &lexer{src: src, pos: Pos{Line: 1, Col: 1}}
	for {
		if err := l.skipSpace(); err != nil {
			return nil, err
		}
		if l.i >= len(l.src) {
			l.toks = append(l.toks, Token{Kind: EOF, Pos: l.pos, Start: l.i, End: l.i})
			return l.toks, nil
		}
		if err := l.token(); err != nil {
			return nil, err
		}
		// After the token, not before: a string may span lines.
		l.lineToken = true
	}
}

// invalidUTF8Pos finds where src stops being UTF-8.
func invalidUTF8Pos(src string) Pos {
	p := Pos{Line: 1, Col: 1}
	for _, r := range src {
		if r == utf8.RuneError {
			return p
		}
		if r == '\n' {
			p.Line, p.Col = p.Line+1, 1
		} else {
			p.Col++
		}
	}
	return p
}

// peek returns the character n bytes ahead, or 0 past the end.
func (l *lexer) peek(n int) byte {
	if l.i+n < len(l.src) {
		return l.src[l.i+n]
	}
	return 0
}

// advance moves past n bytes, keeping the position current.
func (l *lexer) advance(n int) {
	end := l.i + n
	for l.i < end {
		r, size := utf8.DecodeRuneInString(l.src[l.i:])
		l.i += size
		if r == '\n' {
			l.pos.Line++
			l.pos.Col = 1
			l.lineToken = false
		} else {
			l.pos.Col++
		}
	}
}

// skipSpace skips whitespace (any Unicode space: pasted documentation
// carries no-break spaces), -- line comments and nested /* */ comments.
func (l *lexer) skipSpace() error {
	for l.i < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.i:])
		switch {
		case unicode.IsSpace(r):
			l.advance(size)
		case r == '-' && l.peek(1) == '-':
			end := strings.IndexByte(l.src[l.i:], '\n')
			if end < 0 {
				end = len(l.src) - l.i
			}
			l.advance(end)
		case r == '/' && l.peek(1) == '*':
			if err := l.blockComment(); err != nil {
				return err
			}
		default:
			return nil
		}
	}
	return nil
}

// blockComment skips a /* */ comment; T-SQL nests them.
func (l *lexer) blockComment() error {
	start := l.pos
	depth := 0
	for l.i < len(l.src) {
		switch {
		case l.src[l.i] == '/' && l.peek(1) == '*':
			depth++
			l.advance(2)
		case l.src[l.i] == '*' && l.peek(1) == '/':
			depth--
			l.advance(2)
			if depth == 0 {
				return nil
			}
		default:
			_, size := utf8.DecodeRuneInString(l.src[l.i:])
			l.advance(size)
		}
	}
	return syntaxErr(start, "unterminated /* comment")
}

// token reads one token at l.i.
func (l *lexer) token() error {
	c := l.src[l.i]
	r, _ := utf8.DecodeRuneInString(l.src[l.i:])
	atLineStart := !l.lineToken
	switch {
	case c == '\'':
		return l.str(0, false)
	case (c == 'N' || c == 'n') && l.peek(1) == '\'':
		return l.str(1, true)
	case c == '[':
		return l.quotedIdent('[', ']')
	case c == '"':
		return l.quotedIdent('"', '"')
	case c == '@':
		return l.variable()
	case c == '0' && (l.peek(1) == 'x' || l.peek(1) == 'X'):
		return l.binary()
	case isDigit(c) || (c == '.' && isDigit(l.peek(1))):
		return l.number()
	case identStart(r):
		l.ident(atLineStart)
		return nil
	}
	return l.punct()
}

func (l *lexer) emit(kind Kind, start int, startPos Pos) *Token {
	l.toks = append(l.toks, Token{Kind: kind, Text: l.src[start:l.i], Pos: startPos, Start: start, End: l.i})
	return &l.toks[len(l.toks)-1]
}

// str reads '…' (after prefix bytes, 1 for N'…'): a quote inside is
// written twice.
func (l *lexer) str(prefix int, national bool) error {
	start, startPos := l.i, l.pos
	l.advance(prefix + 1)
	var b strings.Builder
	for {
		j := strings.IndexByte(l.src[l.i:], '\'')
		if j < 0 {
			return syntaxErr(startPos, "unterminated string: its closing ' is missing")
		}
		b.WriteString(l.src[l.i : l.i+j])
		l.advance(j + 1)
		if l.peek(0) != '\'' {
			break
		}
		b.WriteByte('\'')
		l.advance(1)
	}
	t := l.emit(String, start, startPos)
	t.Value, t.National = b.String(), national
	return nil
}

// quotedIdent reads [name] or "name": the closing character inside is
// written twice.
func (l *lexer) quotedIdent(open, closing byte) error {
	start, startPos := l.i, l.pos
	l.advance(1)
	var b strings.Builder
	for {
		j := strings.IndexByte(l.src[l.i:], closing)
		if j < 0 {
			return syntaxErr(startPos, "unterminated identifier: its closing %c is missing", closing)
		}
		b.WriteString(l.src[l.i : l.i+j])
		l.advance(j + 1)
		if l.peek(0) != closing {
			break
		}
		b.WriteByte(closing)
		l.advance(1)
	}
	if b.Len() == 0 {
		return syntaxErr(startPos, "empty identifier %c%c", open, closing)
	}
	l.emit(QuotedIdent, start, startPos).Value = b.String()
	return nil
}

// variable reads @name or @@name (a system function such as @@ROWCOUNT).
func (l *lexer) variable() error {
	start, startPos := l.i, l.pos
	l.advance(1)
	if l.peek(0) == '@' {
		l.advance(1)
	}
	n := l.identLen()
	if n == 0 {
		return syntaxErr(startPos, "a variable name must follow @")
	}
	l.advance(n)
	l.emit(Var, start, startPos)
	return nil
}

// identLen is the length in bytes of the identifier characters at l.i.
func (l *lexer) identLen() int {
	n := 0
	for l.i+n < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.i+n:])
		if !identPart(r) {
			break
		}
		n += size
	}
	return n
}

// ident reads an identifier or keyword; GO alone on its line (with an
// optional count and comment) is the batch separator.
func (l *lexer) ident(atLineStart bool) {
	start, startPos := l.i, l.pos
	l.advance(l.identLen())
	if atLineStart && strings.EqualFold(l.src[start:l.i], "GO") {
		if count, n, ok := l.goRest(); ok {
			l.advance(n)
			t := l.emit(Go, start, startPos)
			t.Text, t.Count = l.src[start:start+2], count
			return
		}
	}
	l.emit(Ident, start, startPos)
}

// goRest checks that the rest of a GO line holds at most a count and a --
// comment, returning the count and the bytes it spans (up to the comment).
func (l *lexer) goRest() (count, n int, ok bool) {
	rest := l.src[l.i:]
	if end := strings.IndexByte(rest, '\n'); end >= 0 {
		rest = rest[:end]
	}
	if c := strings.Index(rest, "--"); c >= 0 {
		rest = rest[:c]
	}
	n = len(rest)
	digits := strings.TrimSpace(rest)
	if digits == "" {
		return 1, n, true
	}
	if len(rest) == len(strings.TrimLeft(rest, " \t")) {
		return 0, 0, false // "GOx" is an identifier, not GO
	}
	v, err := strconv.Atoi(digits)
	if err != nil || v < 1 || v > maxGoCount {
		return 0, 0, false
	}
	return v, n, true
}

// number reads 12, 1.5, 1., .5 and 1e-3.
func (l *lexer) number() error {
	start, startPos := l.i, l.pos
	n := 0
	for isDigit(l.peek(n)) {
		n++
	}
	if l.peek(n) == '.' {
		n++
		for isDigit(l.peek(n)) {
			n++
		}
	}
	if c := l.peek(n); c == 'e' || c == 'E' {
		m := n + 1
		if s := l.peek(m); s == '+' || s == '-' {
			m++
		}
		if !isDigit(l.peek(m)) {
			l.advance(m)
			return syntaxErr(startPos, "malformed number %q: digits must follow its exponent", l.src[start:l.i])
		}
		for isDigit(l.peek(m)) {
			m++
		}
		n = m
	}
	l.advance(n)
	l.emit(Number, start, startPos)
	return nil
}

// binary reads 0x followed by hex digits (none is an empty binary value).
func (l *lexer) binary() error {
	start, startPos := l.i, l.pos
	n := 2
	for isHex(l.peek(n)) {
		n++
	}
	l.advance(n)
	l.emit(Binary, start, startPos)
	return nil
}

func (l *lexer) punct() error {
	start, startPos := l.i, l.pos
	for _, op := range twoCharOps {
		if strings.HasPrefix(l.src[l.i:], op) {
			l.advance(2)
			l.emit(Punct, start, startPos)
			return nil
		}
	}
	if strings.IndexByte(oneCharOps, l.src[l.i]) >= 0 {
		l.advance(1)
		l.emit(Punct, start, startPos)
		return nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[l.i:])
	return syntaxErr(startPos, "unexpected character %q", r)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

// identStart: T-SQL identifiers start with a letter, _ or # (temporary
// objects); @ starts a variable and is read elsewhere.
func identStart(r rune) bool { return r == '_' || r == '#' || unicode.IsLetter(r) }

func identPart(r rune) bool {
	return identStart(r) || unicode.IsDigit(r) || r == '@' || r == '$'
}
