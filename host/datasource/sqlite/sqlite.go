package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/internal/sqlio"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"

	msqlite "modernc.org/sqlite" // also registers driver "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteSource is the embedded instance: one database file, reached
// through two pools. Input queries (the caller's SQL) run on read, whose
// connections are query-only and guarded (readConnector); the host's own
// writes run on write.
type sqliteSource struct {
	read       *sql.DB
	write      *sql.DB
	valueLimit int
}

var _ datasource.Source = (*sqliteSource)(nil)

// Open opens (creating if needed) the SQLite database file at path in
// WAL mode, so an input query can read while an output table is written.
func Open(path string, opts ...datasource.Option) (datasource.Source, error) {
	if path == "" || strings.ContainsAny(path, "?\x00") {
		return nil, fmt.Errorf("open sqlite %q: path must be non-empty and contain no '?'", path)
	}
	o := datasource.ApplyOptions(opts)
	// _txlock=immediate takes the write lock at BEGIN: two writers queue on
	// busy_timeout instead of one failing when it upgrades a read lock.
	write, err := openSQLitePool(path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// The write pool made the file WAL (a persistent setting); the read pool
	// only reads, so it must not set journal_mode itself.
	inner, err := msqlite.NewConnector(path + "?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read := sql.OpenDB(&readConnector{inner: inner, path: path, valueLimit: o.ValueLimit})
	if err := read.Ping(); err != nil {
		_ = read.Close()
		_ = write.Close()
		return nil, fmt.Errorf("open sqlite %s for input queries: %w", path, err)
	}
	return &sqliteSource{read: read, write: write, valueLimit: o.ValueLimit}, nil
}

func openSQLitePool(dsn string) (*sql.DB, error) {
	db, err := sql.Open(datasource.DriverSQLite, dsn)
	if err != nil {
		return nil, err
	}
	if err := db.Ping(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func (s *sqliteSource) Close() error { return errors.Join(s.read.Close(), s.write.Close()) }

func (s *sqliteSource) Query(ctx context.Context, query string, params []datasource.Param, batchBytes int) (datasource.Rows, error) {
	return s.query(ctx, query, params, batchBytes, nil)
}

// query runs an input query, reading only what g grants (nil: the host's
// own reads, every table).
func (s *sqliteSource) query(ctx context.Context, query string, params []datasource.Param, batchBytes int, g *readGrant) (datasource.Rows, error) {
	if err := checkQueryText(query); err != nil {
		return nil, fmt.Errorf("run input query: %w", err)
	}
	args, err := bindArgs(query, params)
	if err != nil {
		return nil, fmt.Errorf("run input query: %w", err)
	}
	sanitize := func(err error) error { return sqliteQueryError(err, s.valueLimit, g.deniedTable()) }
	var rows *sql.Rows
	release := func() error { return nil }
	if g == nil {
		rows, err = s.read.QueryContext(ctx, query, args...)
	} else {
		rows, release, err = s.grantedQuery(ctx, g, query, args)
	}
	if err != nil {
		return nil, fmt.Errorf("run input query: %w", sanitize(err))
	}
	r, err := s.rowsOf(rows, batchBytes, sanitize)
	if err != nil {
		return nil, errors.Join(err, release())
	}
	return &releasingRows{Rows: r, release: release}, nil
}

// rowsOf streams rows typed by their declared columns.
func (s *sqliteSource) rowsOf(rows *sql.Rows, batchBytes int, sanitize func(error) error) (datasource.Rows, error) {
	cts, err := rows.ColumnTypes()
	if err != nil {
		_ = rows.Close()
		return nil, fmt.Errorf("read result columns: %w", err)
	}
	cols := make([]sqlio.Column, len(cts))
	for i, ct := range cts {
		if cols[i], err = sqliteColumn(ct.Name(), ct.DatabaseTypeName()); err != nil {
			_ = rows.Close()
			return nil, err
		}
	}
	return sqlio.NewRows(rows, cols, batchBytes, s.valueLimit, sanitize)
}

// bindArgs binds each @variable the query names to its declared param's
// value, stored the way a write-back stores that type (sqliteValue), under
// the query's own spelling: SQLite compares parameter names exactly, T-SQL
// does not.
func bindArgs(query string, params []datasource.Param) ([]any, error) {
	refs, err := sqlio.BindRefs(query, params)
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, len(refs))
	for name, p := range refs {
		var v any
		if p.Value != nil {
			if v, err = sqliteValue(p.Field, p.Value); err != nil {
				return nil, fmt.Errorf("param @%s: %w", p.Name, err)
			}
		}
		args = append(args, sql.Named(name, v))
	}
	return args, nil
}

// sqliteQueryError explains SQLite's refusals of an input query: a value
// beyond SQLITE_LIMIT_LENGTH (SQLite does not say which column), a table
// the caller's grant does not cover (denied, from the authorizer) and a
// statement the authorizer denied.
func sqliteQueryError(err error, valueLimit int, denied string) error {
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_TOOBIG:
		return fmt.Errorf("a value or row %w of %s (SQLite refused to build it): %w", datasource.ErrValueTooLarge, sqlio.FormatBytes(valueLimit), err)
	case sqlite3.SQLITE_AUTH:
		if denied != "" {
			return fmt.Errorf("%w: the caller's grant does not allow reading table %q (read_tables)", datasource.ErrPermissionDenied, denied)
		}
		return fmt.Errorf("%w: an input query may only read (SELECT); it cannot attach, vacuum, change pragmas, "+
			"create or change tables or call load_extension", err)
	}
	return err
}

// sqliteColumn maps a declared column type through the type table; an
// unknown declaration is inferred from the data.
func sqliteColumn(name, decl string) (sqlio.Column, error) {
	f, known, err := sqltype.SQLiteField(name, decl)
	if err != nil {
		return sqlio.Column{}, fmt.Errorf("%w: %w", datasource.ErrUnsupportedType, err)
	}
	return sqlio.Column{Field: f, Known: known}, nil
}

// sqliteDecl is the declared type of a created column.
func sqliteDecl(f bxl.Field) (string, error) {
	d, err := sqltype.SQLiteDecl(f)
	if err != nil {
		return "", fmt.Errorf("%w: column %q: %w", datasource.ErrBadSchema, f.Name, err)
	}
	return d, nil
}

// sqliteValue turns a BXL value into what the column declared by sqliteDecl
// stores: text forms that sqliteColumn and modernc parse back exactly.
func sqliteValue(f bxl.Field, v any) (any, error) {
	switch x := v.(type) {
	case bool:
		if x {
			return int64(1), nil
		}
		return int64(0), nil
	case bxl.Decimal:
		return x.String(), nil
	case bxl.UUID:
		return x.String(), nil
	case time.Duration:
		return bxl.FormatTimeOfDay(x), nil
	case time.Time:
		switch f.Type {
		case bxl.TypeDate:
			return x.Format(time.DateOnly), nil
		case bxl.TypeTime:
			return bxl.FormatTimeOfDay(bxl.TimeOfDay(x)), nil
		case bxl.TypeDateTimeOffset:
			return x.Format("2006-01-02 15:04:05.999999-07:00"), nil
		default:
			return x.Format("2006-01-02 15:04:05.999999"), nil
		}
	case float32:
		return float64(x), nil
	case int8, int16, int32, int64, float64, string, []byte:
		if i, ok := sqlio.AsInt64(x); ok && f.Type != bxl.TypeFloat32 && f.Type != bxl.TypeFloat64 {
			return i, nil
		}
		return x, nil
	}
	return nil, fmt.Errorf("%w: column %q: cannot store %T", datasource.ErrValueMismatch, f.Name, v)
}
