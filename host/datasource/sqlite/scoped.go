package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// Scoped returns the instance as one caller may use it: every query reads
// only the tables of r.ReadTables (the authorizer, per query) and writes go
// only into r.WriteTables (checked before anything is staged). r.Login, a
// SQL Server login, means nothing here: the tables decide.
func (s *sqliteSource) Scoped(r datasource.Rights) (datasource.Source, error) {
	return &scopedSource{inner: s, rights: r}, nil
}

var _ datasource.Scoper = (*sqliteSource)(nil)

// scopedSource is the instance seen through one caller's grant.
type scopedSource struct {
	inner  *sqliteSource
	rights datasource.Rights
}

func (s *scopedSource) Query(ctx context.Context, query string, params []datasource.Param, batchBytes int) (datasource.Rows, error) {
	return s.inner.query(ctx, query, params, batchBytes, &readGrant{rights: s.rights})
}

func (s *scopedSource) BeginWrite(ctx context.Context, table string, create bool, schema *bxl.Schema) (datasource.TableWriter, error) {
	if err := s.rights.CheckWrite(table); err != nil {
		return nil, err
	}
	return s.inner.BeginWrite(ctx, table, create, schema)
}

// TableColumns serves INSERT INTO T EXEC, a write: it needs the write grant.
func (s *scopedSource) TableColumns(ctx context.Context, table string) ([]datasource.TableColumn, error) {
	if err := s.rights.CheckWrite(table); err != nil {
		return nil, err
	}
	return s.inner.TableColumns(ctx, table)
}

// Close leaves the instance open: it outlives every caller.
func (s *scopedSource) Close() error { return nil }

// readGrant is one query's read rights as the authorizer consults them.
type readGrant struct {
	rights datasource.Rights
	// mu guards denied: the first table the authorizer refused.
	mu     sync.Mutex
	denied string
}

// grants maps the authorizer's argument (a handle, never a Go pointer
// that C-side code would hold) to the running query's grant.
var grants = struct {
	sync.Mutex
	next uintptr
	m    map[uintptr]*readGrant
}{m: map[uintptr]*readGrant{}}

func registerGrant(g *readGrant) uintptr {
	grants.Lock()
	defer grants.Unlock()
	grants.next++
	grants.m[grants.next] = g
	return grants.next
}

func dropGrant(h uintptr) {
	grants.Lock()
	delete(grants.m, h)
	grants.Unlock()
}

func lookupGrant(h uintptr) *readGrant {
	grants.Lock()
	defer grants.Unlock()
	return grants.m[h]
}

// authorizeRead decides a SQLITE_READ of a query run with grant handle h.
// Only the table read counts, never the view SQLite names as the reader: a
// CTE is reported as a view too, so `WITH granted AS (SELECT … FROM
// secret)` would pass for a grant of "granted". A view is readable when
// it and the tables it reads are granted. A table of another database (temp) or SQLite's
// own catalogue (sqlite_master) is readable only with "*". An unknown
// handle denies: fail closed.
func authorizeRead(h uintptr, table, db uintptr) int32 {
	g := lookupGrant(h)
	if g == nil {
		return sqlite3.SQLITE_DENY
	}
	if g.rights.MayRead(datasource.AllTables) {
		return sqlite3.SQLITE_OK
	}
	name := libc.GoString(table)
	dbName := strings.ToLower(libc.GoString(db))
	// SQLite names no database for a read of the rowid alone (count(*), an
	// INTEGER PRIMARY KEY); the caller can create no temp table to shadow
	// one of main's, so it is main's.
	if dbName == "main" || dbName == "dbo" || dbName == "" {
		if !strings.HasPrefix(strings.ToLower(name), "sqlite_") && g.rights.MayRead(name) {
			return sqlite3.SQLITE_OK
		}
	}
	g.mu.Lock()
	if g.denied == "" {
		g.denied = name
	}
	g.mu.Unlock()
	return sqlite3.SQLITE_DENY
}

// deniedTable is the table the authorizer refused, "" if none.
func (g *readGrant) deniedTable() string {
	if g == nil {
		return ""
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.denied
}

// setGrant points the connection's authorizer at grant handle h (0: the
// host's own unrestricted reads).
func setGrant(conn driver.Conn, h uintptr) error {
	tls, db, err := sqliteHandle(conn)
	if err != nil {
		return err
	}
	if rc := sqlite3.Xsqlite3_set_authorizer(tls, db, funcPointer(inputAuthorizer), h); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("set sqlite authorizer: code %d", rc)
	}
	return nil
}

// grantedQuery runs query on a connection of its own whose authorizer
// applies g; the connection goes back to the pool, unrestricted again, when
// the rows close (or is discarded if that fails).
func (s *sqliteSource) grantedQuery(ctx context.Context, g *readGrant, query string, args []any) (*sql.Rows, func() error, error) {
	conn, err := s.read.Conn(ctx)
	if err != nil {
		return nil, nil, err
	}
	h := registerGrant(g)
	release := func() error {
		err := conn.Raw(func(dc any) error {
			if err := setGrant(dc.(driver.Conn), 0); err != nil {
				return errors.Join(err, driver.ErrBadConn)
			}
			return nil
		})
		dropGrant(h)
		return errors.Join(err, conn.Close())
	}
	if err := conn.Raw(func(dc any) error { return setGrant(dc.(driver.Conn), h) }); err != nil {
		return nil, nil, errors.Join(err, release())
	}
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, errors.Join(err, release())
	}
	return rows, release, nil
}

// releasingRows closes the query's own connection after its rows.
type releasingRows struct {
	datasource.Rows
	release func() error
	once    sync.Once
}

func (r *releasingRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(func() { err = errors.Join(err, r.release()) })
	return err
}
