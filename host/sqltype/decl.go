package sqltype

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// Declarations are read by a small lexer and parser rather than split on
// spaces: T-SQL names may be [bracketed] or "quoted" and hold spaces or
// commas, types may be several words (double precision), and modifiers
// (NULL, NOT NULL, COLLATE x, OUTPUT) follow in any order.

type tokKind int

const (
	tokWord   tokKind = iota + 1 // keyword, type or plain name
	tokVar                       // @name
	tokQuoted                    // [name] or "name", unescaped
	tokNumber
	tokPunct // ( ) ,
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset, for errors
}

// maxDeclBytes bounds a declaration list: callers send it.
const maxDeclBytes = 1 << 20

func lex(s string) ([]token, error) {
	if len(s) > maxDeclBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBadDeclaration, len(s), maxDeclBytes)
	}
	var out []token
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			i += w
		case r == '(' || r == ')' || r == ',':
			out = append(out, token{tokPunct, string(r), i})
			i++
		case r == '[' || r == '"':
			t, n, err := lexQuoted(s, i)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
			i = n
		case r == '@' || isWordStart(r):
			n := i + w
			for n < len(s) {
				r2, w2 := utf8.DecodeRuneInString(s[n:])
				if !isWordPart(r2) {
					break
				}
				n += w2
			}
			kind := tokWord
			if r == '@' {
				kind = tokVar
			}
			out = append(out, token{kind, s[i:n], i})
			i = n
		case r >= '0' && r <= '9':
			n := i
			for n < len(s) && s[n] >= '0' && s[n] <= '9' {
				n++
			}
			out = append(out, token{tokNumber, s[i:n], i})
			i = n
		default:
			return nil, fmt.Errorf("%w: unexpected %q at byte %d", ErrBadDeclaration, r, i)
		}
	}
	return out, nil
}

func isWordStart(r rune) bool { return r == '_' || r == '#' || unicode.IsLetter(r) }

func isWordPart(r rune) bool {
	return r == '_' || r == '#' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// lexQuoted reads [name] (]] is a literal ]) or "name" ("" is a literal ").
func lexQuoted(s string, i int) (token, int, error) {
	closeQ := byte(']')
	if s[i] == '"' {
		closeQ = '"'
	}
	var b strings.Builder
	for n := i + 1; n < len(s); n++ {
		if s[n] != closeQ {
			b.WriteByte(s[n])
			continue
		}
		if n+1 < len(s) && s[n+1] == closeQ {
			b.WriteByte(closeQ)
			n++
			continue
		}
		if b.Len() == 0 {
			return token{}, 0, fmt.Errorf("%w: empty name at byte %d", ErrBadDeclaration, i)
		}
		return token{tokQuoted, b.String(), i}, n + 1, nil
	}
	return token{}, 0, fmt.Errorf("%w: name quoted at byte %d is not closed", ErrBadDeclaration, i)
}

// declParser walks the tokens of one declaration list.
type declParser struct {
	toks   []token
	i      int
	params bool
}

func (p *declParser) peek() (token, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return token{}, false
}

// keyword reports and consumes the next token when it is the word kw.
func (p *declParser) keyword(kw string) bool {
	t, ok := p.peek()
	if ok && t.kind == tokWord && strings.EqualFold(t.text, kw) {
		p.i++
		return true
	}
	return false
}

func (p *declParser) punct(c string) bool {
	t, ok := p.peek()
	if ok && t.kind == tokPunct && t.text == c {
		p.i++
		return true
	}
	return false
}

func parseList(s string, params bool) ([]Decl, error) {
	toks, err := lex(s)
	if err != nil || len(toks) == 0 {
		return nil, err
	}
	p := &declParser{toks: toks, params: params}
	var out []Decl
	seen := map[string]bool{}
	for {
		d, err := p.item()
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(d.Name)
		if seen[key] {
			return nil, fmt.Errorf("%w: %q declared twice", ErrBadDeclaration, d.Name)
		}
		seen[key] = true
		out = append(out, d)
		if !p.punct(",") {
			break
		}
	}
	if t, ok := p.peek(); ok {
		return nil, fmt.Errorf("%w: unexpected %q at byte %d", ErrBadDeclaration, t.text, t.pos)
	}
	return out, nil
}

func (p *declParser) item() (Decl, error) {
	name, err := p.name()
	if err != nil {
		return Decl{}, err
	}
	d, err := p.typ(name)
	if err != nil {
		return Decl{}, fmt.Errorf("%w: %q: %v", ErrBadDeclaration, name, err)
	}
	if err := p.modifiers(&d); err != nil {
		return Decl{}, fmt.Errorf("%w: %q: %v", ErrBadDeclaration, name, err)
	}
	return d, nil
}

func (p *declParser) name() (string, error) {
	t, ok := p.peek()
	if !ok {
		return "", fmt.Errorf("%w: want a name at the end", ErrBadDeclaration)
	}
	p.i++
	if p.params {
		name := strings.TrimPrefix(t.text, "@")
		if t.kind != tokVar || !ValidIdentifier(name) {
			return "", fmt.Errorf("%w: param %q must start with @ and be a name of letters, digits and _", ErrBadDeclaration, t.text)
		}
		return name, nil
	}
	switch {
	case t.kind == tokQuoted:
		return t.text, nil
	case t.kind == tokWord && ValidIdentifier(t.text):
		return t.text, nil
	}
	return "", fmt.Errorf("%w: %q at byte %d is not a column name ([quote] names with other characters)",
		ErrBadDeclaration, t.text, t.pos)
}

// typeSynonyms are the several-word spellings T-SQL accepts, by their
// canonical one-word type.
var typeSynonyms = map[string]string{
	"double precision":           "float",
	"character":                  "char",
	"character varying":          "varchar",
	"char varying":               "varchar",
	"national character":         "nchar",
	"national char":              "nchar",
	"national character varying": "nvarchar",
	"national char varying":      "nvarchar",
	"national text":              "ntext",
	"binary varying":             "varbinary",
}

// typ reads a type: words (a synonym may take several), then (max|n[, m]).
func (p *declParser) typ(name string) (Decl, error) {
	t, ok := p.peek()
	if !ok || t.kind != tokWord {
		return Decl{}, fmt.Errorf("want a type after the name")
	}
	p.i++
	base := strings.ToLower(t.text)
	for {
		nt, ok := p.peek()
		if !ok || nt.kind != tokWord {
			break
		}
		longer := base + " " + strings.ToLower(nt.text)
		if !hasSynonymPrefix(longer) {
			break
		}
		base = longer
		p.i++
	}
	if canon, ok := typeSynonyms[base]; ok {
		base = canon
	}
	d := Decl{Name: name, SQLType: base}
	var args []string
	if p.punct("(") {
		var err error
		if args, err = p.typeArgs(); err != nil {
			return Decl{}, err
		}
		d.SQLType += "(" + strings.Join(args, ",") + ")"
	}
	return d, p.resolve(&d, base, args)
}

func hasSynonymPrefix(s string) bool {
	for k := range typeSynonyms {
		if k == s || strings.HasPrefix(k, s+" ") {
			return true
		}
	}
	return false
}

func (p *declParser) typeArgs() ([]string, error) {
	var args []string
	for {
		t, ok := p.peek()
		if !ok || (t.kind != tokNumber && !(t.kind == tokWord && strings.EqualFold(t.text, "max"))) {
			return nil, fmt.Errorf("want a number or max in the type's parentheses")
		}
		p.i++
		args = append(args, strings.ToLower(t.text))
		if p.punct(")") {
			break
		}
		if !p.punct(",") || len(args) == 2 {
			return nil, fmt.Errorf("want ) after the type's arguments")
		}
	}
	if args[0] != "max" {
		return args, nil
	}
	if len(args) > 1 {
		return nil, fmt.Errorf("(max) takes no second argument")
	}
	return args, nil
}

// resolve maps the type to its BXL field and length.
func (p *declParser) resolve(d *Decl, base string, args []string) error {
	var a1, a2 int
	if len(args) > 0 && args[0] == "max" {
		d.Length = -1
	} else if len(args) > 0 {
		a1, _ = strconv.Atoi(args[0])
		d.Length = a1
	}
	if len(args) > 1 {
		a2, _ = strconv.Atoi(args[1])
	}
	f, err := fieldFor(base, len(args) > 0, len(args) > 1, a1, a2)
	if err != nil {
		return err
	}
	if f.Type != bxl.TypeString && f.Type != bxl.TypeBinary {
		d.Length = 0
	}
	f.Name, f.Nullable = d.Name, true
	d.Field = f
	return nil
}

// modifiers reads NULL, NOT NULL, COLLATE name (result columns) and OUTPUT,
// OUT, READONLY (params), each at most once.
func (p *declParser) modifiers(d *Decl) error {
	seen := map[string]bool{}
	for {
		t, ok := p.peek()
		if !ok || t.kind != tokWord {
			return nil
		}
		var mod string
		switch {
		case !p.params && p.keyword("NULL"):
			mod = "NULL"
		case !p.params && p.keyword("NOT"):
			if !p.keyword("NULL") {
				return fmt.Errorf("want NULL after NOT")
			}
			mod, d.Field.Nullable = "NULL", false
		case !p.params && p.keyword("COLLATE"):
			if c, ok := p.peek(); !ok || c.kind != tokWord {
				return fmt.Errorf("want a collation name after COLLATE")
			}
			p.i++
			mod = "COLLATE"
		case p.params && (p.keyword("OUTPUT") || p.keyword("OUT")):
			mod, d.Field.Output = "OUTPUT", true
		default:
			return fmt.Errorf("unexpected %q at byte %d", t.text, t.pos)
		}
		if seen[mod] {
			return fmt.Errorf("%s given twice", mod)
		}
		seen[mod] = true
	}
}
