package tsql

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// callWith is a call binding @v (declared typ) to the variable @v.
func callWith(typ string) string {
	return "\nEXEC sp_execute_external_script N'Python', N'1', @params = N'@v " + typ + "', @v = @v"
}

// queryOf returns the subquery bound to the call's first param, as
// "text | @a type = value, …".
func queryOf(s *Script) string {
	v := s.Call.Bindings[0].Value
	if v.Kind != QueryLit {
		return "not a query: " + litString(v)
	}
	var vars []string
	for _, x := range v.Query.Vars {
		vars = append(vars, fmt.Sprintf("@%s %s = %s", x.Name, x.Type, litString(x.Value)))
	}
	return v.Query.Text + " | " + strings.Join(vars, ", ")
}

// A scalar subquery as a variable's value reaches the binding with its text
// as written and the variables it names, valued where the query stands.
func TestParse_SubqueryAccepted(t *testing.T) {
	// One row per accepted form, spelled out so a failure names the form.
	tests := map[string]struct{ src, want string }{
		"tutorial form": {"DECLARE @model varchar(100) = 'Naive Bayes';\nDECLARE @v varbinary(max) = (\n  SELECT model\n  FROM iris_models\n  WHERE model_name = @model\n  );" + callWith("varbinary(max)"),
			"SELECT model\n  FROM iris_models\n  WHERE model_name = @model | @model varchar(100) = 'Naive Bayes'"},
		"SET form": {"DECLARE @v int\nSET @v = (SELECT count(*) FROM t)" + callWith("int"),
			"SELECT count(*) FROM t | "},
		"SELECT assignment": {"DECLARE @v int\nSELECT @v = (SELECT max(a) FROM t)" + callWith("int"),
			"SELECT max(a) FROM t | "},
		"nested parentheses": {"DECLARE @v float = ((SELECT avg(x) FROM (SELECT (a + (b)) AS x FROM t) AS s))" + callWith("float"),
			"SELECT avg(x) FROM (SELECT (a + (b)) AS x FROM t) AS s | "},
		"strings with parentheses": {"DECLARE @v nvarchar(20) = (SELECT name FROM t WHERE note = ')' AND k = N'(('';)')" + callWith("nvarchar(20)"),
			"SELECT name FROM t WHERE note = ')' AND k = N'(('';)' | "},
		"variables valued where the query stands": {"DECLARE @a int = 1, @B nvarchar(5) = N'x'\nDECLARE @v int = (SELECT n FROM t WHERE a = @a AND b = @b AND c = @A)\nSET @a = 2" + callWith("int"),
			"SELECT n FROM t WHERE a = @a AND b = @b AND c = @A | @a int = 1, @B nvarchar(5) = N'x'"},
		"NULL variable": {"DECLARE @a int\nDECLARE @v int = (SELECT n FROM t WHERE a = @a)" + callWith("int"),
			"SELECT n FROM t WHERE a = @a | @a int = NULL"},
		"copied to another variable": {"DECLARE @q int = (SELECT 1), @v int\nSET @v = @q" + callWith("int"),
			"SELECT 1 | "},
		"comment inside": {"DECLARE @v int = (SELECT /* ) */ 1 -- )\n)" + callWith("int"),
			"SELECT /* ) */ 1 -- ) | "},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := Parse(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if got := queryOf(s); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// A query's value goes only to a param binding; anything else is refused
// by name, as is a subquery written as the procedure's argument.
func TestParse_SubqueryRefused(t *testing.T) {
	call := "\nEXEC sp_execute_external_script N'R', N'1'"
	tests := map[string]struct {
		src, want string
		kind      error
	}{
		"as the argument":  {"EXEC sp_execute_external_script N'R', N'1', @params = N'@v int', @v = (SELECT 1)", "line 1, column 71: a subquery cannot be a procedure's argument", ErrUnsupported},
		"in an expression": {"DECLARE @v nvarchar(9) = (SELECT 'a') + N'b'" + call, "line 1, column 27: the value of a query cannot be used in an expression", ErrUnsupported},
		"after +=":         {"DECLARE @v nvarchar(9) = N'a'\nSET @v += (SELECT 'b')" + call, "the value of a query cannot be used in an expression", ErrUnsupported},
		"arithmetic":       {"DECLARE @v int = (SELECT 1) * 2" + call, "the * operator is not supported", ErrUnsupported},
		"signed":           {"DECLARE @v int = -(SELECT 1)" + call, "a sign before a non-number is not supported", ErrUnsupported},
		"as the script": {"DECLARE @s nvarchar(max) = (SELECT body FROM scripts)\nEXEC sp_execute_external_script @language = N'R', @script = @s",
			"@script = @s: @s holds the value of a query, which only a param declared in @params can take", ErrUnsupported},
		"as the input query": {"DECLARE @q nvarchar(max) = (SELECT q FROM t)\nEXEC sp_execute_external_script N'R', N'1', @q",
			"@input_data_1 = @q: @q holds the value of a query", ErrUnsupported},
		"in another query": {"DECLARE @a int = (SELECT 1)\nDECLARE @v int = (SELECT n FROM t WHERE a = @a)" + call,
			"line 2, column 45: @a holds the value of a query, which another query cannot use", ErrUnsupported},
		"undeclared variable inside": {"DECLARE @v int = (SELECT n FROM t WHERE a = @nope)" + call, "must declare the scalar variable @nope", ErrSyntax},
		"system function inside":     {"DECLARE @v int = (SELECT @@SPID)" + call, "the system function @@SPID in a subquery is not supported", ErrUnsupported},
		"two statements":             {"DECLARE @v int = (SELECT 1; SELECT 2)" + call, "line 1, column 27: a subquery is one SELECT", ErrSyntax},
		"never closed":               {"DECLARE @v int = (SELECT (1)", "line 1, column 18: this ( is never closed", ErrSyntax},
		"closed after GO":            {"DECLARE @v int = (SELECT 1\nGO\n)", "this ( is never closed", ErrSyntax},
		"bound to nothing":           {"DECLARE @v int = (SELECT 1)" + call, "line 1, column 19: this query's value reaches no param of the call", ErrUnsupported},
		"overwritten":                {"DECLARE @v int = (SELECT 1)\nSET @v = 2" + callWith("int"), "line 1, column 19: this query's value reaches no param", ErrUnsupported},
		"in an earlier batch":        {"DECLARE @v int = (SELECT 1)\nGO" + call, "this query's value reaches no param", ErrUnsupported},
	}
	// Same check as parser_test's refusals: a few lines of test code, clearer inline than behind a helper.
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := Parse(tc.src)
			if err == nil {
				t.Fatalf("parsed: %+v", summarize(s))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("error %q is not %v", err, tc.kind)
			}
		})
	}
}
