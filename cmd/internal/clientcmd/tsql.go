package clientcmd

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/openlaunchpad/launchpad/client"
	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/host/tsql"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// maxBatchBytes bounds a --tsql batch: a script and its call, not data.
const maxBatchBytes = 16 << 20

// tsqlOwnedFlags are the exec flags a --tsql batch sets itself; giving one
// too would leave two answers to one question.
var tsqlOwnedFlags = []string{"language", "script", "script-file", "input-query", "input-name", "output-name",
	"params", "param", "result-schema", "into-table", "partition-by", "order-by", "parallel"}

// applyTSQL reads the batch named by --tsql (a file, or - for stdin), maps
// its sp_execute_external_script call onto exec's flags and returns what
// shapes the printed result. Without --tsql (path "") it does nothing.
func applyTSQL(fs *flag.FlagSet, path string) (*tsqlOutput, error) {
	if path == "" {
		return nil, nil
	}
	var clash []string
	fs.Visit(func(f *flag.Flag) {
		if slices.Contains(tsqlOwnedFlags, f.Name) {
			clash = append(clash, "--"+f.Name)
		}
	})
	if len(clash) > 0 {
		return nil, fmt.Errorf("--tsql gives the call; %s cannot be given too", strings.Join(clash, ", "))
	}
	src, err := readBatch(path)
	if err != nil {
		return nil, err
	}
	script, err := tsql.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", batchName(path), err)
	}
	flags, out, err := tsqlFlags(script)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", batchName(path), err)
	}
	for _, kv := range flags {
		if err := fs.Set(kv[0], kv[1]); err != nil {
			return nil, fmt.Errorf("%s: --%s: %w", batchName(path), kv[0], err)
		}
	}
	return out, nil
}

func batchName(path string) string {
	if path == "-" {
		return "stdin"
	}
	return path
}

// readBatch reads a batch file, or stdin for "-", up to maxBatchBytes.
func readBatch(path string) (string, error) {
	r := io.Reader(os.Stdin)
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxBatchBytes+1))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", batchName(path), err)
	}
	if len(b) > maxBatchBytes {
		return "", fmt.Errorf("%s is larger than %d MiB", batchName(path), maxBatchBytes>>20)
	}
	return string(b), nil
}

// tsqlFlags maps a parsed call onto exec's flags, as name/value pairs in
// the order they are set.
func tsqlFlags(s *tsql.Script) ([][2]string, *tsqlOutput, error) {
	c := s.Call
	if strings.TrimSpace(c.Language) == "" {
		return nil, nil, fmt.Errorf("line %d, column %d: @language is empty", c.Pos.Line, c.Pos.Col)
	}
	if strings.TrimSpace(c.Script) == "" {
		return nil, nil, fmt.Errorf("line %d, column %d: @script is empty: there is nothing to run", c.Pos.Line, c.Pos.Col)
	}
	flags := [][2]string{{"language", c.Language}, {"script", c.Script}}
	// SQL Server reads a blank query, or one of only ';', as no input.
	if strings.Trim(c.InputData1, " \t\r\n;") != "" {
		flags = append(flags, [2]string{"input-query", c.InputData1})
	}
	for _, f := range [][2]string{{"input-name", c.InputData1Name}, {"output-name", c.OutputData1Name}, {"params", c.Params}} {
		if f[1] != "" {
			flags = append(flags, f)
		}
	}
	values, outputs, queries, err := bindParams(c)
	if err != nil {
		return nil, nil, err
	}
	flags = append(flags, values...)
	chunks, err := partitionFlags(c)
	if err != nil {
		return nil, nil, err
	}
	flags = append(flags, chunks...)
	out := &tsqlOutput{none: c.ResultSets.Kind == tsql.ResultSetsNone, queries: queries}
	if c.ResultSets.Kind == tsql.ResultSetsColumns {
		flags = append(flags, [2]string{"result-schema", c.ResultSets.Columns})
	}
	if c.Into != nil {
		flags = append(flags, [2]string{"into-table", intoTarget(c.Into)})
	}
	for _, it := range s.Select {
		col := it.Alias
		if col == "" {
			col = it.Variable
		}
		out.selects = append(out.selects, tsqlSelect{param: outputs[strings.ToLower(it.Variable)], column: col})
	}
	return flags, out, nil
}

// intoTarget is --into-table for INSERT INTO T [(cols)] EXEC: the table as
// written, then the listed columns bracket-quoted.
func intoTarget(t *tsql.Target) string {
	if len(t.Columns) == 0 {
		return t.Table
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = "[" + strings.ReplaceAll(c, "]", "]]") + "]"
	}
	return t.Table + " (" + strings.Join(cols, ", ") + ")"
}

// partitionFlags maps @input_data_1_partition_by_columns,
// @input_data_1_order_by_columns and @parallel (0 or 1, as a bit takes).
func partitionFlags(c *tsql.Call) ([][2]string, error) {
	var flags [][2]string
	if a := c.PartitionBy; a != nil && strings.TrimSpace(a.Value.Text) != "" {
		flags = append(flags, [2]string{"partition-by", a.Value.Text})
	}
	if a := c.OrderBy; a != nil && strings.TrimSpace(a.Value.Text) != "" {
		flags = append(flags, [2]string{"order-by", a.Value.Text})
	}
	if a := c.Parallel; a != nil && a.Value.Kind != tsql.Null {
		switch strings.TrimSpace(a.Value.Text) {
		case "0":
		case "1":
			flags = append(flags, [2]string{"parallel", "true"})
		default:
			return nil, fmt.Errorf("line %d, column %d: @parallel = %s: want 0 or 1", a.Pos.Line, a.Pos.Col, a.Value.Text)
		}
	}
	return flags, nil
}

// bindParams checks the call's bindings against the @params declarations
// and returns the --param flags of the literal values, by lower-case
// variable name the declared param each OUTPUT variable receives, and the
// params whose value is a query's (DECLARE @v type = (SELECT …)).
func bindParams(c *tsql.Call) ([][2]string, map[string]string, []*proto.ParamQuery, error) {
	decls, err := sqltype.ParseParams(c.Params)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("line %d, column %d: @params: %w", c.Pos.Line, c.Pos.Col, err)
	}
	var values [][2]string
	var queries []*proto.ParamQuery
	outputs := map[string]string{}
	for _, b := range c.Bindings {
		i := slices.IndexFunc(decls, func(d sqltype.Decl) bool { return strings.EqualFold(d.Name, b.Name) })
		if i < 0 {
			return nil, nil, nil, fmt.Errorf("line %d, column %d: @%s is not a parameter of sp_execute_external_script nor declared in @params",
				b.Pos.Line, b.Pos.Col, b.Name)
		}
		d := decls[i]
		if b.Output && !d.Field.Output {
			return nil, nil, nil, fmt.Errorf("line %d, column %d: @%s is bound with OUTPUT but @params does not declare it OUTPUT",
				b.Pos.Line, b.Pos.Col, b.Name)
		}
		switch b.Value.Kind {
		case tsql.QueryLit:
			queries = append(queries, paramQuery(d.Name, b.Value.Query))
		case tsql.Null:
		default:
			values = append(values, [2]string{"param", d.Name + "=" + b.Value.Text})
		}
		if b.Output {
			outputs[strings.ToLower(b.Variable)] = d.Name
		}
	}
	return values, outputs, queries, nil
}

// paramQuery is the request's form of a param's query: its text, and the
// variables it names declared with their types and values (NULL: none).
func paramQuery(param string, q *tsql.Subquery) *proto.ParamQuery {
	pq := &proto.ParamQuery{Param: param, Query: q.Text, ParamValues: map[string]string{}}
	decls := make([]string, len(q.Vars))
	for i, v := range q.Vars {
		decls[i] = "@" + v.Name + " " + v.Type
		if v.Value.Kind != tsql.Null {
			pq.ParamValues[v.Name] = v.Value.Text
		}
	}
	pq.Params = strings.Join(decls, ", ")
	return pq
}

// tsqlOutput is what a batch asks beyond exec's flags: the printed result
// shaped its way, and the params whose value the host queries.
type tsqlOutput struct {
	// none: WITH RESULT SETS NONE, so a result set is an error.
	none bool
	// selects are the final SELECT's columns; without one, no OUTPUT
	// values are printed, as SQL Server shows none.
	selects []tsqlSelect
	// queries give params the value of a query, which the host runs.
	queries []*proto.ParamQuery
}

// paramQueries are the request's param queries; none without --tsql.
func (o *tsqlOutput) paramQueries() []*proto.ParamQuery {
	if o == nil {
		return nil
	}
	return o.queries
}

// tsqlSelect is one selected OUTPUT variable: the param it received and
// the column name it is printed under.
type tsqlSelect struct {
	param, column string
}

// wrap returns w printing through o; a nil o leaves w as it is.
func (o *tsqlOutput) wrap(w client.ResultWriter) client.ResultWriter {
	if o == nil {
		return w
	}
	return &tsqlWriter{ResultWriter: w, o: o}
}

// tsqlWriter enforces WITH RESULT SETS NONE and prints the final SELECT's
// variables in place of the raw OUTPUT params.
type tsqlWriter struct {
	client.ResultWriter
	o *tsqlOutput
}

func (w *tsqlWriter) Schema(s *bxl.Schema) error {
	if w.o.none && len(s.Fields) > 0 {
		return fmt.Errorf("the script returned a result set of %d columns, but the call says WITH RESULT SETS NONE", len(s.Fields))
	}
	return w.ResultWriter.Schema(s)
}

func (w *tsqlWriter) Close(ps *bxl.Schema, pb *bxl.Batch, st *proto.Status) error {
	sel, sb, err := w.o.selected(ps, pb, st.GetError() == nil)
	if err != nil {
		return err
	}
	return w.ResultWriter.Close(sel, sb, st)
}

// selected picks the SELECTed variables' values out of the OUTPUT params,
// renamed to their columns. A successful job must have returned each.
func (o *tsqlOutput) selected(ps *bxl.Schema, pb *bxl.Batch, ok bool) (*bxl.Schema, *bxl.Batch, error) {
	if len(o.selects) == 0 || ps == nil || pb == nil {
		if len(o.selects) > 0 && ok {
			return nil, nil, errors.New("the host returned no OUTPUT params for the final SELECT")
		}
		return nil, nil, nil
	}
	out := &bxl.Schema{}
	b := &bxl.Batch{Schema: out, Rows: pb.Rows}
	for _, s := range o.selects {
		// T-SQL names are case-insensitive; the host may echo either spelling.
		i := slices.IndexFunc(ps.Fields, func(f bxl.Field) bool { return strings.EqualFold(f.Name, s.param) })
		if i < 0 {
			return nil, nil, fmt.Errorf("the host returned no value for OUTPUT param @%s", s.param)
		}
		f := ps.Fields[i]
		f.Name = s.column
		out.Fields = append(out.Fields, f)
		b.Columns = append(b.Columns, pb.Columns[i])
	}
	return out, b, nil
}
