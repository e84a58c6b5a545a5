package tsql

import (
	"strings"
)

// procName is the one procedure --tsql calls.
const procName = "sp_execute_external_script"

// positional are the names of the first arguments when written without a
// name. SQL Server's versions agree on these four and differ after them
// (2019 put the partition arguments before @output_data_1_name), so later
// positional arguments are refused rather than guessed.
var positional = []string{"language", "script", "input_data_1", "input_data_1_name"}

// rawArg is an argument as written, before it is given its meaning.
type rawArg struct {
	Arg
	named   bool
	deflt   bool // DEFAULT: as if the argument were not given
	literal bool // the value was written as a literal, not a variable
}

// exec reads the procedure call after EXEC (or at a batch's start), with
// into set for INSERT … EXEC.
func (p *parser) exec(at Pos, into *Target) error {
	t := p.peek()
	switch {
	case isPunct(t, "("):
		return unsupported(at, "EXEC (…) of dynamic SQL is not supported: %s", refusal)
	case t.Kind == Var && isPunct(p.peekN(1), "="):
		return unsupported(at, "EXEC %s = … (keeping a return status) is not supported: %s", t.Text, refusal)
	case t.Kind == Var:
		return unsupported(at, "EXEC of a procedure named by %s is not supported: %s", t.Text, refusal)
	}
	name, parts, err := p.objectName()
	if err != nil {
		return err
	}
	if err := checkProcName(at, name, parts); err != nil {
		return err
	}
	if p.out.Call != nil {
		return unsupported(at, "a second sp_execute_external_script call is not supported (the first is at line %d): %s",
			p.out.Call.Pos.Line, refusal)
	}
	call := &Call{Pos: at, Procedure: name, Into: into}
	args, err := p.args()
	if err != nil {
		return err
	}
	if err := bindArgs(at, call, args); err != nil {
		return err
	}
	if err := p.options(call); err != nil {
		return err
	}
	p.out.Call, p.callHere = call, true
	return nil
}

// checkProcName accepts sp_execute_external_script with an optional
// master database and sys or dbo schema, and names any other procedure.
func checkProcName(at Pos, name string, parts []string) error {
	if !strings.EqualFold(parts[len(parts)-1], procName) {
		return unsupported(at, "EXEC %s is not supported: %s", name, refusal)
	}
	if len(parts) == 4 {
		return unsupported(at, "EXEC %s on a linked server is not supported: %s", name, refusal)
	}
	if len(parts) >= 2 {
		if s := parts[len(parts)-2]; s != "" && !strings.EqualFold(s, "sys") && !strings.EqualFold(s, "dbo") {
			return unsupported(at, "EXEC %s: the procedure is in schema sys, not %s", name, s)
		}
	}
	if len(parts) == 3 && !strings.EqualFold(parts[0], "master") {
		return unsupported(at, "EXEC %s in database %s is not supported: the host runs the call on its own instance database", name, parts[0])
	}
	return nil
}

// args reads the call's argument list, which may be empty.
func (p *parser) args() ([]rawArg, error) {
	if !argStarts(p.peek()) {
		return nil, nil
	}
	var out []rawArg
	for {
		a, err := p.arg()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
		if !isPunct(p.peek(), ",") {
			return out, nil
		}
		p.next()
	}
}

// argStarts says whether t can begin an argument.
func argStarts(t Token) bool {
	switch t.Kind {
	case Var, String, Number, Binary:
		return true
	case Punct:
		return t.Text == "-" || t.Text == "+"
	case Ident:
		return isKw(t, "NULL", "DEFAULT") || !reserved[strings.ToUpper(t.Text)]
	}
	return false
}

// arg reads [@name =] value [OUTPUT].
func (p *parser) arg() (rawArg, error) {
	var a rawArg
	a.Pos = p.peek().Pos
	if t := p.peek(); t.Kind == Var && isPunct(p.peekN(1), "=") {
		a.Name, a.named = strings.TrimPrefix(t.Text, "@"), true
		p.next()
		p.next()
	}
	if err := p.argValue(&a); err != nil {
		return a, err
	}
	if isKw(p.peek(), "OUTPUT", "OUT") {
		o := p.next()
		if a.Variable == "" {
			return a, syntaxErr(o.Pos, "cannot use the OUTPUT option when passing a constant: give a variable")
		}
		a.Output = true
	}
	return a, nil
}

// argValue reads an argument's value: a literal, a signed number, NULL,
// DEFAULT, a variable, or a bare word (which T-SQL takes as a string).
func (p *parser) argValue(a *rawArg) error {
	v := p.next()
	a.literal = true
	switch v.Kind {
	case String:
		a.Value = Literal{Kind: StringLit, Text: v.Value, National: v.National}
		return nil
	case Number:
		a.Value = Literal{Kind: NumberLit, Text: v.Text}
		return nil
	case Binary:
		a.Value = Literal{Kind: BinaryLit, Text: v.Text}
		return nil
	case Var:
		if strings.HasPrefix(v.Text, "@@") {
			return unsupported(v.Pos, "the system function %s as an argument is not supported: give a literal or a variable", v.Text)
		}
		decl, err := p.variable(v)
		if err != nil {
			return err
		}
		a.Variable, a.Value, a.literal = decl.Name, decl.Value, false
		return nil
	case Punct:
		if v.Text == "(" && isKw(p.peek(), "SELECT") {
			return unsupported(v.Pos, "a subquery cannot be a procedure's argument (T-SQL does not allow it): DECLARE a variable = (SELECT …) and pass the variable")
		}
		n := p.next()
		if (v.Text == "-" || v.Text == "+") && n.Kind == Number {
			a.Value = Literal{Kind: NumberLit, Text: n.Text}
			if v.Text == "-" {
				a.Value.Text = negate(n.Text)
			}
			return nil
		}
	case Ident:
		switch {
		case isKw(v, "NULL"):
			return nil
		case isKw(v, "DEFAULT"):
			a.deflt = true
			return nil
		case !reserved[strings.ToUpper(v.Text)] && !isPunct(p.peek(), "("):
			a.Value = Literal{Kind: StringLit, Text: v.Text}
			return nil
		}
	}
	return syntaxErr(v.Pos, "want an argument value (a literal or a variable), got %s %q", v.Kind, v.Text)
}

// bindArgs gives each argument its meaning: the procedure's own parameters
// fill the Call's fields, the others bind params declared in @params.
func bindArgs(at Pos, call *Call, args []rawArg) error {
	seen := map[string]bool{}
	named := false
	for i, a := range args {
		if !a.named {
			if named {
				return syntaxErr(a.Pos, "must pass parameter number %d and later ones as @name = value", i+1)
			}
			if i >= len(positional) {
				return unsupported(a.Pos, "positional argument %d of %s is not supported: its meaning differs between SQL Server versions; write @name = value", i+1, procName)
			}
			a.Name = positional[i]
		}
		named = named || a.named
		key := strings.ToLower(a.Name)
		if seen[key] {
			return syntaxErr(a.Pos, "@%s is given more than once", a.Name)
		}
		seen[key] = true
		if a.deflt {
			continue
		}
		if err := call.set(key, a); err != nil {
			return err
		}
	}
	for _, req := range []string{"language", "script"} {
		if !seen[req] {
			return syntaxErr(at, "%s expects the parameter @%s, which was not supplied", procName, req)
		}
	}
	return nil
}

// set stores one argument by its lower-case name.
func (c *Call) set(key string, a rawArg) error {
	if a.Value.Kind == QueryLit && procArgs[key] {
		return unsupported(a.Pos, "@%s = @%s: @%s holds the value of a query, which only a param declared in @params can take", a.Name, a.Variable, a.Variable)
	}
	text := map[string]*string{
		"language": &c.Language, "script": &c.Script, "input_data_1": &c.InputData1,
		"input_data_1_name": &c.InputData1Name, "output_data_1_name": &c.OutputData1Name, "params": &c.Params,
	}
	if dst, ok := text[key]; ok {
		if a.Output {
			return syntaxErr(a.Pos, "@%s is not an OUTPUT parameter of %s", a.Name, procName)
		}
		switch a.Value.Kind {
		case StringLit:
			*dst = a.Value.Text
		case Null:
			if key == "language" || key == "script" {
				return syntaxErr(a.Pos, "@%s must not be NULL", a.Name)
			}
		default:
			return syntaxErr(a.Pos, "@%s must be a string (N'…'), not %s", a.Name, a.Value.Text)
		}
		return nil
	}
	arg := a.Arg
	switch key {
	case "parallel":
		c.Parallel = &arg
	case "input_data_1_partition_by_columns":
		c.PartitionBy = &arg
	case "input_data_1_order_by_columns":
		c.OrderBy = &arg
	default:
		c.Bindings = append(c.Bindings, arg)
	}
	return nil
}

// procArgs are the procedure's own arguments (lower case); any other binds
// a param declared in @params.
var procArgs = map[string]bool{
	"language": true, "script": true, "input_data_1": true, "input_data_1_name": true, "output_data_1_name": true,
	"params": true, "parallel": true, "input_data_1_partition_by_columns": true, "input_data_1_order_by_columns": true,
}

// options reads WITH RESULT SETS …, the one EXECUTE option a call of
// sp_execute_external_script takes here.
func (p *parser) options(call *Call) error {
	if !isKw(p.peek(), "WITH") {
		return nil
	}
	w := p.next()
	if t := p.peek(); !isKw(t, "RESULT") {
		return unsupported(w.Pos, "WITH %s is not supported: only WITH RESULT SETS is", strings.ToUpper(t.Text))
	}
	p.next()
	if t := p.next(); !isKw(t, "SETS") {
		return syntaxErr(t.Pos, "want SETS after WITH RESULT, got %s %q", t.Kind, t.Text)
	}
	call.ResultSets.Pos = w.Pos
	if err := p.resultSets(&call.ResultSets); err != nil {
		return err
	}
	if t := p.peek(); isPunct(t, ",") {
		return unsupported(t.Pos, "EXECUTE options besides WITH RESULT SETS are not supported")
	}
	return nil
}

// resultSets reads NONE, UNDEFINED or ((columns)[, (columns)…]).
func (p *parser) resultSets(rs *ResultSets) error {
	t := p.next()
	switch {
	case isKw(t, "NONE"):
		rs.Kind = ResultSetsNone
		return nil
	case isKw(t, "UNDEFINED"):
		rs.Kind = ResultSetsUndefined
		return nil
	case !isPunct(t, "("):
		return syntaxErr(t.Pos, "want NONE, UNDEFINED or ( after WITH RESULT SETS, got %s %q", t.Kind, t.Text)
	}
	for count := 1; ; count++ {
		d := p.peek()
		if isKw(d, "AS") {
			return unsupported(d.Pos, "WITH RESULT SETS AS %s is not supported: list the columns", strings.ToUpper(p.peekN(1).Text))
		}
		if !isPunct(d, "(") {
			return syntaxErr(d.Pos, "want ( to start a result set's columns, got %s %q", d.Kind, d.Text)
		}
		cols, err := p.parenText()
		if err != nil {
			return err
		}
		if count == 1 {
			rs.Kind, rs.Columns = ResultSetsColumns, cols
		}
		sep := p.next()
		if isPunct(sep, ")") {
			if count > 1 {
				return unsupported(t.Pos, "WITH RESULT SETS of %d result sets is not supported: %s returns one", count, procName)
			}
			return nil
		}
		if !isPunct(sep, ",") {
			return syntaxErr(sep.Pos, "want , or ) after a result set's columns, got %s %q", sep.Kind, sep.Text)
		}
	}
}

// parenText consumes a balanced ( … ) and returns the source text inside.
func (p *parser) parenText() (string, error) {
	open := p.next()
	depth := 1
	for {
		t := p.next()
		switch {
		case t.Kind == EOF || t.Kind == Go:
			return "", syntaxErr(open.Pos, "this ( is never closed")
		case isPunct(t, "("):
			depth++
		case isPunct(t, ")"):
			depth--
			if depth == 0 {
				text := strings.TrimSpace(p.src[open.End:t.Start])
				if text == "" {
					return "", syntaxErr(open.Pos, "a result set needs at least one column")
				}
				return text, nil
			}
		}
	}
}
