package job

import (
	"fmt"
	"strings"
)

// IntoTarget is the table an --into-table target ("T", "[sales].[T] (a, b)")
// writes into, its parts unquoted and joined by ".": "T", "sales.T". The
// default schemas dbo (SQL Server's) and main (SQLite's) are left out, as
// the instance resolves dbo.T and main.T to T. The API checks the name
// against the caller's write grant before the job runs.
func IntoTarget(into string) (string, error) {
	table, _, err := parseInto(into)
	if err != nil {
		return "", err
	}
	var parts []string
	for rest := table; ; {
		i := indexOutsideQuotes(rest, '.')
		part := rest
		if i >= 0 {
			part = rest[:i]
		}
		name, err := unquoteName(strings.TrimSpace(part))
		if err != nil {
			return "", fmt.Errorf("%w %q: the table's name: %w", errBadInto, into, err)
		}
		parts = append(parts, name)
		if i < 0 {
			if len(parts) == 2 && (strings.EqualFold(parts[0], "dbo") || strings.EqualFold(parts[0], "main")) {
				parts = parts[1:]
			}
			return strings.Join(parts, "."), nil
		}
		rest = rest[i+1:]
	}
}
