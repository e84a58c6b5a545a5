package tsql

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// summary is the part of a Script a test compares, in a form that prints
// readably when it differs.
type summary struct {
	Language, InputData1, InName, OutName, Params string
	Bindings                                      []string
	ResultSets                                    string
	Into                                          string
	Select                                        []string
	Extra                                         []string // parallel, partition, order
	Variables                                     []string
}

func summarize(s *Script) summary {
	c := s.Call
	out := summary{Language: c.Language, InputData1: c.InputData1, InName: c.InputData1Name,
		OutName: c.OutputData1Name, Params: c.Params}
	for _, b := range c.Bindings {
		out.Bindings = append(out.Bindings, argString(b))
	}
	switch c.ResultSets.Kind {
	case ResultSetsColumns:
		out.ResultSets = "(" + c.ResultSets.Columns + ")"
	case ResultSetsNone:
		out.ResultSets = "NONE"
	case ResultSetsUndefined:
		out.ResultSets = "UNDEFINED"
	}
	if c.Into != nil {
		out.Into = c.Into.Table + fmt.Sprint(c.Into.Columns)
	}
	for _, it := range s.Select {
		out.Select = append(out.Select, "@"+it.Variable+" AS "+it.Alias)
	}
	for _, a := range []*Arg{c.Parallel, c.PartitionBy, c.OrderBy} {
		if a != nil {
			out.Extra = append(out.Extra, argString(*a))
		}
	}
	for _, v := range s.Variables {
		out.Variables = append(out.Variables, fmt.Sprintf("@%s %s = %s", v.Name, v.Type, litString(v.Value)))
	}
	return out
}

func argString(a Arg) string {
	s := a.Name + "=" + litString(a.Value)
	if a.Variable != "" {
		s += " via @" + a.Variable
	}
	if a.Output {
		s += " OUTPUT"
	}
	return s
}

func litString(l Literal) string {
	switch l.Kind {
	case StringLit:
		if l.National {
			return "N'" + l.Text + "'"
		}
		return "'" + l.Text + "'"
	case Null:
		return "NULL"
	case QueryLit:
		return "(" + l.Query.Text + ")"
	}
	return l.Text
}

func parseFile(t *testing.T, name string) (*Script, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(string(b))
}

// The documentation forms in testdata parse into the call they write.
func TestParse_DocumentationBatches(t *testing.T) {
	tests := map[string]struct {
		file   string
		want   summary
		script string // a substring of the script
	}{
		"python print": {file: "python_print.sql", script: "\nx = 3\ny = 4\n",
			want: summary{Language: "Python"}},
		"hello with bracketed result column": {file: "python_hello_result_sets.sql", script: "OutputDataSet = InputDataSet",
			want: summary{Language: "Python", InputData1: "SELECT 7 AS lucky", ResultSets: "([Lucky Number] INT)"}},
		"renamed data sets": {file: "python_data_set_names.sql", script: "rows_out = rows_in;",
			want: summary{Language: "Python", InputData1: "SELECT 42 as Answer;", InName: "rows_in", OutName: "rows_out",
				ResultSets: "([Answer] INT NOT NULL)"}},
		"series to frame": {file: "python_series_frame.sql", script: "pd.DataFrame(s)",
			want: summary{Language: "Python", ResultSets: "(ResultValue FLOAT)"}},
		"params OUTPUT and SELECT": {file: "python_params_output.sql", script: `Label = "it's ok!"`,
			want: summary{Language: "Python", Params: "@Counter INT OUTPUT, @Label CHAR(8) OUTPUT",
				Bindings:  []string{"counter=41 via @Counter OUTPUT", "label='before  ' via @Label OUTPUT"},
				Select:    []string{"@Counter AS Counter", "@Label AS Label"},
				Variables: []string{"@Counter int = 41", "@Label varchar(8) = 'before  '"}}},
		"R OUTPUT with comments and NONE": {file: "r_min_output.sql", script: "MaxValue <- max(InputDataSet[,1])",
			want: summary{Language: "R", InputData1: " SELECT col1 FROM RTestData", Params: "@MaxValue INT OUTPUT",
				Bindings: []string{"MaxValue=NULL via @maxVal OUTPUT"}, ResultSets: "NONE",
				Select: []string{"@maxVal AS maxValue"}, Variables: []string{"@maxVal int = NULL"}}},
		"R data frame": {file: "r_data_frame.sql", script: "as.data.frame(greeting)",
			want: summary{Language: "R", InputData1: " ", ResultSets: "(Greeting NVARCHAR(20))"}},
		"lower-case multi-line result sets": {file: "r_result_sets_lowercase.sql", script: `c("Package", "Version")`,
			want: summary{Language: "R", ResultSets: "(Package NVARCHAR(255)\n            , Version NVARCHAR(100))"}},
		"doubled quotes and UNDEFINED": {file: "r_undefined_quotes.sql", script: "str(InputDataSet);",
			want: summary{Language: "R", ResultSets: "UNDEFINED",
				InputData1: "\n           SELECT region\n         , CAST(units as varchar(50)) as Units\n           FROM sales\n" +
					"           WHERE [region] = 'north'\n           ORDER BY id ASC ;"}},
		"declared input query": {file: "python_declared_query.sql", script: "# /* not a SQL comment",
			want: summary{Language: "Python", InputData1: "SELECT id, units, unit_price FROM sales", InName: "my_input_data",
				ResultSets: `("Id" int, "Units" float,"Price" float,"Revenue" float)`,
				Variables:  []string{"@input_query nvarchar(max) = N'SELECT id, units, unit_price FROM sales'"}}},
		"rows per read": {file: "python_rows_per_read.sql", script: "OutputDataSet = InputDataSet",
			want: summary{Language: "python", InputData1: "select * from sales", Params: "@r_rowsPerRead INT",
				Bindings:   []string{"r_rowsPerRead=5 via @RowsPerRead"},
				ResultSets: `("Region" varchar(10) null, "Units" float null)`, Variables: []string{"@RowsPerRead int = 5"}}},
		"partitions": {file: "r_partitions.sql", script: "nrow(InputDataSet)",
			want: summary{Language: "R", InputData1: "SELECT region, units FROM sales", ResultSets: "(region varchar(20), n int)",
				Extra: []string{"parallel=1", "input_data_1_partition_by_columns=N'region'", "input_data_1_order_by_columns=N'units'"}}},
		"insert exec": {file: "python_insert_exec.sql", script: "groupby",
			want: summary{Language: "Python", InputData1: "SELECT region, units FROM sales", Into: "dbo.Scores[region total]"}},
		"positional": {file: "python_positional.sql", script: `print("positional")`,
			want: summary{Language: "Python"}},
		"literal params": {file: "python_literal_params.sql", script: `"note": [note]`,
			want: summary{Language: "Python", InputData1: "   ;", Params: " @n int, @mean float, @note nvarchar(20)",
				Bindings:   []string{"n=100", "mean=-2.5", "note=N'it's fine'"},
				ResultSets: "([N] INT, [Mean] FLOAT, [Note] NVARCHAR(20))"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := parseFile(t, tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := summarize(s); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			if !strings.Contains(s.Call.Script, tc.script) {
				t.Errorf("script %q lacks %q", s.Call.Script, tc.script)
			}
		})
	}
}

// Everything that is not the one call is refused with its name and place.
func TestParse_RefusesOtherStatements(t *testing.T) {
	tests := map[string]struct {
		src, want string
		kind      error
	}{
		// One row per refused statement, spelled out so a failure names its file and message.
		"create table file": {src: "@refused_create_table.sql", kind: ErrUnsupported,
			want: "line 3, column 1: CREATE TABLE is not supported: --tsql runs one sp_execute_external_script call"},
		"create procedure file": {src: "@refused_create_procedure.sql", kind: ErrUnsupported,
			want: "line 3, column 1: CREATE PROCEDURE is not supported"},
		"create or alter": {src: "CREATE OR ALTER PROC p AS SELECT 1", kind: ErrUnsupported,
			want: "CREATE OR ALTER PROC is not supported"},
		"drop proc": {src: "DROP PROC IF EXISTS get_iris_dataset;", kind: ErrUnsupported, want: "DROP PROC is not supported"},
		"use": {src: "USE irissql\nGO\nEXEC sp_execute_external_script N'R', N'1'", kind: ErrUnsupported,
			want: "line 1, column 1: USE is not supported"},
		"print":      {src: "print 'x'", kind: ErrUnsupported, want: "PRINT is not supported"},
		"set option": {src: "SET NOCOUNT ON;", kind: ErrUnsupported, want: "SET NOCOUNT is not supported"},
		"other procedure": {src: "EXECUTE MyPyNorm @param1 = 100", kind: ErrUnsupported,
			want: "EXEC MyPyNorm is not supported: --tsql runs one sp_execute_external_script call"},
		"implicit other procedure": {src: "predict_species 'Naive Bayes'", kind: ErrUnsupported,
			want: "EXEC predict_species is not supported"},
		"dynamic sql": {src: "EXEC (N'SELECT 1')", kind: ErrUnsupported, want: "EXEC (…) of dynamic SQL is not supported"},
		"return status": {src: "DECLARE @r int\nEXEC @r = sp_execute_external_script N'R', N'1'", kind: ErrUnsupported,
			want: "line 2, column 1: EXEC @r = … (keeping a return status) is not supported"},
		"insert values": {src: "INSERT INTO t VALUES (1)", kind: ErrUnsupported, want: "INSERT … VALUES is not supported"},
		"select from":   {src: "SELECT * FROM PythonTestData", kind: ErrUnsupported, want: `SELECT of "*" is not supported`},
		"second call": {src: "EXEC sp_execute_external_script N'R', N'1'\nEXEC sp_execute_external_script N'R', N'2'",
			kind: ErrUnsupported, want: "line 2, column 1: a second sp_execute_external_script call is not supported (the first is at line 1)"},
		"GO 5": {src: "EXEC sp_execute_external_script N'R', N'1'\nGO 5", kind: ErrUnsupported,
			want: "line 2, column 1: GO 5 (running a batch 5 times) is not supported"},
		"declare function": {src: "DECLARE @d datetime = GETDATE()", kind: ErrUnsupported,
			want: "the function GETDATE(…) is not supported"},
		"arithmetic":     {src: "DECLARE @n int = 1 * 2", kind: ErrUnsupported, want: "the * operator is not supported"},
		"table variable": {src: "DECLARE @t TABLE (a int)", kind: ErrUnsupported, want: "DECLARE @t TABLE (a table variable) is not supported"},
		"with recompile": {src: "EXEC sp_execute_external_script N'R', N'1' WITH RECOMPILE", kind: ErrUnsupported,
			want: "WITH RECOMPILE is not supported"},
		"two result sets": {src: "EXEC sp_execute_external_script N'R', N'1' WITH RESULT SETS ((a int), (b int))",
			kind: ErrUnsupported, want: "WITH RESULT SETS of 2 result sets is not supported"},
		"result sets as object": {src: "EXEC sp_execute_external_script N'R', N'1' WITH RESULT SETS (AS OBJECT t)",
			kind: ErrUnsupported, want: "WITH RESULT SETS AS OBJECT is not supported"},
		"positional 5": {src: "EXEC sp_execute_external_script N'R', N'1', N'', N'x', N'y'", kind: ErrUnsupported,
			want: "positional argument 5 of sp_execute_external_script is not supported"},
		"select before call": {src: "DECLARE @x int\nSELECT @x\nEXEC sp_execute_external_script N'R', N'1'",
			kind: ErrUnsupported, want: "line 2, column 1: SELECT @x before the sp_execute_external_script call is not supported"},
		"select non-output": {src: "DECLARE @x int = 1\nEXEC sp_execute_external_script N'R', N'1'\nSELECT @x",
			kind: ErrUnsupported, want: "line 3, column 8: SELECT @x: only variables bound to OUTPUT params of the call can be selected"},
		"set after call": {src: "DECLARE @x int\nEXEC sp_execute_external_script @language = N'R', @script = N'x <- 1', @params = N'@x int OUTPUT', @x = @x OUTPUT\nSET @x = 0\nSELECT @x",
			kind: ErrUnsupported, want: "line 3, column 5: assigning @x after the sp_execute_external_script call is not supported"},
		"other database": {src: "EXEC irissql.sys.sp_execute_external_script N'R', N'1'", kind: ErrUnsupported,
			want: "in database irissql is not supported"},
		"other schema": {src: "EXEC foo.sp_execute_external_script N'R', N'1'", kind: ErrUnsupported,
			want: "the procedure is in schema sys, not foo"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var (
				s   *Script
				err error
			)
			if file, ok := strings.CutPrefix(tc.src, "@"); ok {
				s, err = parseFile(t, file)
			} else {
				s, err = Parse(tc.src)
			}
			// Same check as the subquery tests' refusals: a few lines of test code, clearer inline than behind a helper.
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

// Malformed batches are syntax errors at the right place.
// Same table shape as cmd/launchpad's flag refusals: each package tests its own errors.
func TestParse_SyntaxErrors(t *testing.T) {
	tests := map[string]struct{ src, want string }{
		"unterminated string":   {"EXEC sp_execute_external_script N'R', N'x <- 1", "line 1, column 39: unterminated string"},
		"unterminated comment":  {"/* a /* nested */ comment\nEXEC sp_execute_external_script N'R', N'1'", "line 1, column 1: unterminated /* comment"},
		"unterminated bracket":  {"INSERT INTO [t EXEC sp_execute_external_script N'R', N'1'", "line 1, column 13: unterminated identifier"},
		"no call":               {"DECLARE @x int = 5\n", "the batch has no sp_execute_external_script call"},
		"missing script":        {"EXEC sp_execute_external_script @language = N'R'", "expects the parameter @script, which was not supplied"},
		"undeclared variable":   {"EXEC sp_execute_external_script N'R', @s", "line 1, column 39: must declare the scalar variable @s"},
		"variable out of batch": {"DECLARE @s nvarchar(max) = N'1'\nGO\nEXEC sp_execute_external_script N'R', @s", "line 3, column 39: must declare the scalar variable @s"},
		"named then positional": {"EXEC sp_execute_external_script @language = N'R', N'1'", "must pass parameter number 2 and later ones as @name = value"},
		"twice":                 {"EXEC sp_execute_external_script @language = N'R', @script = N'1', @LANGUAGE = N'R'", "@LANGUAGE is given more than once"},
		"constant output":       {"EXEC sp_execute_external_script N'R', N'1', @params = N'@x int OUTPUT', @x = 5 OUTPUT", "cannot use the OUTPUT option when passing a constant"},
		"language output":       {"DECLARE @l sysname = N'R'\nEXEC sp_execute_external_script @language = @l OUTPUT, @script = N'1'", "@language is not an OUTPUT parameter"},
		"null script":           {"EXEC sp_execute_external_script N'R', NULL", "@script must not be NULL"},
		"number language":       {"EXEC sp_execute_external_script 5, N'1'", "@language must be a string"},
		"redeclared":            {"DECLARE @x int\nDECLARE @X int", "line 2, column 9: the variable name @X has already been declared"},
		"go with semicolon":     {"EXEC sp_execute_external_script N'R', N'1'\nGO;", "line 2, column 1: GO must stand alone on its line"},
		"unclosed result sets":  {"EXEC sp_execute_external_script N'R', N'1' WITH RESULT SETS ((a int", "this ( is never closed"},
		"empty result set":      {"EXEC sp_execute_external_script N'R', N'1' WITH RESULT SETS (())", "a result set needs at least one column"},
		"deep parentheses":      {"DECLARE @x int = " + strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), "expression nested more than 64 deep"},
		"bad character":         {"EXEC sp_execute_external_script N'R', N'1' `", "line 1, column 44: unexpected character '`'"},
		"invalid utf8":          {"EXEC sp_execute_external_script N'R', N'\xff'", "line 1, column 41: the batch is not valid UTF-8"},
		"stray token":           {"EXEC sp_execute_external_script N'R', N'1' )", "line 1, column 44: unexpected punctuation \")\""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := Parse(tc.src)
			if err == nil {
				t.Fatalf("parsed: %+v", summarize(s))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			var pe *Error
			if !errors.As(err, &pe) || pe.Pos.Line == 0 {
				t.Errorf("error %q has no position", err)
			}
		})
	}
}

// Forms that are valid T-SQL and mean the call: prefixes, no EXEC at a
// batch's start, variables assigned by SET and SELECT, concatenation,
// DEFAULT, bare words, signs and every literal kind.
func TestParse_AcceptedForms(t *testing.T) {
	tests := map[string]struct {
		src  string
		want func(*Script) string // returns "" when the script is right
	}{
		"master.sys prefix and implicit EXEC": {"master.sys.sp_execute_external_script N'R', N'1'",
			func(s *Script) string { return expect(s.Call.Procedure, "master.sys.sp_execute_external_script") }},
		"bracketed name": {"EXEC [sys].[sp_execute_external_script] @language = N'R', @script = N'1'",
			func(s *Script) string { return expect(s.Call.Language, "R") }},
		"double-dot name": {"EXEC master..sp_execute_external_script N'R', N'1'",
			func(s *Script) string { return expect(s.Call.Procedure, "master..sp_execute_external_script") }},
		"SET and SELECT assignment": {"DECLARE @s nvarchar(max), @l sysname\nSET @s = N'a' + N'b'\nSET @s += N'c'\nSELECT @l = N'Python'\nEXEC sp_execute_external_script @l, @s",
			func(s *Script) string { return expect(s.Call.Language+" "+s.Call.Script, "Python abc") }},
		"concatenation with NULL is NULL": {"DECLARE @s nvarchar(10) = NULL + N'x'\nEXEC sp_execute_external_script N'R', N'1', @params = N'@s nvarchar(10)', @s = @s",
			func(s *Script) string { return expect(litString(s.Call.Bindings[0].Value), "NULL") }},
		"DEFAULT and bare word": {"EXEC sp_execute_external_script @language = R, @script = N'1', @input_data_1 = DEFAULT",
			func(s *Script) string { return expect(s.Call.Language+"|"+s.Call.InputData1, "R|") }},
		"signs and literals": {"EXEC sp_execute_external_script N'R', N'1', @params = N'@a int, @b float, @c varbinary(4), @d int', @a = - 5, @b = +1.5e3, @c = 0x0AFF, @d = NULL",
			func(s *Script) string {
				var got []string
				for _, b := range s.Call.Bindings {
					got = append(got, litString(b.Value))
				}
				return expect(strings.Join(got, " "), "-5 1.5e3 0x0AFF NULL")
			}},
		"negative variable value": {"DECLARE @n int = -(-(3))\nEXEC sp_execute_external_script N'R', N'1', @params = N'@n int', @n = @n",
			func(s *Script) string { return expect(litString(s.Call.Bindings[0].Value), "3") }},
		"alias forms": {"DECLARE @a int, @b int, @c int, @d int\nEXEC sp_execute_external_script N'R', N'1', @params = N'@a int OUTPUT, @b int OUTPUT, @c int OUTPUT, @d int OUTPUT', @a = @a OUTPUT, @b = @b OUT, @c = @c OUTPUT, @d = @d OUTPUT;\nSELECT @a, @b bee, [see] = @c, @d AS 'dee'",
			func(s *Script) string {
				return expect(fmt.Sprint(summarize(s).Select), "[@a AS  @b AS bee @c AS see @d AS dee]")
			}},
		"comments everywhere": {"/* head /* nested */ */ EXEC -- here\n sp_execute_external_script /* c */ N'R' -- x\n, N'1' /* */ ; -- end",
			func(s *Script) string { return expect(s.Call.Language, "R") }},
		"GO with comment and CRLF": {"DECLARE @x int\r\nGO -- next batch\r\nEXEC sp_execute_external_script N'R', N'1'\r\ngo\r\n",
			func(s *Script) string { return expect(fmt.Sprint(len(s.Variables)), "0") }},
		"GO inside a string is text": {"EXEC sp_execute_external_script N'R', N'\nGO\n'",
			func(s *Script) string { return expect(s.Call.Script, "\nGO\n") }},
		"double precision and national": {"DECLARE @a double precision = 1, @b national character varying(20) = N'x'\nEXEC sp_execute_external_script N'R', N'1'",
			func(s *Script) string {
				return expect(fmt.Sprint(summarize(s).Variables), "[@a double precision = 1 @b national character varying(20) = N'x']")
			}},
		"result sets types with parentheses": {"EXEC sp_execute_external_script N'R', N'1' WITH RESULT SETS ((a decimal(10, 2) NOT NULL, [b c] nvarchar(max) COLLATE Latin1_General_CI_AS))",
			func(s *Script) string {
				return expect(s.Call.ResultSets.Columns, "a decimal(10, 2) NOT NULL, [b c] nvarchar(max) COLLATE Latin1_General_CI_AS")
			}},
		"insert quoted target": {"INSERT [my scores] EXEC sp_execute_external_script N'R', N'1'",
			func(s *Script) string { return expect(s.Call.Into.Table, "[my scores]") }},
		"no-break spaces": {"EXEC\u00a0sp_execute_external_script\u00a0N'R',\u00a0N'1'",
			func(s *Script) string { return expect(s.Call.Script, "1") }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := Parse(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if msg := tc.want(s); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func expect(got, want string) string {
	if got != want {
		return fmt.Sprintf("got %q, want %q", got, want)
	}
	return ""
}

// Positions count lines and characters, not bytes.
func TestLex_Positions(t *testing.T) {
	toks, err := Lex("DECLARE @é int\n  -- c\n\tSET @é = N'a''b' /* x */ + 0x1F")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tk := range toks {
		got = append(got, fmt.Sprintf("%d:%d %s %q", tk.Pos.Line, tk.Pos.Col, tk.Kind, tk.Text))
	}
	want := []string{`1:1 identifier "DECLARE"`, `1:9 variable "@é"`, `1:12 identifier "int"`,
		`3:2 identifier "SET"`, `3:6 variable "@é"`, `3:9 punctuation "="`, `3:11 string "N'a''b'"`,
		`3:27 punctuation "+"`, `3:29 binary literal "0x1F"`, `3:33 end of input ""`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if toks[6].Value != "a'b" || !toks[6].National {
		t.Errorf("string value %q national %v", toks[6].Value, toks[6].National)
	}
}

func TestLex_Tokens(t *testing.T) {
	tests := map[string]struct {
		src  string
		want []string // kind:text, or kind=value for strings and quoted names
	}{
		"numbers":      {"12 1.5 1. .5 1e3 2E-4", []string{"number:12", "number:1.5", "number:1.", "number:.5", "number:1e3", "number:2E-4"}},
		"identifiers":  {"#tmp a$b [x]]y] \"q\"\"r\" @@ROWCOUNT", []string{"identifier:#tmp", "identifier:a$b", "quoted identifier=x]y", "quoted identifier=q\"r", "variable:@@ROWCOUNT"}},
		"operators":    {"<= <> != += :: ;", []string{"punctuation:<=", "punctuation:<>", "punctuation:!=", "punctuation:+=", "punctuation:::", "punctuation:;"}},
		"strings":      {"'' N'' n'x' 'it''s'", []string{"string=", "string=", "string=x", "string=it's"}},
		"go separator": {"x\n  GO  \nGOTO l\ngo 2 -- twice", []string{"identifier:x", "GO:GO", "identifier:GOTO", "identifier:l", "GO:go"}},
		"go mid-line":  {"SELECT 1 GO", []string{"identifier:SELECT", "number:1", "identifier:GO"}},
		"empty binary": {"0x", []string{"binary literal:0x"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			toks, err := Lex(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, tk := range toks[:len(toks)-1] {
				if tk.Kind == String || tk.Kind == QuotedIdent {
					got = append(got, tk.Kind.String()+"="+tk.Value)
				} else {
					got = append(got, tk.Kind.String()+":"+tk.Text)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
