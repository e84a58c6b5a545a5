package tsql

import (
	"strings"
)

// expr reads a constant expression: a literal, a variable, NULL, a sign
// before a number, parentheses, + between strings (concatenation, as
// scripts longer than one literal are built), and a scalar subquery, which
// the host runs. Anything else — arithmetic, functions — is refused:
// --tsql evaluates no SQL.
func (p *parser) expr() (Literal, error) {
	v, err := p.term()
	if err != nil {
		return Literal{}, err
	}
	for isPunct(p.peek(), "+") {
		op := p.next()
		w, err := p.term()
		if err != nil {
			return Literal{}, err
		}
		if v, err = concat(op.Pos, v, w); err != nil {
			return Literal{}, err
		}
	}
	if t := p.peek(); t.Kind == Punct && strings.Contains("-*/%&|^", t.Text) {
		return Literal{}, unsupported(t.Pos, "the %s operator is not supported: give a literal or a variable", t.Text)
	}
	return v, nil
}

// concat joins two strings; NULL + anything is NULL, as in SQL Server.
func concat(at Pos, a, b Literal) (Literal, error) {
	for _, v := range []Literal{a, b} {
		if v.Kind == QueryLit {
			return Literal{}, unsupported(v.Query.Pos, "the value of a query cannot be used in an expression: --tsql does not run it until the job starts (assign it alone to a variable bound to a param)")
		}
	}
	if a.Kind == Null || b.Kind == Null {
		return Literal{}, nil
	}
	if a.Kind != StringLit || b.Kind != StringLit {
		return Literal{}, unsupported(at, "arithmetic with + is not supported: give a literal (+ joins strings only)")
	}
	return Literal{Kind: StringLit, Text: a.Text + b.Text, National: a.National || b.National}, nil
}

// term reads one operand of expr.
func (p *parser) term() (Literal, error) {
	t := p.next()
	switch t.Kind {
	case String:
		return Literal{Kind: StringLit, Text: t.Value, National: t.National}, nil
	case Number:
		return Literal{Kind: NumberLit, Text: t.Text}, nil
	case Binary:
		return Literal{Kind: BinaryLit, Text: t.Text}, nil
	case Var:
		if strings.HasPrefix(t.Text, "@@") {
			return Literal{}, unsupported(t.Pos, "the system function %s is not supported: give a literal", t.Text)
		}
		v, err := p.variable(t)
		if err != nil {
			return Literal{}, err
		}
		return v.Value, nil
	case Ident:
		if isKw(t, "NULL") {
			return Literal{}, nil
		}
		if isPunct(p.peek(), "(") {
			return Literal{}, unsupported(t.Pos, "the function %s(…) is not supported: give a literal", strings.ToUpper(t.Text))
		}
	case Punct:
		return p.nested(t)
	}
	return Literal{}, syntaxErr(t.Pos, "want a literal or a variable, got %s %q", t.Kind, t.Text)
}

// nested reads a signed operand or a parenthesised expression, bounded in
// depth.
func (p *parser) nested(t Token) (Literal, error) {
	if p.depth >= maxDepth {
		return Literal{}, syntaxErr(t.Pos, "expression nested more than %d deep", maxDepth)
	}
	p.depth++
	defer func() { p.depth-- }()
	switch t.Text {
	case "(":
		if isKw(p.peek(), "SELECT") {
			return p.subquery(t)
		}
		v, err := p.expr()
		if err != nil {
			return Literal{}, err
		}
		if c := p.next(); !isPunct(c, ")") {
			return Literal{}, syntaxErr(c.Pos, "want ) to close the ( of line %d, column %d, got %s %q",
				t.Pos.Line, t.Pos.Col, c.Kind, c.Text)
		}
		return v, nil
	case "-", "+":
		v, err := p.term()
		if err != nil {
			return Literal{}, err
		}
		if v.Kind != NumberLit {
			return Literal{}, unsupported(t.Pos, "a sign before a non-number is not supported")
		}
		if t.Text == "-" {
			v.Text = negate(v.Text)
		}
		return v, nil
	}
	return Literal{}, syntaxErr(t.Pos, "want a literal or a variable, got %q", t.Text)
}

// negate flips a number's written sign.
func negate(num string) string {
	if rest, ok := strings.CutPrefix(num, "-"); ok {
		return rest
	}
	return "-" + num
}

// selectStmt reads SELECT @v = expr, … (assignments, before the call) or
// SELECT @v [AS alias], … (the OUTPUT variables to print, after it).
func (p *parser) selectStmt() error {
	kw := p.next()
	assigning := p.peek().Kind == Var && (isPunct(p.peekN(1), "=") || isPunct(p.peekN(1), "+="))
	for {
		var err error
		if assigning {
			err = p.selectAssign()
		} else {
			err = p.selectItem(kw)
		}
		if err != nil {
			return err
		}
		if !isPunct(p.peek(), ",") {
			break
		}
		p.next()
	}
	if t := p.peek(); t.Kind == Ident && selectClauses[strings.ToUpper(t.Text)] {
		return unsupported(t.Pos, "SELECT … %s is not supported: %s (only SELECT @variable follows it)", strings.ToUpper(t.Text), refusal)
	}
	return nil
}

func (p *parser) selectAssign() error {
	v := p.next()
	if v.Kind != Var || !(isPunct(p.peek(), "=") || isPunct(p.peek(), "+=")) {
		return syntaxErr(v.Pos, "a SELECT that assigns variables cannot also return values")
	}
	return p.assign(v)
}

// selectItem reads @v, @v alias, @v AS alias or alias = @v.
func (p *parser) selectItem(kw Token) error {
	var item SelectItem
	t := p.peek()
	if (t.Kind == Ident || t.Kind == QuotedIdent) && isPunct(p.peekN(1), "=") && !reserved[strings.ToUpper(t.Text)] {
		item.Alias = identName(t)
		p.next()
		p.next()
	}
	v := p.next()
	if v.Kind != Var || strings.HasPrefix(v.Text, "@@") || isPunct(p.peek(), "=") {
		return unsupported(v.Pos, "SELECT of %q is not supported: %s (only SELECT @variable of OUTPUT variables follows it)", v.Text, refusal)
	}
	if !p.callHere {
		return unsupported(kw.Pos, "SELECT %s before the sp_execute_external_script call is not supported: select OUTPUT variables after it", v.Text)
	}
	decl, err := p.variable(v)
	if err != nil {
		return err
	}
	if !p.boundOutput(decl.Name) {
		return unsupported(v.Pos, "SELECT %s: only variables bound to OUTPUT params of the call can be selected", v.Text)
	}
	item.Pos, item.Variable = v.Pos, decl.Name
	if item.Alias == "" {
		if item.Alias, err = p.alias(); err != nil {
			return err
		}
	}
	p.out.Select = append(p.out.Select, item)
	return nil
}

// alias reads an optional [AS] alias after a selected variable.
func (p *parser) alias() (string, error) {
	if isKw(p.peek(), "AS") {
		p.next()
		t := p.next()
		switch t.Kind {
		case String:
			return t.Value, nil
		case Ident, QuotedIdent:
			return identName(t), nil
		}
		return "", syntaxErr(t.Pos, "want a column alias after AS, got %s %q", t.Kind, t.Text)
	}
	t := p.peek()
	switch {
	case t.Kind == QuotedIdent || t.Kind == String:
		p.next()
		return t.Value, nil
	case t.Kind == Ident && !reserved[strings.ToUpper(t.Text)] && !selectClauses[strings.ToUpper(t.Text)]:
		p.next()
		return t.Text, nil
	}
	return "", nil
}

// boundOutput says whether a variable receives an OUTPUT param of the call.
func (p *parser) boundOutput(name string) bool {
	for _, b := range p.out.Call.Bindings {
		if b.Output && strings.EqualFold(b.Variable, name) {
			return true
		}
	}
	return false
}

// subquery reads a scalar subquery, (SELECT …), after its opening
// parenthesis: the text up to the matching one, and the batch's variables
// it names with their values at this point, which the host binds as
// params when it runs the query. The host runs it; --tsql only carries it.
func (p *parser) subquery(open Token) (Literal, error) {
	q := &Subquery{Pos: p.peek().Pos}
	seen := map[string]bool{}
	depth := 1
	for {
		t := p.next()
		switch {
		case t.Kind == EOF || t.Kind == Go:
			return Literal{}, syntaxErr(open.Pos, "this ( is never closed")
		case isPunct(t, ";"):
			return Literal{}, syntaxErr(t.Pos, "a subquery is one SELECT: ; cannot stand inside its parentheses")
		case isPunct(t, "("):
			depth++
		case isPunct(t, ")"):
			if depth--; depth == 0 {
				q.Text = strings.TrimSpace(p.src[open.End:t.Start])
				p.queries = append(p.queries, q)
				return Literal{Kind: QueryLit, Query: q}, nil
			}
		case t.Kind == Var:
			if err := p.queryVar(q, t, seen); err != nil {
				return Literal{}, err
			}
		}
	}
}

// queryVar records a variable a subquery names, once.
func (p *parser) queryVar(q *Subquery, t Token, seen map[string]bool) error {
	if strings.HasPrefix(t.Text, "@@") {
		return unsupported(t.Pos, "the system function %s in a subquery is not supported: the host runs the query on its own database", t.Text)
	}
	v, err := p.variable(t)
	if err != nil {
		return err
	}
	if v.Value.Kind == QueryLit {
		return unsupported(t.Pos, "%s holds the value of a query, which another query cannot use: --tsql does not run it until the job starts", t.Text)
	}
	key := strings.ToLower(v.Name)
	if !seen[key] {
		seen[key] = true
		q.Vars = append(q.Vars, *v)
	}
	return nil
}
