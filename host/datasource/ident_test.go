package datasource

import (
	"strings"
	"testing"
)

// FuzzSplitTableName: table names come from callers. Whatever is accepted
// must quote back to the same parts, so nothing can escape its brackets.
func FuzzSplitTableName(f *testing.F) {
	for _, s := range []string{"dbo.Scores", "[a]].b]", `"x".[y z]`, "a..b", "[", "db.dbo.t", "Résumé", "a]b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		parts, err := splitTableName(name, 3)
		if err != nil {
			return
		}
		if len(parts) == 0 || len(parts) > 3 {
			t.Fatalf("%q: %d parts", name, len(parts))
		}
		for _, p := range parts {
			if p == "" || len(p) > maxIdentLen || strings.ContainsRune(p, 0) {
				t.Fatalf("%q: bad part %q", name, p)
			}
		}
		for _, q := range []func(string) string{quoteBracket, quoteDouble} {
			quoted := quoteParts(parts, q)
			again, err := splitTableName(quoted, 3)
			if err != nil {
				t.Fatalf("%q quoted as %s does not split again: %v", name, quoted, err)
			}
			if strings.Join(again, "\x00") != strings.Join(parts, "\x00") {
				t.Fatalf("%q quoted as %s splits into %q, want %q", name, quoted, again, parts)
			}
		}
	})
}
