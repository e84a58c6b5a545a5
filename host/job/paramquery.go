package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/resultset"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// ParamQuery gives a declared param the value of a scalar query, as T-SQL's
// DECLARE @v type = (SELECT …) does before the variable is bound to the
// param. The host runs it on the job's data source, through the same read
// path and guards as the input query.
type ParamQuery struct {
	// Param is the declared param's name, without "@".
	Param string
	// Query is one SELECT (or WITH, VALUES) statement.
	Query string
	// Params are the query's own variables and ParamValues their values as
	// text, by name without "@"; a variable without a value is NULL.
	Params      []sqltype.Decl
	ParamValues map[string]string
}

// boundQuery is a checked ParamQuery: the index of its param in the
// request's declarations and its variables with parsed values.
type boundQuery struct {
	param   int
	sqlType string // the param's declared type, for errors
	query   string
	binds   []datasource.Param
}

// bindQueries checks the request's param queries (prepare does, before
// anything runs) and binds their variables: each names a declared param that has no other value, once, and its own
// variables' values parse as their declared types.
func bindQueries(req *Request) ([]boundQuery, *Error) {
	bad := func(format string, a ...any) ([]boundQuery, *Error) {
		return nil, failf(req.ID, CodeInvalidRequest, format, a...)
	}
	out := make([]boundQuery, 0, len(req.ParamQueries))
	for _, pq := range req.ParamQueries {
		i := slices.IndexFunc(req.Params, func(d sqltype.Decl) bool { return strings.EqualFold(d.Name, pq.Param) })
		if i < 0 {
			return bad("a query is given for undeclared param @%s", pq.Param)
		}
		name := req.Params[i].Name
		if strings.EqualFold(name, RowsPerReadParam) {
			// The chunk size is read before any query runs.
			return bad("param @%s sets the chunk size: give it a number, not a query", name)
		}
		for given := range req.ParamValues {
			if strings.EqualFold(given, name) {
				return bad("param @%s is given both a value and a query", name)
			}
		}
		if slices.ContainsFunc(out, func(b boundQuery) bool { return b.param == i }) {
			return bad("param @%s is given two queries", name)
		}
		if strings.TrimSpace(pq.Query) == "" {
			return bad("param @%s: its query is empty", name)
		}
		binds, err := queryBinds(pq)
		if err != nil {
			return bad("param @%s's query: %v", name, err)
		}
		out = append(out, boundQuery{param: i, sqlType: req.Params[i].SQLType, query: pq.Query, binds: binds})
	}
	return out, nil
}

// queryBinds parses a param query's variables into bound params.
func queryBinds(pq ParamQuery) ([]datasource.Param, error) {
	values, err := paramValues(pq.Params, pq.ParamValues)
	if err != nil {
		return nil, err
	}
	binds := make([]datasource.Param, len(pq.Params))
	for i, d := range pq.Params {
		binds[i] = datasource.Param{Name: d.Name, SQLType: d.SQLType, Field: d.Field}
		if text, ok := values[d.Name]; ok {
			if binds[i].Value, err = sqltype.ParseValue(d.Field, text); err != nil {
				return nil, err
			}
		}
	}
	return binds, nil
}

// runParamQueries runs each of req's param queries on src and returns the
// params block with their results in place of the params' values.
func runParamQueries(ctx context.Context, src datasource.Source, req *Request, params *bxl.Schema,
	values *bxl.Batch, batchBytes int) (*bxl.Batch, error) {
	if len(req.ParamQueries) == 0 {
		return values, nil
	}
	qs, jerr := bindQueries(req) // checked by prepare
	if jerr != nil {
		return nil, jerr
	}
	row := make([]any, len(params.Fields))
	for i := range row {
		if values != nil && values.Rows > 0 {
			row[i] = values.Columns[i].Value(0)
		}
	}
	for _, q := range qs {
		f := params.Fields[q.param]
		v, err := scalar(ctx, src, q, f, batchBytes)
		if err != nil {
			return nil, fmt.Errorf("param @%s = (%s): %w", f.Name, untrustedQuery(q.query), err)
		}
		row[q.param] = v
	}
	b := bxl.NewBuilder(params)
	if err := b.AppendRow(row...); err != nil {
		return nil, fmt.Errorf("params: %w", err)
	}
	return b.Build(), nil
}

// maxQueryInError bounds the query text an error repeats.
const maxQueryInError = 60

// untrustedQuery is a query's text for an error: on one line, cut short.
func untrustedQuery(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > maxQueryInError {
		cut := maxQueryInError
		for cut > 0 && !utf8.RuneStart(q[cut]) {
			cut--
		}
		q = q[:cut] + "…"
	}
	return q
}

// scalar runs one query and returns its one value converted to field f,
// as SQL Server assigns a scalar subquery: no row is NULL, more than one
// row or column is an error.
func scalar(ctx context.Context, src datasource.Source, q boundQuery, f bxl.Field, batchBytes int) (any, error) {
	rows, err := src.Query(ctx, q.query, q.binds, batchBytes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if n := len(rows.Schema().Fields); n != 1 {
		return nil, fmt.Errorf("the query returns %d columns: a value assigned from a query needs exactly one", n)
	}
	var (
		got   any
		count int
		from  = rows.Schema().Fields[0].Type
	)
	for {
		b, err := rows.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if count+b.Rows > 1 {
			return nil, errors.New("the query returned more than 1 value, which is not permitted when a query is assigned to a variable")
		}
		if b.Rows == 1 {
			got = b.Columns[0].Value(0)
		}
		count += b.Rows
	}
	if got == nil {
		return nil, nil
	}
	v, err := resultset.Cast(got, from, f)
	if err != nil {
		return nil, fmt.Errorf("its value does not convert to the param's type %s: %w", q.sqlType, err)
	}
	return v, nil
}
