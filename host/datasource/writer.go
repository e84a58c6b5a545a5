package datasource

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// tableSpec checks a write's target table (at most maxParts dotted parts)
// and output schema, and renders the quoted table name and the column
// declarations CREATE TABLE needs.
func tableSpec(table string, maxParts int, schema *bxl.Schema, quote func(string) string,
	decl func(bxl.Field) (string, error)) (qtable string, decls []string, err error) {
	parts, err := splitTableName(table, maxParts)
	if err != nil {
		return "", nil, err
	}
	if schema == nil {
		return "", nil, fmt.Errorf("%w: nil", ErrBadSchema)
	}
	if err := checkOutputSchema(len(schema.Fields), func(i int) string { return schema.Fields[i].Name }); err != nil {
		return "", nil, err
	}
	decls = make([]string, len(schema.Fields))
	for i, f := range schema.Fields {
		d, err := decl(f)
		if err != nil {
			return "", nil, err
		}
		decls[i] = quote(f.Name) + " " + d
	}
	return quoteParts(parts, quote), decls, nil
}

// beginTable opens a write's transaction and, when create is set, creates
// the table (qtable is quoted; decls are its column declarations) in it.
func beginTable(ctx context.Context, db *sql.DB, table, qtable string, decls []string, create bool) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin write to %s: %w", table, err)
	}
	if create {
		if _, err := tx.ExecContext(ctx, "CREATE TABLE "+qtable+" ("+strings.Join(decls, ", ")+")"); err != nil {
			_ = tx.Rollback()
			return nil, fmt.Errorf("create table %s: %w", table, err)
		}
	}
	return tx, nil
}

// txEnder ends a writer's work: a *sql.Tx for a direct write, the publish
// step of a staged one (sqliteStage).
type txEnder interface {
	Commit() error
	Rollback() error
}

// stmtWriter writes batches through one prepared statement inside one
// transaction: all rows or none. Drivers differ only in how a value is
// handed over, in what ends the load, and in sanitizing their errors.
type stmtWriter struct {
	ctx    context.Context
	table  string
	schema *bxl.Schema
	tx     txEnder
	stmt   *sql.Stmt
	args   []any
	rows   int64
	err    error // first write failure; Commit reports it
	done   bool

	// value converts one non-NULL value for the driver.
	value func(f bxl.Field, v any) (any, error)
	// finish, when set, runs before the commit (SQL Server ends its bulk
	// load there).
	finish   func() error
	sanitize func(error) error
}

func newStmtWriter(ctx context.Context, table string, schema *bxl.Schema, tx txEnder, stmt *sql.Stmt,
	sanitize func(error) error) *stmtWriter {
	return &stmtWriter{ctx: ctx, table: table, schema: schema, tx: tx, stmt: stmt,
		args: make([]any, len(schema.Fields)), sanitize: sanitize}
}

func (w *stmtWriter) Write(b *bxl.Batch) error {
	if w.done {
		return ErrWriterDone
	}
	if w.err != nil {
		return w.err
	}
	if err := checkBatch(w.schema, b); err != nil {
		w.err = err
		return err
	}
	for r := 0; r < b.Rows; r++ {
		for c := range b.Columns {
			col := &b.Columns[c]
			if col.IsNull(r) {
				w.args[c] = nil
				continue
			}
			v, err := w.value(w.schema.Fields[c], col.Value(r))
			if err != nil {
				w.err = fmt.Errorf("write %s row %d: %w", w.table, w.rows+1, err)
				return w.err
			}
			w.args[c] = v
		}
		if _, err := w.stmt.ExecContext(w.ctx, w.args...); err != nil {
			w.err = w.sanitize(fmt.Errorf("write %s row %d: %w", w.table, w.rows+1, err))
			return w.err
		}
		w.rows++
	}
	return nil
}

func (w *stmtWriter) Commit() (int64, error) {
	if w.done {
		return 0, ErrWriterDone
	}
	w.done = true
	if w.err == nil && w.finish != nil {
		w.err = w.sanitize(w.finish())
	}
	_ = w.stmt.Close() // the transaction's end releases it anyway
	if w.err != nil {
		if rbErr := w.tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return 0, errors.Join(w.err, w.sanitize(fmt.Errorf("roll back: %w", rbErr)))
		}
		return 0, w.err
	}
	if err := w.tx.Commit(); err != nil {
		return 0, w.sanitize(fmt.Errorf("commit write to %s: %w", w.table, err))
	}
	return w.rows, nil
}

func (w *stmtWriter) Rollback() error {
	if w.done {
		return nil
	}
	w.done = true
	_ = w.stmt.Close()
	if err := w.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return w.sanitize(fmt.Errorf("roll back write to %s: %w", w.table, err))
	}
	return nil
}
