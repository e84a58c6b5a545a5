package sqlio

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// TableSpec checks a write's target table (at most maxParts dotted parts)
// and output schema, and renders the quoted table name and the column
// declarations CREATE TABLE needs.
func TableSpec(table string, maxParts int, schema *bxl.Schema, quote func(string) string,
	decl func(bxl.Field) (string, error)) (qtable string, decls []string, err error) {
	parts, err := SplitTableName(table, maxParts)
	if err != nil {
		return "", nil, err
	}
	if schema == nil {
		return "", nil, fmt.Errorf("%w: nil", datasource.ErrBadSchema)
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
	return QuoteParts(parts, quote), decls, nil
}

// BeginTable opens a write's transaction and, when create is set, creates
// the table (qtable is quoted; decls are its column declarations) in it.
func BeginTable(ctx context.Context, db TxBeginner, table, qtable string, decls []string, create bool) (*sql.Tx, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin write to %s: %w", table, err)
	}
	if create {
		if _, err := tx.ExecContext(ctx, "CREATE TABLE "+qtable+" ("+strings.Join(decls, ", ")+")"); err != nil {
			return nil, errors.Join(fmt.Errorf("create table %s: %w", table, err), RollbackError(tx))
		}
	}
	return tx, nil
}

// TxBeginner begins a transaction: a *sql.DB, or a *sql.Conn that must
// keep its session state (SQL Server's EXECUTE AS).
type TxBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// RollbackError rolls tx back after a failure, returning what went wrong
// doing so (nil when it ended cleanly or had ended already).
func RollbackError(tx TxEnder) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("roll back: %w", err)
	}
	return nil
}

// TxEnder ends a writer's work: a *sql.Tx for a direct write, the publish
// step of a staged one (sqliteStage).
type TxEnder interface {
	Commit() error
	Rollback() error
}

// StmtWriter writes batches through one prepared statement inside one
// transaction: all rows or none. Drivers differ only in how a value is
// handed over, in what ends the load, and in sanitizing their errors.
type StmtWriter struct {
	ctx    context.Context
	table  string
	schema *bxl.Schema
	tx     TxEnder
	stmt   *sql.Stmt
	args   []any
	rows   int64
	err    error // first write failure; Commit reports it
	done   bool

	// Value converts one non-NULL value for the driver.
	Value func(f bxl.Field, v any) (any, error)
	// Finish, when set, runs before the commit (SQL Server ends its bulk
	// load there).
	Finish   func() error
	sanitize func(error) error
}

func NewStmtWriter(ctx context.Context, table string, schema *bxl.Schema, tx TxEnder, stmt *sql.Stmt,
	sanitize func(error) error) *StmtWriter {
	return &StmtWriter{ctx: ctx, table: table, schema: schema, tx: tx, stmt: stmt,
		args: make([]any, len(schema.Fields)), sanitize: sanitize}
}

// Written is the number of rows written so far.
func (w *StmtWriter) Written() int64 { return w.rows }

func (w *StmtWriter) Write(b *bxl.Batch) error {
	if w.done {
		return datasource.ErrWriterDone
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
			v, err := w.Value(w.schema.Fields[c], col.Value(r))
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

func (w *StmtWriter) Commit() (int64, error) {
	if w.done {
		return 0, datasource.ErrWriterDone
	}
	w.done = true
	if w.err == nil && w.Finish != nil {
		w.err = w.sanitize(w.Finish())
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

func (w *StmtWriter) Rollback() error {
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

// checkBatch makes sure a batch carries the schema the writer was begun with.
func checkBatch(s *bxl.Schema, b *bxl.Batch) error {
	if b == nil {
		return fmt.Errorf("%w: nil batch", datasource.ErrBadSchema)
	}
	if len(b.Columns) != len(s.Fields) {
		return fmt.Errorf("%w: batch has %d columns, table writer %d", datasource.ErrBadSchema, len(b.Columns), len(s.Fields))
	}
	if b.Schema != nil {
		for i, f := range b.Schema.Fields {
			w := s.Fields[i]
			if f.Type != w.Type || f.Precision != w.Precision || f.Scale != w.Scale {
				return fmt.Errorf("%w: batch column %d is %s, table writer expects %s", datasource.ErrBadSchema, i+1, sqltype.Name(f), sqltype.Name(w))
			}
		}
	}
	return nil
}
