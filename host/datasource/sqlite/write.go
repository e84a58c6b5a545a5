package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/internal/sqlio"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// stageTable is the staging table in a write connection's private temp
// database. The connection is the writer's alone and is discarded when the
// writer ends, so the name cannot collide.
const stageTable = "temp.launchpad_stage"

// BeginWrite stages the output instead of writing the table directly: a
// job's script runs for minutes while its output arrives, and SQLite has
// one writer, so holding the write lock that long made every other
// write-back fail with "database is locked". datasource.Rows go into a temp table of
// the writer's own connection (SQLite's temp database: memory up to its
// page cache, then an anonymous temp file, bounded by the job's max_output);
// Commit then copies them into the target in one short IMMEDIATE
// transaction, all rows or none.
func (s *sqliteSource) BeginWrite(ctx context.Context, table string, create bool, schema *bxl.Schema) (datasource.TableWriter, error) {
	qtable, decls, err := sqlio.TableSpec(table, 2, schema, sqlio.QuoteDouble, sqliteDecl)
	if err != nil {
		return nil, err
	}
	if qtable, err = sqliteMainTable(table); err != nil {
		return nil, err
	}
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin write to %s: %w", table, err)
	}
	st := &sqliteStage{ctx: ctx, conn: conn}
	stmt, err := st.prepare(table, qtable, decls, create, schema)
	if err != nil {
		st.discard()
		return nil, err
	}
	w := sqlio.NewStmtWriter(ctx, table, schema, st, stmt, func(err error) error { return err })
	w.Value = sqliteValue
	return w, nil
}

// sqliteMainTable qualifies the target with schema main: an unqualified name
// would resolve to the staging connection's temp database first, and a temp
// table would vanish with the connection. SQL Server's default schema dbo
// is the instance too, as it is for input queries (attachDBO).
func sqliteMainTable(table string) (string, error) {
	parts, err := sqlio.SplitTableName(table, 2)
	if err != nil {
		return "", err
	}
	if len(parts) == 2 && !strings.EqualFold(parts[0], "main") && !strings.EqualFold(parts[0], "dbo") {
		return "", fmt.Errorf("%w %q: a SQLite output table lives in schema main (dbo names it too)", datasource.ErrBadTableName, table)
	}
	return sqlio.QuoteDouble("main") + "." + sqlio.QuoteDouble(parts[len(parts)-1]), nil
}

// sqliteStage is the publish step of a staged SQLite write.
type sqliteStage struct {
	ctx     context.Context
	conn    *sql.Conn
	create  string // CREATE TABLE statement, or "" for an existing table
	publish string // INSERT … SELECT from the staging table
	table   string
}

// prepare checks the target (so a wrong table fails before the script
// runs), creates the staging table, opens the staging transaction (temp
// database only: the instance is not locked) and prepares the staging insert.
func (st *sqliteStage) prepare(table, qtable string, decls []string, create bool, schema *bxl.Schema) (*sql.Stmt, error) {
	ctx := st.ctx
	st.table = table
	names := make([]string, len(schema.Fields))
	cols := make([]string, len(schema.Fields))
	for i, f := range schema.Fields {
		names[i], cols[i] = sqlio.QuoteDouble(f.Name), fmt.Sprintf("c%d", i)
	}
	// Untyped columns store each value exactly as bound; the target's own
	// column affinity applies once, in the publish step, as a direct
	// insert would.
	if _, err := st.conn.ExecContext(ctx, "CREATE TABLE "+stageTable+" ("+strings.Join(cols, ", ")+")"); err != nil {
		return nil, fmt.Errorf("stage write to %s: %w", table, err)
	}
	st.publish = "INSERT INTO " + qtable + " (" + strings.Join(names, ", ") + ") SELECT " +
		strings.Join(cols, ", ") + " FROM " + stageTable + " ORDER BY rowid"
	if create {
		st.create = "CREATE TABLE " + qtable + " (" + strings.Join(decls, ", ") + ")"
		if err := st.checkAbsent(qtable); err != nil {
			return nil, err
		}
	} else if err := st.checkPublish(); err != nil {
		return nil, err
	}
	if _, err := st.conn.ExecContext(ctx, "BEGIN"); err != nil {
		return nil, fmt.Errorf("stage write to %s: %w", table, err)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")
	stmt, err := st.conn.PrepareContext(ctx, "INSERT INTO "+stageTable+" VALUES ("+marks+")")
	if err != nil {
		return nil, fmt.Errorf("stage write to %s: %w", table, err)
	}
	return stmt, nil
}

// checkAbsent fails when the table to create exists already.
func (st *sqliteStage) checkAbsent(qtable string) error {
	rows, err := st.conn.QueryContext(st.ctx, "SELECT 1 FROM "+qtable+" LIMIT 0")
	if err == nil {
		_ = rows.Close()
		return fmt.Errorf("create table %s: table already exists", st.table)
	}
	if !strings.Contains(err.Error(), "no such table") {
		return fmt.Errorf("create table %s: %w", st.table, err)
	}
	return nil
}

// checkPublish prepares the publish statement once: an existing table that
// lacks a column fails now rather than after the script ran.
func (st *sqliteStage) checkPublish() error {
	stmt, err := st.conn.PrepareContext(st.ctx, st.publish)
	if err != nil {
		return fmt.Errorf("prepare insert into %s: %w", st.table, err)
	}
	return stmt.Close()
}

// Commit ends staging and publishes the staged rows in one short write
// transaction (BEGIN IMMEDIATE: it waits on busy_timeout for another
// writer's publish instead of failing).
func (st *sqliteStage) Commit() (err error) {
	defer st.discard()
	if _, err := st.conn.ExecContext(st.ctx, "COMMIT"); err != nil {
		return fmt.Errorf("finish staging %s: %w", st.table, err)
	}
	tx, err := st.conn.BeginTx(st.ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write to %s: %w", st.table, err)
	}
	defer func() {
		if err != nil {
			if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
				err = errors.Join(err, fmt.Errorf("roll back: %w", rbErr))
			}
		}
	}()
	if st.create != "" {
		if _, err := tx.ExecContext(st.ctx, st.create); err != nil {
			return fmt.Errorf("create table %s: %w", st.table, err)
		}
	}
	if _, err := tx.ExecContext(st.ctx, st.publish); err != nil {
		return fmt.Errorf("write %s: %w", st.table, err)
	}
	return tx.Commit()
}

// Rollback drops the staged rows; the instance was never touched.
func (st *sqliteStage) Rollback() error {
	st.discard()
	return nil
}

// discard closes the writer's connection instead of returning it to the
// pool, which drops its temp database and staged rows with it.
func (st *sqliteStage) discard() {
	if st.conn == nil {
		return
	}
	_ = st.conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = st.conn.Close()
	st.conn = nil
}

// TableColumns reads an existing table's columns from its declaration
// (main or dbo; the write pool, since the guarded read pool refuses
// PRAGMA functions).
func (s *sqliteSource) TableColumns(ctx context.Context, table string) ([]datasource.TableColumn, error) {
	parts, err := sqlio.SplitTableName(table, 2)
	if err != nil {
		return nil, err
	}
	if _, err := sqliteMainTable(table); err != nil {
		return nil, err
	}
	rows, err := s.write.QueryContext(ctx, `SELECT name, type, "notnull" FROM pragma_table_info(?, 'main') ORDER BY cid`,
		parts[len(parts)-1])
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	defer rows.Close()
	var cols []datasource.TableColumn
	for rows.Next() {
		var name, decl string
		var notNull bool
		if err := rows.Scan(&name, &decl, &notNull); err != nil {
			return nil, fmt.Errorf("read the columns of %s: %w", table, err)
		}
		c, err := sqliteColumn(name, decl)
		if err != nil {
			return nil, err
		}
		c.Field.Nullable = !notNull
		cols = append(cols, datasource.TableColumn{Field: c.Field, Typed: c.Known, SQLType: decl})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("%w %q: no such table", datasource.ErrBadTableName, table)
	}
	return cols, nil
}
