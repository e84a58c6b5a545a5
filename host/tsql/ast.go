package tsql

// Script is what a batch file asks for: one sp_execute_external_script call,
// the variables of its batch and the final SELECT of OUTPUT variables.
type Script struct {
	// Call is the batch's one sp_execute_external_script call.
	Call *Call
	// Variables are the variables declared in the call's batch, in order,
	// each with its value after the batch's assignments.
	Variables []Variable
	// Select lists the variables of the SELECT after the call, in order.
	Select []SelectItem
}

// Variable is a DECLAREd T-SQL variable.
type Variable struct {
	Pos Pos
	// Name without '@', as declared.
	Name string
	// Type is the declared type as written, normalised to lower case:
	// "nvarchar(max)", "decimal(10, 2)".
	Type string
	// Value is the last value assigned (DECLARE … = , SET, SELECT @x = );
	// NULL when none was.
	Value Literal
}

// LiteralKind says what a literal is.
type LiteralKind int

// Literal kinds. The zero Literal is NULL.
const (
	Null LiteralKind = iota
	StringLit
	NumberLit
	BinaryLit
	// QueryLit is the value of a scalar subquery, (SELECT …): the host runs
	// Query when the job runs. Only a param binding may take it.
	QueryLit
)

// Literal is a constant value.
type Literal struct {
	Kind LiteralKind
	// Text is a string's text with its doubled quotes undone, a number as
	// written with its sign ("-1.5"), or a binary value as written ("0x0A").
	// It is empty for NULL.
	Text string
	// National marks N'…' strings.
	National bool
	// Query is the subquery of a QueryLit; nil for any other kind.
	Query *Subquery
}

// Subquery is a scalar subquery, (SELECT …), as a variable's value.
type Subquery struct {
	Pos Pos
	// Text is the query as written between its parentheses, without the
	// whitespace at its ends.
	Text string
	// Vars are the batch's variables the query names, in order of first
	// use, each with its declared type and its value where the query is.
	Vars []Variable
}

// Call is a call of sp_execute_external_script.
type Call struct {
	Pos Pos
	// Procedure is the procedure's name as written:
	// "sp_execute_external_script", "sys.sp_execute_external_script".
	Procedure string
	Language  string
	Script    string
	// InputData1 is the input query ("" for none).
	InputData1 string
	// InputData1Name and OutputData1Name are "" when not given (the
	// defaults InputDataSet and OutputDataSet then apply).
	InputData1Name  string
	OutputData1Name string
	// Params is the @params declaration text: "@n int, @r float OUTPUT".
	Params string
	// Parallel, PartitionBy and OrderBy are the raw values of @parallel,
	// @input_data_1_partition_by_columns and @input_data_1_order_by_columns;
	// nil when not given.
	Parallel, PartitionBy, OrderBy *Arg
	// Bindings are the values given for the params declared in @params
	// ("@n = 5", "@r = @total OUTPUT"), in the call's order.
	Bindings []Arg
	// ResultSets is the WITH RESULT SETS clause.
	ResultSets ResultSets
	// Into is the INSERT INTO target of INSERT … EXEC; nil for none.
	Into *Target
}

// Arg is one argument of the call.
type Arg struct {
	Pos Pos
	// Name is the parameter's name without '@', as written (or the
	// documented name for a positional argument).
	Name string
	// Value is the literal, or the named variable's value at the call.
	Value Literal
	// Variable is the variable given as the value, without '@'; "" for a
	// literal.
	Variable string
	// Output marks "@p = @v OUTPUT": the variable receives the param's
	// value after the script.
	Output bool
}

// ResultSetsKind says which WITH RESULT SETS form a call has.
type ResultSetsKind int

// WITH RESULT SETS forms.
const (
	// ResultSetsAbsent: no WITH RESULT SETS clause.
	ResultSetsAbsent ResultSetsKind = iota
	// ResultSetsColumns: WITH RESULT SETS ((col type, …)).
	ResultSetsColumns
	// ResultSetsNone: WITH RESULT SETS NONE — the call returns no rows.
	ResultSetsNone
	// ResultSetsUndefined: WITH RESULT SETS UNDEFINED — any result.
	ResultSetsUndefined
)

// ResultSets is a WITH RESULT SETS clause.
type ResultSets struct {
	Pos  Pos
	Kind ResultSetsKind
	// Columns is the text between the inner parentheses, exactly as
	// written but for the whitespace at its ends:
	// "[Hello World] INT NOT NULL".
	Columns string
}

// Target is the table of INSERT [INTO] T [(cols)] EXEC ….
type Target struct {
	Pos Pos
	// Table is the table name as written: "dbo.Scores", "[my table]".
	Table string
	// Columns are the listed column names, unquoted; nil for none.
	Columns []string
}

// SelectItem is one variable of the final SELECT.
type SelectItem struct {
	Pos Pos
	// Variable is the variable's name without '@'.
	Variable string
	// Alias is the column name given (AS alias, alias = @v); "" for none.
	Alias string
}
