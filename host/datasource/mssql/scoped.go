package mssql

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

var _ datasource.Scoper = (*sqlServerSource)(nil)

// Scoped returns the instance as one caller may use it: queries, writes and
// column lookups run as the caller's login (r.Login, EXECUTE AS LOGIN …
// REVERT on one connection), so the server's own permissions decide what
// it reads and writes, and writes go only into r.WriteTables. A grant that
// limits reads (ReadTables other than "*") but maps no login is refused:
// the host's own login would read everything.
func (s *sqlServerSource) Scoped(r datasource.Rights) (datasource.Source, error) {
	if r.Login == "" && !r.MayRead(datasource.AllTables) {
		return nil, fmt.Errorf("%w: on SQL Server the server's permissions decide reads: the grant limits read_tables "+
			"but maps the caller to no login (sql_login)", datasource.ErrPermissionDenied)
	}
	return &scopedSource{inner: s, rights: r}, nil
}

// scopedSource is the instance seen through one caller's grant.
type scopedSource struct {
	inner  *sqlServerSource
	rights datasource.Rights
}

// asLogin takes a connection of its own running as the caller's login
// (the host's own when the grant names none); release reverts and returns
// it, or discards it when REVERT fails so no other query inherits the
// caller's context.
func (s *scopedSource) asLogin(ctx context.Context) (*sql.Conn, func() error, error) {
	conn, err := s.inner.db.Conn(ctx)
	if err != nil {
		return nil, nil, s.inner.sanitize(err)
	}
	end := conn.Close
	if s.rights.Login != "" {
		if _, err := conn.ExecContext(ctx, "EXECUTE AS LOGIN = @login", sql.Named("login", s.rights.Login)); err != nil {
			return nil, nil, errors.Join(fmt.Errorf("%w: run as login %s: %w", datasource.ErrPermissionDenied,
				s.rights.Login, s.inner.sanitize(err)), conn.Close())
		}
		end = func() error { return revert(conn) }
	}
	var once sync.Once
	var rerr error
	release := func() error {
		once.Do(func() { rerr = end() })
		return rerr
	}
	return conn, release, nil
}

// revert ends the impersonation with a context of its own (the job's may
// be over) and gives the connection back, or throws it away.
func revert(conn *sql.Conn) error {
	_, err := conn.ExecContext(context.Background(), "REVERT")
	if err != nil {
		err = fmt.Errorf("revert login context: %w", err)
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return errors.Join(err, conn.Close())
}

func (s *scopedSource) Query(ctx context.Context, query string, params []datasource.Param, batchBytes int) (datasource.Rows, error) {
	conn, release, err := s.asLogin(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.inner.query(ctx, conn, query, params, batchBytes)
	if err != nil {
		return nil, errors.Join(err, release())
	}
	return &releasingRows{Rows: rows, release: release}, nil
}

func (s *scopedSource) BeginWrite(ctx context.Context, table string, create bool, schema *bxl.Schema) (datasource.TableWriter, error) {
	if err := s.rights.CheckWrite(table); err != nil {
		return nil, err
	}
	conn, release, err := s.asLogin(ctx)
	if err != nil {
		return nil, err
	}
	w, err := s.inner.beginWrite(ctx, conn, table, create, schema, release)
	if err != nil {
		return nil, errors.Join(err, release())
	}
	return w, nil
}

// TableColumns serves INSERT INTO T EXEC, a write: it needs the write grant.
func (s *scopedSource) TableColumns(ctx context.Context, table string) ([]datasource.TableColumn, error) {
	if err := s.rights.CheckWrite(table); err != nil {
		return nil, err
	}
	conn, release, err := s.asLogin(ctx)
	if err != nil {
		return nil, err
	}
	cols, err := s.inner.tableColumns(ctx, conn, table)
	return cols, errors.Join(err, release())
}

// Close leaves the instance open: it outlives every caller.
func (s *scopedSource) Close() error { return nil }

// releasingRows releases the query's connection after its rows.
type releasingRows struct {
	datasource.Rows
	release func() error
}

func (r *releasingRows) Close() error { return errors.Join(r.Rows.Close(), r.release()) }

// thenTx runs then once the write's transaction ended, either way.
type thenTx struct {
	tx   *sql.Tx
	then func() error
}

func (t *thenTx) Commit() error   { return errors.Join(t.tx.Commit(), t.then()) }
func (t *thenTx) Rollback() error { return errors.Join(t.tx.Rollback(), t.then()) }
