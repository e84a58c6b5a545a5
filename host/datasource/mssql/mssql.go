package mssql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	gomssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/internal/sqlio"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// sqlServerSource is a SQL Server instance reached through go-mssqldb.
type sqlServerSource struct {
	db         *sql.DB
	dsn        string // kept only to sanitize errors
	valueLimit int
}

var _ datasource.Source = (*sqlServerSource)(nil)

// Open connects to SQL Server with a go-mssqldb connection string
// and checks it with a ping. Every error it or the Source returns has the
// DSN's user and password removed.
func Open(ctx context.Context, dsn string, opts ...datasource.Option) (datasource.Source, error) {
	o := datasource.ApplyOptions(opts)
	if dsn == "" {
		return nil, fmt.Errorf("open sqlserver: %w", datasource.ErrNoDSN)
	}
	cfg, err := msdsn.Parse(dsn)
	if err != nil {
		return nil, datasource.SanitizeError(fmt.Errorf("open sqlserver: parse dsn: %w", err), dsn)
	}
	// Uniqueidentifiers are read as wire bytes and reordered here, whatever
	// the DSN says, so the byte order is known. The driver's own logging is
	// off: it is global and would bypass the host's logger.
	cfg.Encoding.GuidConversion = false
	cfg.LogFlags = 0
	db := sql.OpenDB(gomssql.NewConnectorConfig(cfg))
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, datasource.SanitizeError(fmt.Errorf("open sqlserver %s: %w", cfg.Host, err), dsn)
	}
	return &sqlServerSource{db: db, dsn: dsn, valueLimit: o.ValueLimit}, nil
}

func (s *sqlServerSource) sanitize(err error) error { return datasource.SanitizeError(err, s.dsn) }

func (s *sqlServerSource) Close() error { return s.sanitize(s.db.Close()) }

func (s *sqlServerSource) Query(ctx context.Context, query string, params []datasource.Param, batchBytes int) (datasource.Rows, error) {
	return s.query(ctx, s.db, query, params, batchBytes)
}

// querier runs a query on the pool or on one connection (scoped.go).
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s *sqlServerSource) query(ctx context.Context, db querier, query string, params []datasource.Param, batchBytes int) (datasource.Rows, error) {
	var rows *sql.Rows
	var err error
	if len(params) == 0 {
		rows, err = db.QueryContext(ctx, query)
	} else {
		rows, err = db.QueryContext(ctx, "sp_executesql", executeSQLArgs(query, params)...)
	}
	if err != nil {
		return nil, s.sanitize(fmt.Errorf("run input query: %w", err))
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		_ = rows.Close()
		return nil, s.sanitize(fmt.Errorf("read result columns: %w", err))
	}
	cols := make([]sqlio.Column, len(cts))
	for i, ct := range cts {
		if cols[i], err = mssqlColumn(ct); err != nil {
			_ = rows.Close()
			return nil, err
		}
	}
	r, err := sqlio.NewRows(rows, cols, batchBytes, s.valueLimit, s.sanitize)
	if err != nil {
		return nil, s.sanitize(err)
	}
	return r, nil
}

// executeSQLArgs binds the declared params the way SQL Server binds
// sp_execute_external_script's @params in @input_data_1: the query runs
// through sp_executesql with the declarations as written, so the server
// gives each variable its declared type and resolves names itself (case as
// the server's collation compares them; an undeclared one is its "Must
// declare the scalar variable" error). Values travel as go-mssqldb types
// the server converts to the declared type exactly: integers as bigint,
// decimals and GUIDs as text, times as time values.
func executeSQLArgs(query string, params []datasource.Param) []any {
	decls := make([]string, len(params))
	// The statement and declarations go by position, so a param may be
	// called @stmt or @params.
	args := []any{query, nil}
	for i, p := range params {
		decls[i] = "@" + p.Name + " " + p.SQLType
		var v any
		switch x := p.Value.(type) {
		case nil:
		case bxl.UUID:
			v = x.String()
		default:
			v = mssqlValue(x)
		}
		args = append(args, sql.Named(p.Name, v))
	}
	args[1] = strings.Join(decls, ", ")
	return args
}

// mssqlColumn maps result metadata to a BXL field through the host's one
// SQL type table (host/sqltype). Types without a faithful mapping are
// refused up front, naming the column, rather than guessed.
func mssqlColumn(ct *sql.ColumnType) (sqlio.Column, error) {
	name := ct.Name()
	typ := strings.ToLower(ct.DatabaseTypeName())
	var p, sc uint8
	if typ == "decimal" || typ == "numeric" {
		dp, ds, ok := ct.DecimalSize()
		if !ok || dp < 1 || dp > 38 || ds < 0 || ds > dp {
			return sqlio.Column{}, fmt.Errorf("column %q: %w: %s without a usable precision", name, datasource.ErrUnsupportedType, typ)
		}
		p, sc = uint8(dp), uint8(ds)
	}
	f, err := sqltype.FieldForSQLType(typ, p, sc, 0)
	if err != nil {
		return sqlio.Column{}, fmt.Errorf("column %q has SQL Server type %s: %w; CAST or CONVERT it in the input query "+
			"(e.g. CAST(%s AS nvarchar(max)) or CAST(%s AS varbinary(max)))",
			name, typ, datasource.ErrUnsupportedType, sqlio.QuoteBracket(name), sqlio.QuoteBracket(name))
	}
	f.Name, f.Nullable, f.Output = name, true, false
	if n, ok := ct.Nullable(); ok {
		f.Nullable = n
	}
	c := sqlio.Column{Field: f, Known: true}
	switch typ {
	case "datetime", "smalldatetime", "datetime2":
		c.Pre = wallClock
	case "uniqueidentifier":
		c.Pre = guidFromWire
	}
	return c, nil
}

// wallClock keeps a naive datetime's wall clock whatever zone the driver
// attached (its DSN may name one), so it is not shifted on conversion.
func wallClock(v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok {
		return v, nil
	}
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), nil
}

// guidFromWire turns SQL Server's mixed-endian GUID bytes (first three
// groups little-endian) into RFC 4122 order.
func guidFromWire(v any) (any, error) {
	b, ok := v.([]byte)
	if !ok || len(b) != 16 {
		return nil, fmt.Errorf("%w: uniqueidentifier of %T", datasource.ErrValueMismatch, v)
	}
	var u bxl.UUID
	copy(u[:], b)
	swapGUID(u[:])
	return u, nil
}

// swapGUID converts between RFC 4122 and SQL Server byte order; it is its own inverse.
func swapGUID(b []byte) {
	b[0], b[1], b[2], b[3] = b[3], b[2], b[1], b[0]
	b[4], b[5] = b[5], b[4]
	b[6], b[7] = b[7], b[6]
}

// mssqlDecl is the T-SQL column declaration of a created column.
func mssqlDecl(f bxl.Field) (string, error) {
	d, err := sqltype.SQLServerDecl(f)
	if err != nil {
		return "", fmt.Errorf("%w: column %q: %w", datasource.ErrBadSchema, f.Name, err)
	}
	return d, nil
}

// mssqlValue turns a BXL value into what go-mssqldb's bulk copy accepts.
func mssqlValue(v any) any {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case bxl.Decimal:
		return x.String()
	case bxl.UUID:
		b := make([]byte, 16)
		copy(b, x[:])
		swapGUID(b)
		return b
	case time.Duration:
		return time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(x)
	}
	return v
}

func (s *sqlServerSource) BeginWrite(ctx context.Context, table string, create bool, schema *bxl.Schema) (datasource.TableWriter, error) {
	return s.beginWrite(ctx, s.db, table, create, schema, nil)
}

// beginWrite writes in one transaction begun on db (the pool, or a
// connection running as a caller's login); done, when set, runs after the
// transaction ended (the scoped source's REVERT).
func (s *sqlServerSource) beginWrite(ctx context.Context, db sqlio.TxBeginner, table string, create bool, schema *bxl.Schema,
	done func() error) (datasource.TableWriter, error) {
	qtable, decls, err := sqlio.TableSpec(table, 3, schema, sqlio.QuoteBracket, mssqlDecl)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(schema.Fields)) // CopyIn quotes them itself
	for i, f := range schema.Fields {
		names[i] = f.Name
	}
	tx, err := sqlio.BeginTable(ctx, db, table, qtable, decls, create)
	if err != nil {
		return nil, s.sanitize(err)
	}
	var ender sqlio.TxEnder = tx
	if done != nil {
		ender = &thenTx{tx: tx, then: done}
	}
	// KeepNulls: a NULL stays NULL instead of taking a column default.
	stmt, err := tx.PrepareContext(ctx, gomssql.CopyIn(qtable, gomssql.BulkOptions{KeepNulls: true}, names...))
	if err != nil {
		return nil, s.sanitize(errors.Join(fmt.Errorf("prepare bulk copy into %s: %w", table, err), sqlio.RollbackError(tx)))
	}
	w := sqlio.NewStmtWriter(ctx, table, schema, ender, stmt, s.sanitize)
	w.Value = func(_ bxl.Field, v any) (any, error) { return mssqlValue(v), nil }
	// An Exec without values ends the bulk load; the server then says how
	// many rows it stored.
	w.Finish = func() error {
		res, err := stmt.ExecContext(ctx)
		if err != nil {
			return fmt.Errorf("finish bulk copy into %s: %w", table, err)
		}
		if n, err := res.RowsAffected(); err == nil && n != w.Written() {
			return fmt.Errorf("bulk copy into %s: server stored %d rows, %d were sent", table, n, w.Written())
		}
		return nil
	}
	return w, nil
}

// TableColumns reads an existing table's columns from an empty SELECT's
// metadata, typed through the same mapping as input queries.
func (s *sqlServerSource) TableColumns(ctx context.Context, table string) ([]datasource.TableColumn, error) {
	return s.tableColumns(ctx, s.db, table)
}

func (s *sqlServerSource) tableColumns(ctx context.Context, db querier, table string) ([]datasource.TableColumn, error) {
	parts, err := sqlio.SplitTableName(table, 3)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT TOP (0) * FROM "+sqlio.QuoteParts(parts, sqlio.QuoteBracket))
	if err != nil {
		return nil, s.sanitize(fmt.Errorf("read the columns of %s: %w", table, err))
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, s.sanitize(fmt.Errorf("read the columns of %s: %w", table, err))
	}
	cols := make([]datasource.TableColumn, len(cts))
	for i, ct := range cts {
		c, err := mssqlColumn(ct)
		if err != nil {
			return nil, fmt.Errorf("table %s: %w", table, err)
		}
		cols[i] = datasource.TableColumn{Field: c.Field, Typed: true, SQLType: strings.ToLower(ct.DatabaseTypeName())}
	}
	return cols, nil
}
