package tsql

import (
	"fmt"
	"strings"
)

// maxDepth bounds the nesting of parentheses and signs in an expression,
// so the recursive descent stays shallow on any input.
const maxDepth = 64

// refusal is the reason given for every statement --tsql does not run.
const refusal = "--tsql runs one sp_execute_external_script call"

// parser is a recursive-descent parser over the lexer's tokens. Variables
// live per batch (GO ends a batch), as in SQL Server.
type parser struct {
	src   string
	toks  []Token
	i     int
	depth int

	out       *Script
	vars      []Variable     // the current batch's variables
	index     map[string]int // lower-case name → index in vars
	firstStmt bool           // the next statement is the batch's first
	callHere  bool           // the current batch holds the call
	queries   []*Subquery    // every subquery read, in order
}

// Parse reads a batch file: one sp_execute_external_script call with the
// DECLARE, SET and SELECT statements around it. Any other statement is an
// error wrapping ErrUnsupported that names it; malformed text is an error
// wrapping ErrSyntax. Errors are *Error values with a line and column.
func Parse(src string) (*Script, error) {
	toks, err := Lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks, out: &Script{}}
	p.startBatch()
	if err := p.script(); err != nil {
		return nil, err
	}
	if p.out.Call == nil {
		return nil, syntaxErr(toks[len(toks)-1].Pos, "the batch has no sp_execute_external_script call")
	}
	if err := p.queriesBound(); err != nil {
		return nil, err
	}
	return p.out, nil
}

// queriesBound refuses a subquery whose value reaches no param binding of
// the call: SQL Server would run it, --tsql runs a query only to give a
// param its value, and a query it did not run must not pass unseen.
func (p *parser) queriesBound() error {
	for _, q := range p.queries {
		bound := false
		for _, b := range p.out.Call.Bindings {
			bound = bound || b.Value.Query == q
		}
		if !bound {
			return unsupported(q.Pos, "this query's value reaches no param of the call: --tsql runs a query only to give a param declared in @params its value")
		}
	}
	return nil
}

func (p *parser) startBatch() {
	p.vars, p.index = nil, map[string]int{}
	p.firstStmt, p.callHere = true, false
}

func (p *parser) endBatch() {
	if p.callHere {
		p.out.Variables = p.vars
	}
	p.startBatch()
}

func (p *parser) script() error {
	for {
		t := p.peek()
		switch t.Kind {
		case EOF:
			p.endBatch()
			return nil
		case Go:
			if t.Count != 1 {
				return unsupported(t.Pos, "GO %d (running a batch %d times) is not supported: %s", t.Count, t.Count, refusal)
			}
			p.next()
			p.endBatch()
			continue
		}
		before := p.i
		if err := p.statement(); err != nil {
			return err
		}
		if p.i == before {
			// Every statement consumes a token; this guards termination.
			return syntaxErr(t.Pos, "unexpected %s %q", t.Kind, t.Text)
		}
		p.firstStmt = false
	}
}

// statement reads one statement; a ';' alone is an empty statement.
func (p *parser) statement() error {
	t := p.peek()
	switch {
	case isPunct(t, ";"):
		p.next()
		return nil
	case isKw(t, "DECLARE"):
		return p.declare()
	case isKw(t, "SET"):
		return p.set()
	case isKw(t, "SELECT"):
		return p.selectStmt()
	case isKw(t, "EXEC", "EXECUTE"):
		p.next()
		return p.exec(t.Pos, nil)
	case isKw(t, "INSERT"):
		return p.insert()
	case isKw(t, "GO"):
		return syntaxErr(t.Pos, "GO must stand alone on its line (with at most a count and a -- comment)")
	case t.Kind == Ident && !reserved[strings.ToUpper(t.Text)] && p.firstStmt:
		// A batch's first statement may call a procedure without EXEC.
		return p.exec(t.Pos, nil)
	case t.Kind == Ident && reserved[strings.ToUpper(t.Text)]:
		return unsupported(t.Pos, "%s is not supported: %s", p.statementName(), refusal)
	}
	return syntaxErr(t.Pos, "unexpected %s %q where a statement should start", t.Kind, t.Text)
}

// statementName names a refused statement by its leading keywords:
// "CREATE TABLE", "CREATE OR ALTER PROCEDURE", "PRINT".
func (p *parser) statementName() string {
	words := []string{strings.ToUpper(p.peek().Text)}
	if !ddl[words[0]] {
		return words[0]
	}
	for n := 1; n < 4; n++ {
		t := p.peekN(n)
		w := strings.ToUpper(t.Text)
		if t.Kind != Ident || !objectWords[w] {
			break
		}
		words = append(words, w)
	}
	return strings.Join(words, " ")
}

// declare reads DECLARE @a type [= expr] [, …].
func (p *parser) declare() error {
	kw := p.next()
	if p.callHere {
		return unsupported(kw.Pos, "DECLARE after the sp_execute_external_script call is not supported: only a SELECT of OUTPUT variables may follow it")
	}
	for {
		if err := p.declareOne(); err != nil {
			return err
		}
		if !isPunct(p.peek(), ",") {
			return nil
		}
		p.next()
	}
}

func (p *parser) declareOne() error {
	v := p.next()
	if v.Kind != Var {
		if v.Kind == Ident && isKw(p.peek(), "CURSOR", "INSENSITIVE", "SCROLL") {
			return unsupported(v.Pos, "DECLARE CURSOR is not supported: %s", refusal)
		}
		return syntaxErr(v.Pos, "DECLARE wants a @variable, got %s %q", v.Kind, v.Text)
	}
	name := strings.TrimPrefix(v.Text, "@")
	if strings.HasPrefix(name, "@") {
		return syntaxErr(v.Pos, "%s is a system function, not a variable name", v.Text)
	}
	if _, dup := p.index[strings.ToLower(name)]; dup {
		return syntaxErr(v.Pos, "the variable name %s has already been declared in this batch", v.Text)
	}
	if isKw(p.peek(), "AS") {
		p.next()
	}
	if isKw(p.peek(), "TABLE") {
		return unsupported(v.Pos, "DECLARE %s TABLE (a table variable) is not supported: %s", v.Text, refusal)
	}
	typ, err := p.typeName()
	if err != nil {
		return err
	}
	decl := Variable{Pos: v.Pos, Name: name, Type: typ}
	if isPunct(p.peek(), "=") {
		p.next()
		if decl.Value, err = p.expr(); err != nil {
			return err
		}
	}
	p.index[strings.ToLower(name)] = len(p.vars)
	p.vars = append(p.vars, decl)
	return nil
}

// typeName reads a type: int, nvarchar(max), decimal(10, 2), sys.sysname,
// double precision, national character varying(20).
func (p *parser) typeName() (string, error) {
	var words []string
	t := p.next()
	if t.Kind != Ident && t.Kind != QuotedIdent {
		return "", syntaxErr(t.Pos, "a type name must follow the variable, got %s %q", t.Kind, t.Text)
	}
	words = append(words, strings.ToLower(identName(t)))
	for isPunct(p.peek(), ".") && (p.peekN(1).Kind == Ident || p.peekN(1).Kind == QuotedIdent) {
		p.next()
		words[len(words)-1] += "." + strings.ToLower(identName(p.next()))
	}
	for len(words) < 3 && multiWordType(words, p.peek()) {
		words = append(words, strings.ToLower(p.next().Text))
	}
	typ := strings.Join(words, " ")
	if !isPunct(p.peek(), "(") {
		return typ, nil
	}
	open := p.next()
	var args []string
	for {
		a := p.next()
		if a.Kind != Number && !isKw(a, "MAX") {
			return "", syntaxErr(a.Pos, "a type's length must be a number or MAX, got %s %q", a.Kind, a.Text)
		}
		args = append(args, strings.ToLower(a.Text))
		if len(args) > 2 {
			return "", syntaxErr(open.Pos, "a type takes at most two numbers")
		}
		c := p.next()
		if isPunct(c, ")") {
			return typ + "(" + strings.Join(args, ", ") + ")", nil
		}
		if !isPunct(c, ",") {
			return "", syntaxErr(c.Pos, "want , or ) in the type's length, got %s %q", c.Kind, c.Text)
		}
	}
}

// multiWordType says whether t continues a type of several words.
func multiWordType(words []string, t Token) bool {
	if t.Kind != Ident {
		return false
	}
	next := strings.ToUpper(t.Text)
	switch strings.ToUpper(words[len(words)-1]) {
	case "DOUBLE":
		return next == "PRECISION"
	case "NATIONAL":
		return next == "CHAR" || next == "CHARACTER" || next == "TEXT"
	case "CHAR", "CHARACTER":
		return next == "VARYING"
	}
	return false
}

// set reads SET @v = expr (or +=); any other SET is refused by name.
func (p *parser) set() error {
	kw := p.next()
	v := p.peek()
	if v.Kind != Var {
		return unsupported(kw.Pos, "SET %s is not supported: %s", strings.ToUpper(v.Text), refusal)
	}
	p.next()
	return p.assign(v)
}

// assign reads "= expr" or "+= expr" after a variable and stores the value.
func (p *parser) assign(v Token) error {
	if p.callHere {
		return unsupported(v.Pos, "assigning %s after the sp_execute_external_script call is not supported: only a SELECT of OUTPUT variables may follow it", v.Text)
	}
	slot, err := p.variable(v)
	if err != nil {
		return err
	}
	op := p.next()
	if !isPunct(op, "=") && !isPunct(op, "+=") {
		if op.Kind == Punct {
			return unsupported(op.Pos, "the %s operator is not supported: assign with = a literal or a variable", op.Text)
		}
		return syntaxErr(op.Pos, "want = after %s, got %s %q", v.Text, op.Kind, op.Text)
	}
	val, err := p.expr()
	if err != nil {
		return err
	}
	if isPunct(op, "+=") {
		if val, err = concat(op.Pos, slot.Value, val); err != nil {
			return err
		}
	}
	slot.Value = val
	return nil
}

// variable finds a declared variable of the current batch.
func (p *parser) variable(t Token) (*Variable, error) {
	i, ok := p.index[strings.ToLower(strings.TrimPrefix(t.Text, "@"))]
	if !ok {
		return nil, syntaxErr(t.Pos, "must declare the scalar variable %s", t.Text)
	}
	return &p.vars[i], nil
}

// insert reads INSERT [INTO] table [(cols)] EXEC …; INSERT of anything but
// an EXEC is refused.
func (p *parser) insert() error {
	kw := p.next()
	if isKw(p.peek(), "INTO") {
		p.next()
	}
	target := &Target{Pos: p.peek().Pos}
	name, _, err := p.objectName()
	if err != nil {
		return err
	}
	target.Table = name
	if isPunct(p.peek(), "(") {
		if target.Columns, err = p.columnList(); err != nil {
			return err
		}
	}
	t := p.peek()
	if !isKw(t, "EXEC", "EXECUTE") {
		what := strings.ToUpper(t.Text)
		if t.Kind != Ident {
			what = fmt.Sprintf("%q", t.Text)
		}
		return unsupported(kw.Pos, "INSERT … %s is not supported: %s (INSERT INTO table EXEC sp_execute_external_script is)", what, refusal)
	}
	p.next()
	return p.exec(t.Pos, target)
}

// columnList reads (a, [b c], "d").
func (p *parser) columnList() ([]string, error) {
	p.next()
	var cols []string
	for {
		c := p.next()
		if c.Kind != Ident && c.Kind != QuotedIdent {
			return nil, syntaxErr(c.Pos, "want a column name, got %s %q", c.Kind, c.Text)
		}
		cols = append(cols, identName(c))
		sep := p.next()
		if isPunct(sep, ")") {
			return cols, nil
		}
		if !isPunct(sep, ",") {
			return nil, syntaxErr(sep.Pos, "want , or ) in the column list, got %s %q", sep.Kind, sep.Text)
		}
	}
}

// objectName reads a name of up to four dot-separated parts, where middle
// parts may be empty (master..sp_x). It returns the name as written and its
// parts, unquoted.
func (p *parser) objectName() (string, []string, error) {
	first := p.peek()
	var parts []string
	for {
		t := p.peek()
		switch {
		case t.Kind == Ident || t.Kind == QuotedIdent:
			p.next()
			parts = append(parts, identName(t))
		case isPunct(t, ".") && len(parts) > 0:
			parts = append(parts, "")
		default:
			return "", nil, syntaxErr(t.Pos, "want a name, got %s %q", t.Kind, t.Text)
		}
		if !isPunct(p.peek(), ".") {
			break
		}
		if len(parts) == 4 {
			return "", nil, syntaxErr(p.peek().Pos, "a name has at most four parts")
		}
		p.next()
	}
	return p.src[first.Start:p.toks[p.i-1].End], parts, nil
}

func (p *parser) peek() Token { return p.toks[p.i] }

// peekN looks n tokens ahead; past the end it is EOF.
func (p *parser) peekN(n int) Token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

// next consumes a token; EOF is never consumed.
func (p *parser) next() Token {
	t := p.toks[p.i]
	if t.Kind != EOF {
		p.i++
	}
	return t
}

func isKw(t Token, words ...string) bool {
	if t.Kind != Ident {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(t.Text, w) {
			return true
		}
	}
	return false
}

func isPunct(t Token, s string) bool { return t.Kind == Punct && t.Text == s }

// identName is an identifier's name: unquoted for [x] and "x".
func identName(t Token) string {
	if t.Kind == QuotedIdent {
		return t.Value
	}
	return t.Text
}
