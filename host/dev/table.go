package dev

import (
	"context"
	"errors"
	"fmt"

	"github.com/openlaunchpad/launchpad/host/datasource/sqlite"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// ErrBadRow is wrapped when a row given to CreateTable does not fit its
// columns.
var ErrBadRow = errors.New("bad row")

// CreateTable creates table in the SQLite instance at path (creating the
// file if needed) from columns declared as SQL Server declares them ("id
// bigint NOT NULL, price decimal(10,2)") and rows of values, each nil for
// NULL or a string holding the value as a T-SQL literal reads
// (sqltype.ParseValue: "1", "0x00FF", "2024-02-29 13:45:00.5+05:45"). The
// table goes through the host's own write-back, so the host's type table
// alone decides how the instance declares each column and stores each
// value: a test that states its data in T-SQL (the conformance kit) holds
// no SQLite mapping of its own. All rows are written or none.
func CreateTable(ctx context.Context, path, table, columns string, rows [][]any) (err error) {
	decls, err := sqltype.ParseColumns(columns)
	if err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	if len(decls) == 0 {
		return fmt.Errorf("create table %s: %w: no columns", table, sqltype.ErrBadDeclaration)
	}
	schema := &bxl.Schema{Fields: make([]bxl.Field, len(decls))}
	for i, d := range decls {
		schema.Fields[i] = d.Field
	}
	batch, err := literalBatch(schema, rows)
	if err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	src, err := sqlite.Open(path)
	if err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	defer func() { err = errors.Join(err, src.Close()) }()
	w, err := src.BeginWrite(ctx, table, true, schema)
	if err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	if err := w.Write(batch); err != nil {
		return errors.Join(fmt.Errorf("create table %s: %w", table, err), w.Rollback())
	}
	if _, err := w.Commit(); err != nil {
		return fmt.Errorf("create table %s: %w", table, err)
	}
	return nil
}

// literalBatch parses rows of T-SQL literals into one batch of schema; an
// error names the row (from 1) and the column.
func literalBatch(schema *bxl.Schema, rows [][]any) (*bxl.Batch, error) {
	b := bxl.NewBuilder(schema)
	vals := make([]any, len(schema.Fields))
	for r, row := range rows {
		if len(row) != len(schema.Fields) {
			return nil, fmt.Errorf("%w %d: %d values for %d columns", ErrBadRow, r+1, len(row), len(schema.Fields))
		}
		for c, lit := range row {
			v, err := parseLiteral(schema.Fields[c], lit)
			if err != nil {
				return nil, fmt.Errorf("%w %d: %w", ErrBadRow, r+1, err)
			}
			vals[c] = v
		}
		if err := b.AppendRow(vals...); err != nil {
			return nil, fmt.Errorf("%w %d: %w", ErrBadRow, r+1, err)
		}
	}
	return b.Build(), nil
}

// parseLiteral reads one value of rows: nil (NULL) or a literal's text.
func parseLiteral(f bxl.Field, lit any) (any, error) {
	switch x := lit.(type) {
	case nil:
		return nil, nil
	case string:
		return sqltype.ParseValue(f, x)
	}
	return nil, fmt.Errorf("column %s: %T is not a literal (want a string, or nil for NULL)", f.Name, lit)
}
