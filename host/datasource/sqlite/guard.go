package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// readConnector opens the connections input queries run on. The caller's
// query is SQL that runs inside the root host, with the host's file rights:
// ATTACH would read (or create) any file, VACUUM INTO would write a copy of
// the instance anywhere, PRAGMA changes connection and process state
// (hard_heap_limit is process-wide). Each connection therefore gets, before
// it is handed out:
//   - PRAGMA query_only=1 (in the DSN): no statement writes any database;
//   - an authorizer allowing only SELECT, reading tables, recursive CTEs and
//     functions other than load_extension, so query_only cannot be turned off
//     and ATTACH, DETACH, VACUUM's ATTACH, DDL, DML and transactions fail
//     when they are prepared;
//   - SQLITE_LIMIT_ATTACHED 0: no other database can be attached even if
//     the authorizer were bypassed;
//   - SQLITE_LIMIT_LENGTH at the value limit: SQLite itself refuses to build
//     a string, blob or row larger than that, before the host copies it.
//
// modernc.org/sqlite v1.60.1 exposes neither the authorizer nor the raw
// handle, so guardConn reads the connection's handle through reflection and
// checks every limit it sets by reading it back: a driver upgrade that moves
// the fields fails every input query loudly rather than running unguarded.
type readConnector struct {
	inner      driver.Connector
	path       string // the instance file, attached again as schema dbo
	valueLimit int
}

var _ driver.Connector = (*readConnector)(nil)

func (c *readConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if err := attachDBO(ctx, conn, c.path); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("attach schema dbo to input query connection: %w", err)
	}
	if err := guardConn(conn, c.valueLimit); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("guard input query connection: %w", err)
	}
	return conn, nil
}

func (c *readConnector) Driver() driver.Driver { return c.inner.Driver() }

// attachDBO makes SQL Server's default schema name the instance itself,
// so `dbo.T` and `[dbo].[T]` name the same table as `T` and a query
// written for SQL Server runs unchanged: SQLite's schema names are database
// names, so the instance file is attached a second time under the name
// dbo. The host does it, with a fixed path, before guardConn closes ATTACH
// to the caller (SQLITE_LIMIT_ATTACHED 0, the authorizer); query_only
// covers every database of the connection, so dbo is read-only like main.
func attachDBO(ctx context.Context, conn driver.Conn, path string) error {
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		return fmt.Errorf("sqlite connection %T cannot execute statements", conn)
	}
	_, err := ex.ExecContext(ctx, "ATTACH DATABASE ? AS dbo", []driver.NamedValue{{Ordinal: 1, Value: path}})
	return err
}

// sqliteHandle returns the sqlite3* and TLS of a modernc.org/sqlite
// connection (fields db and tls of its unexported conn type).
func sqliteHandle(conn driver.Conn) (*libc.TLS, uintptr, error) {
	v := reflect.ValueOf(conn)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, 0, fmt.Errorf("unexpected sqlite connection type %T", conn)
	}
	db, tls := v.Elem().FieldByName("db"), v.Elem().FieldByName("tls")
	if !db.IsValid() || db.Kind() != reflect.Uintptr || !tls.IsValid() || tls.Type() != reflect.TypeOf((*libc.TLS)(nil)) {
		return nil, 0, fmt.Errorf("sqlite connection %T has no db/tls fields (driver changed?)", conn)
	}
	if db.Uint() == 0 || tls.IsNil() {
		return nil, 0, fmt.Errorf("sqlite connection %T is not open", conn)
	}
	return (*libc.TLS)(tls.UnsafePointer()), uintptr(db.Uint()), nil
}

// guardConn applies the limits and the authorizer described on readConnector.
func guardConn(conn driver.Conn, valueLimit int) error {
	tls, db, err := sqliteHandle(conn)
	if err != nil {
		return err
	}
	limits := []struct {
		id   int32
		val  int32
		name string
	}{
		{sqlite3.SQLITE_LIMIT_ATTACHED, 0, "attached"},
		{sqlite3.SQLITE_LIMIT_LENGTH, int32(min(valueLimit, 1<<31-1)), "length"},
	}
	for _, l := range limits {
		// SQLite caps a limit at its compile-time maximum (1e9 bytes for
		// length): never ask for more than the current value.
		l.val = min(l.val, sqlite3.Xsqlite3_limit(tls, db, l.id, -1))
		sqlite3.Xsqlite3_limit(tls, db, l.id, l.val)
		if got := sqlite3.Xsqlite3_limit(tls, db, l.id, -1); got != l.val {
			return fmt.Errorf("sqlite limit %s is %d after setting it to %d", l.name, got, l.val)
		}
	}
	if rc := sqlite3.Xsqlite3_set_authorizer(tls, db, funcPointer(inputAuthorizer), 0); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("set sqlite authorizer: code %d", rc)
	}
	return nil
}

// funcPointer turns a Go function into the function pointer form
// modernc.org/sqlite's translated C calls through (a pointer to the func
// value; the same conversion the driver uses for its own callbacks).
func funcPointer[T any](f T) uintptr {
	return *(*uintptr)(unsafe.Pointer(&struct{ f T }{f}))
}

// deniedFunctions are SQL functions an input query must not call even
// though reading is allowed: they load code or change global state.
var deniedFunctions = map[string]bool{"load_extension": true, "fts3_tokenizer": true}

// inputAuthorizer is SQLite's authorizer callback for input queries: a
// plain read is all a caller may do, and with a grant (a non-zero handle,
// scoped.go) only of the granted tables. Anything else is SQLITE_DENY, which
// fails the statement at prepare time with "not authorized".
func inputAuthorizer(_ *libc.TLS, grant uintptr, action int32, arg1, arg2, arg3, _ uintptr) int32 {
	switch action {
	case sqlite3.SQLITE_READ:
		if grant == 0 {
			return sqlite3.SQLITE_OK
		}
		return authorizeRead(grant, arg1, arg3)
	case sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE:
		return sqlite3.SQLITE_OK
	case sqlite3.SQLITE_FUNCTION:
		if arg2 != 0 && deniedFunctions[strings.ToLower(libc.GoString(arg2))] {
			return sqlite3.SQLITE_DENY
		}
		return sqlite3.SQLITE_OK
	}
	return sqlite3.SQLITE_DENY
}
