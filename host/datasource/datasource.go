package datasource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// Driver names an instance's configuration accepts (host.openInstance
// picks the driver package by them).
const (
	DriverSQLite    = "sqlite"
	DriverSQLServer = "sqlserver"
)

var (
	// ErrUnknownDriver means a driver name other than DriverSQLite or DriverSQLServer.
	ErrUnknownDriver = errors.New("unknown data source driver")
	// ErrUnsupportedType means a result column has a SQL type with no BXL mapping.
	ErrUnsupportedType = errors.New("unsupported column type")
	// ErrValueMismatch means a value does not fit its column's type without losing data.
	ErrValueMismatch = errors.New("value does not fit column type")
	// ErrBadTableName means a table name is not a plain, optionally schema-qualified identifier.
	ErrBadTableName = errors.New("invalid table name")
	// ErrBadSchema means an output schema cannot be written (no columns, empty or duplicate names, …).
	ErrBadSchema = errors.New("invalid output schema")
	// ErrWriterDone means Write, Commit or Rollback was called after the writer finished.
	ErrWriterDone = errors.New("table writer already finished")
	// ErrValueTooLarge means an input query returned a value or row larger
	// than the data source's value limit.
	ErrValueTooLarge = errors.New("exceeds the value limit")
	// ErrUndeclaredParam means an input query names a @variable that is not
	// a declared param (SQL Server: "Must declare the scalar variable").
	ErrUndeclaredParam = errors.New("must declare the scalar variable")
	// ErrNoDSN means no connection string was configured.
	ErrNoDSN = errors.New("no data source connection string")
)

// Source is one database instance.
type Source interface {
	// Query runs an input query with the job's declared params bound in it
	// (as SQL Server binds sp_execute_external_script's @params in
	// @input_data_1) and streams its rows as BXL batches of about batchBytes
	// (0 → bxl.DefaultBatchBytes). The schema is known when Query returns.
	Query(ctx context.Context, query string, params []Param, batchBytes int) (Rows, error)
	// BeginWrite starts writing an output data set into table (schema-qualified
	// names allowed, validated and quoted), creating it from schema when create
	// is true; all rows or none (one transaction).
	BeginWrite(ctx context.Context, table string, create bool, schema *bxl.Schema) (TableWriter, error)
	// TableColumns lists an existing table's columns in table order (what
	// INSERT INTO T EXEC maps the output onto, by position).
	TableColumns(ctx context.Context, table string) ([]TableColumn, error)
	Close() error
}

// TableColumn is one column of an existing table.
type TableColumn struct {
	// Field is the column as BXL: its name, type and nullability.
	Field bxl.Field
	// Typed is false for a column whose declared type the host does not
	// know (SQLite's typeless columns): it takes a value as it is.
	Typed bool
	// SQLType is the declared type as the database spells it.
	SQLType string
}

// Param is one declared param as an input query sees it. A query may name
// it in any letter case (T-SQL names are case-insensitive).
type Param struct {
	// Name is the declared name, without "@".
	Name string
	// SQLType is the declared T-SQL type, lower case: "nvarchar(100)".
	SQLType string
	Field   bxl.Field
	// Value is the BXL value (as sqltype.ParseValue returns it); nil is NULL.
	Value any
}

// Rows streams a query result. Next returns io.EOF after the last batch.
type Rows interface {
	Schema() *bxl.Schema
	Next() (*bxl.Batch, error)
	Close() error
}

// TableWriter writes batches into a table inside one transaction. Nothing is
// visible to others until Commit; any Write error leaves the writer failed
// and Commit then rolls back and returns that error.
type TableWriter interface {
	Write(*bxl.Batch) error
	Commit() (rows int64, err error)
	Rollback() error
}

// DefaultValueLimit is the largest string or binary value (and the largest
// row) an input query may return unless configured otherwise.
const DefaultValueLimit = 64 << 20

// Option changes how a data source is opened.
type Option func(*Options)

// Options are the settings every driver honours; drivers read them with
// ApplyOptions.
type Options struct {
	// ValueLimit bounds each string or binary value, and each row, an
	// input query may return (bytes).
	ValueLimit int
}

// WithValueLimit bounds each string or binary value, and each row's values
// together, that an input query may return to n bytes (n <= 0: the
// default). Larger ones fail the query with ErrValueTooLarge naming the
// column, so one input batch never holds more than the batch size plus n.
func WithValueLimit(n int) Option {
	return func(o *Options) {
		if n > 0 {
			o.ValueLimit = n
		}
	}
}

// ApplyOptions returns the defaults changed by opts.
func ApplyOptions(opts []Option) Options {
	o := Options{ValueLimit: DefaultValueLimit}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// ResolveDSN picks the connection string from exactly one of: the literal
// dsn, the environment variable named dsnEnv, or the file dsnFile (trailing
// newline removed). Keeping it out of the config file keeps the password out
// of it too.
func ResolveDSN(dsn, dsnEnv, dsnFile string) (string, error) {
	set := 0
	for _, s := range []string{dsn, dsnEnv, dsnFile} {
		if s != "" {
			set++
		}
	}
	if set > 1 {
		return "", errors.New("resolve dsn: set only one of dsn, dsn_env, dsn_file")
	}
	switch {
	case dsn != "":
		return dsn, nil
	case dsnEnv != "":
		v, ok := os.LookupEnv(dsnEnv)
		if !ok || strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("resolve dsn: environment variable %s is empty or unset: %w", dsnEnv, ErrNoDSN)
		}
		return strings.TrimSpace(v), nil
	case dsnFile != "":
		b, err := os.ReadFile(dsnFile)
		if err != nil {
			// The path is not a secret and os errors never quote file contents.
			return "", fmt.Errorf("resolve dsn: %w", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("resolve dsn: file %s is empty: %w", dsnFile, ErrNoDSN)
		}
		return v, nil
	}
	return "", fmt.Errorf("resolve dsn: %w", ErrNoDSN)
}
