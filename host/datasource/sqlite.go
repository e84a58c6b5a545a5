package datasource

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"

	"modernc.org/sqlite" // also registers driver "sqlite"
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

var _ Source = (*sqliteSource)(nil)

// OpenSQLite opens (creating if needed) the SQLite database file at path in
// WAL mode, so an input query can read while an output table is written.
func OpenSQLite(path string, opts ...Option) (Source, error) {
	if path == "" || strings.ContainsAny(path, "?\x00") {
		return nil, fmt.Errorf("open sqlite %q: path must be non-empty and contain no '?'", path)
	}
	o := applyOptions(opts)
	// _txlock=immediate takes the write lock at BEGIN: two writers queue on
	// busy_timeout instead of one failing when it upgrades a read lock.
	write, err := openSQLitePool(path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// The write pool made the file WAL (a persistent setting); the read pool
	// only reads, so it must not set journal_mode itself.
	inner, err := sqlite.NewConnector(path + "?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	read := sql.OpenDB(&readConnector{inner: inner, valueLimit: o.valueLimit})
	if err := read.Ping(); err != nil {
		_ = read.Close()
		_ = write.Close()
		return nil, fmt.Errorf("open sqlite %s for input queries: %w", path, err)
	}
	return &sqliteSource{read: read, write: write, valueLimit: o.valueLimit}, nil
}

func openSQLitePool(dsn string) (*sql.DB, error) {
	db, err := sql.Open(DriverSQLite, dsn)
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

func (s *sqliteSource) Query(ctx context.Context, query string, batchBytes int) (Rows, error) {
	if err := checkQueryText(query); err != nil {
		return nil, fmt.Errorf("run input query: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("run input query: %w", sqliteQueryError(err, s.valueLimit))
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		_ = rows.Close()
		return nil, fmt.Errorf("read result columns: %w", err)
	}
	cols := make([]column, len(cts))
	for i, ct := range cts {
		if cols[i], err = sqliteColumn(ct.Name(), ct.DatabaseTypeName()); err != nil {
			_ = rows.Close()
			return nil, err
		}
	}
	sanitize := func(err error) error { return sqliteQueryError(err, s.valueLimit) }
	r, err := newSQLRows(rows, cols, batchBytes, s.valueLimit, sanitize)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// sqliteQueryError explains SQLite's refusals of an input query: a value
// beyond SQLITE_LIMIT_LENGTH (SQLite does not say which column) and a
// statement the authorizer denied.
func sqliteQueryError(err error, valueLimit int) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_TOOBIG:
		return fmt.Errorf("a value or row %w of %s (SQLite refused to build it): %w", ErrValueTooLarge, formatBytes(valueLimit), err)
	case sqlite3.SQLITE_AUTH:
		return fmt.Errorf("%w: an input query may only read (SELECT); it cannot attach, vacuum, change pragmas, "+
			"create or change tables or call load_extension", err)
	}
	return err
}

// sqliteColumn maps a declared column type through the type table; an
// unknown declaration is inferred from the data.
func sqliteColumn(name, decl string) (column, error) {
	f, known, err := sqltype.SQLiteField(name, decl)
	if err != nil {
		return column{}, fmt.Errorf("%w: %w", ErrUnsupportedType, err)
	}
	return column{field: f, known: known}, nil
}

// sqliteDecl is the declared type of a created column.
func sqliteDecl(f bxl.Field) (string, error) {
	d, err := sqltype.SQLiteDecl(f)
	if err != nil {
		return "", fmt.Errorf("%w: column %q: %w", ErrBadSchema, f.Name, err)
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
		if i, ok := asInt64(x); ok && f.Type != bxl.TypeFloat32 && f.Type != bxl.TypeFloat64 {
			return i, nil
		}
		return x, nil
	}
	return nil, fmt.Errorf("%w: column %q: cannot store %T", ErrValueMismatch, f.Name, v)
}

// checkBatch makes sure a batch carries the schema the writer was begun with.
func checkBatch(s *bxl.Schema, b *bxl.Batch) error {
	if b == nil {
		return fmt.Errorf("%w: nil batch", ErrBadSchema)
	}
	if len(b.Columns) != len(s.Fields) {
		return fmt.Errorf("%w: batch has %d columns, table writer %d", ErrBadSchema, len(b.Columns), len(s.Fields))
	}
	if b.Schema != nil {
		for i, f := range b.Schema.Fields {
			w := s.Fields[i]
			if f.Type != w.Type || f.Precision != w.Precision || f.Scale != w.Scale {
				return fmt.Errorf("%w: batch column %d is %s, table writer expects %s", ErrBadSchema, i+1, sqltype.Name(f), sqltype.Name(w))
			}
		}
	}
	return nil
}

// EnsureSampleDB makes the dev instance: when path does not exist it creates
// it with a small sample table `sales`; an existing file is used as is.
// It builds the file under a temporary name and renames it into place, so a
// crash never leaves a half-made instance behind.
func EnsureSampleDB(path string) (created bool, err error) {
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return false, fmt.Errorf("sample database %s is a directory", path)
		}
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("sample database: %w", err)
	}
	if strings.ContainsAny(path, "?\x00") {
		return false, fmt.Errorf("sample database %q: path must not contain '?'", path)
	}
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	_ = os.Remove(tmp)
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	db, err := sql.Open(DriverSQLite, tmp)
	if err != nil {
		return false, fmt.Errorf("create sample database: %w", err)
	}
	if err := fillSample(db); err != nil {
		_ = db.Close()
		return false, fmt.Errorf("create sample database: %w", err)
	}
	if err := db.Close(); err != nil {
		return false, fmt.Errorf("create sample database: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return false, fmt.Errorf("create sample database: %w", err)
	}
	return true, nil
}

// SampleRows is the number of rows in the sample `sales` table.
const SampleRows = 150

// sampleBigIDBase is 2^53 + 1: every big_id is odd and above 2^53, so none of
// them survives a float64 round trip; the demo shows they arrive exact.
const sampleBigIDBase int64 = 1<<53 + 1

func fillSample(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.Exec(`CREATE TABLE sales (
	id INTEGER PRIMARY KEY,
	region TEXT,
	product TEXT NOT NULL,
	units INTEGER,
	unit_price REAL,
	sold_on DATE NOT NULL,
	big_id BIGINT NOT NULL
)`); err != nil {
		return err
	}
	stmt, err := tx.Prepare(`INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer func() { _ = stmt.Close() }()
	regions := []string{"North", "South", "East", "West"}
	products := []string{"Widget", "Gadget", "Gizmo", "Sprocket", "Doohickey"}
	prices := []float64{2.5, 12.75, 7.25, 0.8, 19.99}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= SampleRows; i++ {
		var region, units, price any
		region = regions[i%len(regions)]
		if i%23 == 0 {
			region = nil
		}
		p := (i * 7) % len(products)
		units = int64((i*37)%50 + 1)
		if i%17 == 0 {
			units = nil
		}
		price = prices[p] + float64(i%3)*0.25
		if i%31 == 0 {
			price = nil
		}
		soldOn := start.AddDate(0, 0, (i*11)%366).Format(time.DateOnly)
		bigID := sampleBigIDBase + int64(i-1)*2
		if _, err := stmt.Exec(i, region, products[p], units, price, soldOn, bigID); err != nil {
			return err
		}
	}
	return tx.Commit()
}
