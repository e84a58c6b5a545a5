package job

import "strings"

// IntoTarget is the table an --into-table target ("T", "[dbo].[T] (a, b)")
// writes into, its parts unquoted and joined by ".": "T", "dbo.T". The
// API checks it against the caller's write grant before the job runs.
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
			return "", err
		}
		parts = append(parts, name)
		if i < 0 {
			return strings.Join(parts, "."), nil
		}
		rest = rest[i+1:]
	}
}
