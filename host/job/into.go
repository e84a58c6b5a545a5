package job

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/resultset"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// errBadInto is wrapped by every error about an --into-table target's form.
var errBadInto = errors.New("bad write-back target")

// parseInto splits an --into-table target, "T" or "T (a, [b c])", into the
// table name and the listed column names (unquoted; nil when none).
func parseInto(s string) (table string, cols []string, err error) {
	i := indexOutsideQuotes(s, '(')
	if i < 0 {
		return strings.TrimSpace(s), nil, nil
	}
	table, list := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
	if !strings.HasSuffix(list, ")") {
		return "", nil, fmt.Errorf("%w %q: the column list has no closing parenthesis", errBadInto, s)
	}
	list = strings.TrimSuffix(list, ")")
	seen := map[string]bool{}
	for rest := list; ; {
		j := indexOutsideQuotes(rest, ',')
		part := rest
		if j >= 0 {
			part = rest[:j]
		}
		name, err := unquoteName(strings.TrimSpace(part))
		if err != nil {
			return "", nil, fmt.Errorf("%w %q: %w", errBadInto, s, err)
		}
		if seen[strings.ToLower(name)] {
			return "", nil, fmt.Errorf("%w %q: column %q is listed twice", errBadInto, s, name)
		}
		seen[strings.ToLower(name)] = true
		cols = append(cols, name)
		if j < 0 {
			break
		}
		rest = rest[j+1:]
	}
	return table, cols, nil
}

// indexOutsideQuotes finds c outside [..] and ".." quoting (-1 if absent).
func indexOutsideQuotes(s string, c byte) int {
	var quote byte
	for i := 0; i < len(s); i++ {
		switch {
		case quote != 0:
			if s[i] == quote {
				quote = 0 // a doubled closing character reopens at once
			}
		case s[i] == '[':
			quote = ']'
		case s[i] == '"':
			quote = '"'
		case s[i] == c:
			return i
		}
	}
	return -1
}

// unquoteName reads one column name: plain, [bracketed] or "quoted", the
// closing character doubled inside.
func unquoteName(s string) (string, error) {
	if s == "" {
		return "", errors.New("an empty column name")
	}
	if cl := map[byte]string{'[': "]", '"': `"`}[s[0]]; cl != "" {
		if len(s) < 2 || !strings.HasSuffix(s, cl) {
			return "", fmt.Errorf("column name %s is not closed", s)
		}
		inner := s[1 : len(s)-1]
		if strings.Count(inner, cl)%2 != 0 || inner == "" {
			return "", fmt.Errorf("column name %s is not one quoted name", s)
		}
		return strings.ReplaceAll(inner, cl+cl, cl), nil
	}
	if !sqltype.ValidIdentifier(s) {
		return "", fmt.Errorf("column name %q is not a plain identifier (quote it with [ ])", s)
	}
	return s, nil
}

// checkInto refuses a malformed target before anything runs.
func checkInto(req *Request) error {
	if req.IntoTable == "" {
		return nil
	}
	_, cols, err := parseInto(req.IntoTable)
	if err != nil {
		return err
	}
	if len(cols) > 0 && req.CreateTable {
		return fmt.Errorf("%w %q: a column list names an existing table's columns; --create-table makes the table from the output",
			errBadInto, req.IntoTable)
	}
	return nil
}

// openTable begins the write-back. A table it creates takes the output's
// columns as they are; an existing one receives the output BY POSITION, as
// INSERT INTO T [(cols)] EXEC does: the n-th output column goes into the
// table's (or the list's) n-th column, converted by T-SQL's rules.
func (ex *execution) openTable(ctx context.Context, schema *bxl.Schema) *Error {
	req := ex.req
	table, cols, _ := parseInto(req.IntoTable) // checked in prepare
	fail := func(code Code, err error) *Error {
		return &Error{JobID: req.ID, Code: code, Err: fmt.Errorf("write %s: %w", req.IntoTable, ex.sanitize(err))}
	}
	if !req.CreateTable {
		all, err := ex.target.TableColumns(ctx, table)
		if err != nil {
			return fail(CodeDataSource, err)
		}
		sh, err := tableShape(table, all, cols, schema)
		if err != nil {
			return fail(CodeOutput, err)
		}
		ex.into, schema = sh, sh.Schema()
	}
	w, err := ex.target.BeginWrite(ctx, table, req.CreateTable, schema)
	if err != nil {
		return fail(CodeDataSource, err)
	}
	ex.writer = w
	return nil
}

// tableShape maps the output onto the table's columns all (or the listed
// ones) by position and checks each can convert (sqltype.CanCast).
func tableShape(table string, all []datasource.TableColumn, list []string, got *bxl.Schema) (*resultset.Shaper, error) {
	targets := all
	what := fmt.Sprintf("table %s has", table)
	if len(list) > 0 {
		targets = nil
		for _, name := range list {
			i := indexFold(len(all), func(i int) string { return all[i].Field.Name }, name)
			if i < 0 {
				return nil, fmt.Errorf("%w: table %s has no column %q", resultset.ErrMismatch, table, name)
			}
			targets = append(targets, all[i])
		}
		what = "the column list names"
	}
	if len(targets) != len(got.Fields) {
		return nil, fmt.Errorf("%w: INSERT INTO … EXEC maps columns by position: the output data set has %d columns, %s %d",
			resultset.ErrMismatch, len(got.Fields), what, len(targets))
	}
	decls := make([]sqltype.Decl, len(targets))
	for i, c := range targets {
		f := c.Field
		if !c.Typed {
			f = got.Fields[i]
			f.Name, f.Nullable = c.Field.Name, c.Field.Nullable
		}
		decls[i] = sqltype.Decl{Name: f.Name, SQLType: c.SQLType, Field: f}
	}
	return resultset.New(decls, got)
}

func indexFold(n int, name func(int) string, want string) int {
	for i := 0; i < n; i++ {
		if strings.EqualFold(name(i), want) {
			return i
		}
	}
	return -1
}

// write puts one batch into the table, converted to its columns first when
// the table existed.
func (ex *execution) write(b *bxl.Batch) *Error {
	fail := func(code Code, err error) *Error {
		return &Error{JobID: ex.req.ID, Code: code, Err: fmt.Errorf("write %s: %w", ex.req.IntoTable, ex.sanitize(err))}
	}
	if ex.into == nil {
		if err := ex.writer.Write(b); err != nil {
			return fail(CodeDataSource, err)
		}
		return nil
	}
	var werr error
	err := ex.into.Convert(b, func(shaped *bxl.Batch) error {
		werr = ex.writer.Write(shaped)
		return werr
	})
	switch {
	case werr != nil:
		return fail(CodeDataSource, werr)
	case err != nil:
		return fail(CodeOutput, err)
	}
	return nil
}
