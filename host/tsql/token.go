package tsql

import (
	"errors"
	"fmt"
)

// ErrSyntax is wrapped by errors for text that is not valid T-SQL.
var ErrSyntax = errors.New("syntax error")

// ErrUnsupported is wrapped by errors for valid T-SQL that --tsql does not
// run: other statements, other procedures, features the host lacks.
var ErrUnsupported = errors.New("not supported")

// Pos is a place in the source: 1-based line and column (in characters).
type Pos struct {
	Line, Col int
}

// Kind is a token's kind.
type Kind int

// Token kinds.
const (
	EOF         Kind = iota
	Ident            // a plain identifier or keyword, as written
	QuotedIdent      // [name] or "name"; Value is the name
	Var              // @name or @@name, as written
	String           // '…' or N'…'; Value is the text with '' undone
	Number           // 12, 1.5, .5, 1e-3
	Binary           // 0x0A0B
	Punct            // an operator or punctuation mark
	Go               // the GO batch separator on a line of its own
)

var kindNames = [...]string{"end of input", "identifier", "quoted identifier", "variable", "string",
	"number", "binary literal", "punctuation", "GO"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Token is one lexical element. Start and End are byte offsets into the
// source, so callers can take a clause's text exactly as written.
type Token struct {
	Kind  Kind
	Text  string // as written
	Value string // String: the unescaped text; QuotedIdent: the name
	// National marks N'…' strings.
	National bool
	// Count is GO's repeat count (1 when none is written).
	Count      int
	Pos        Pos
	Start, End int
}

// Error is a parse error at a place in the source.
type Error struct {
	Pos Pos
	Msg string
	// Kind is ErrSyntax or ErrUnsupported.
	Kind error
}

func (e *Error) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

func (e *Error) Unwrap() error { return e.Kind }

func syntaxErr(p Pos, format string, a ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, a...), Kind: ErrSyntax}
}

func unsupported(p Pos, format string, a ...any) *Error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, a...), Kind: ErrUnsupported}
}
