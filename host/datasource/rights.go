package datasource

import (
	"errors"
	"fmt"
	"strings"
)

// ErrPermissionDenied means the caller's grant does not allow a read or a
// write; the error names the table.
var ErrPermissionDenied = errors.New("permission denied")

// AllTables in a table list grants every table.
const AllTables = "*"

// Rights is what one caller may do with an instance's data (the host's
// job.Access, without importing it).
type Rights struct {
	// ReadTables and WriteTables name tables, optionally qualified with the
	// instance's schema (main or dbo), matched case-insensitively;
	// AllTables grants every table.
	ReadTables, WriteTables []string
	// Login is the SQL Server login queries and writes run as (EXECUTE AS
	// LOGIN); "" runs them as the host's own login.
	Login string
}

// Scoper is a Source that can act with a caller's rights. The scoped
// Source enforces them on every query, write and column lookup; closing it
// leaves the Source it came from open.
type Scoper interface {
	Scoped(r Rights) (Source, error)
}

// MayRead reports whether the rights let a query read table (a bare name,
// as SQLite's authorizer reports it).
func (r Rights) MayRead(table string) bool { return granted(r.ReadTables, table) }

// MayWrite reports whether the rights let a write-back write table, which
// may be schema-qualified and quoted ([dbo].[scores]).
func (r Rights) MayWrite(table string) bool {
	name, ok := bareTable(table)
	return ok && granted(r.WriteTables, name)
}

// CheckWrite is MayWrite as an error naming the table.
func (r Rights) CheckWrite(table string) error {
	if r.MayWrite(table) {
		return nil
	}
	return fmt.Errorf("%w: the caller's grant does not allow writing table %s (write_tables)", ErrPermissionDenied, table)
}

func granted(list []string, table string) bool {
	for _, g := range list {
		if g == AllTables {
			return true
		}
		if name, ok := bareTable(g); ok && strings.EqualFold(name, table) {
			return true
		}
	}
	return false
}

// bareTable is a table name without its quoting and without the
// instance's own schema (main, dbo); ok is false for any other schema or
// a malformed name, which then matches nothing.
func bareTable(s string) (string, bool) {
	parts, ok := splitName(strings.TrimSpace(s))
	switch {
	case !ok || len(parts) == 0 || len(parts) > 2:
		return "", false
	case len(parts) == 2 && !strings.EqualFold(parts[0], "main") && !strings.EqualFold(parts[0], "dbo"):
		return "", false
	}
	return parts[len(parts)-1], true
}

// splitName splits a dotted name whose parts may be [bracketed] or
// "quoted" (the closing character doubled inside).
func splitName(s string) ([]string, bool) {
	var parts []string
	for {
		part, rest, ok := cutPart(s)
		if !ok || part == "" {
			return nil, false
		}
		parts = append(parts, part)
		if rest == "" {
			return parts, true
		}
		if rest[0] != '.' {
			return nil, false
		}
		s = rest[1:]
	}
}

func cutPart(s string) (part, rest string, ok bool) {
	if s == "" {
		return "", "", false
	}
	closing := map[byte]byte{'[': ']', '"': '"'}[s[0]]
	if closing == 0 {
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return s, "", true
		}
		return s[:i], s[i:], true
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != closing {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == closing {
			b.WriteByte(closing)
			i++
			continue
		}
		return b.String(), s[i+1:], true
	}
	return "", "", false
}
