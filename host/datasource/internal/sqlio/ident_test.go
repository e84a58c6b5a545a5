package sqlio

import (
	"errors"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
)

// FuzzSplitTableName: table names come from callers. Whatever is accepted
// must quote back to the same parts, so nothing can escape its brackets.
func FuzzSplitTableName(f *testing.F) {
	for _, s := range []string{"dbo.Scores", "[a]].b]", `"x".[y z]`, "a..b", "[", "db.dbo.t", "Résumé", "a]b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		parts, err := SplitTableName(name, 3)
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
		for _, q := range []func(string) string{QuoteBracket, QuoteDouble} {
			quoted := QuoteParts(parts, q)
			again, err := SplitTableName(quoted, 3)
			if err != nil {
				t.Fatalf("%q quoted as %s does not split again: %v", name, quoted, err)
			}
			if strings.Join(again, "\x00") != strings.Join(parts, "\x00") {
				t.Fatalf("%q quoted as %s splits into %q, want %q", name, quoted, again, parts)
			}
		}
	})
}

func TestSplitTableName_QuotesAndRejects(t *testing.T) {
	tests := []struct {
		in   string
		want string // quoted for SQL Server; "" = rejected
	}{
		{"Scores", "[Scores]"},
		{"dbo.Scores", "[dbo].[Scores]"},
		{"db.dbo.Scores", "[db].[dbo].[Scores]"},
		{"[my table].[x.y]", "[my table].[x.y]"},
		{`"a b".c`, "[a b].[c]"},
		{"_t1$#", "[_t1$#]"},
		{"Résumé", "[Résumé]"},
		{"", ""},
		{"1abc", ""},
		{"a;b", ""},
		{"a.", ""},
		{".a", ""},
		{"a..b", ""},
		{"a.b.c.d", ""},
		{"[a]]]", "[a]]]"},
		{"[a]]", ""},
		{"a]", ""},
		{"[]", ""},
		{strings.Repeat("x", 129), ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			parts, err := SplitTableName(tt.in, 3)
			if tt.want == "" {
				if !errors.Is(err, datasource.ErrBadTableName) {
					t.Fatalf("SplitTableName(%q) = %v, %v; want datasource.ErrBadTableName", tt.in, parts, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := QuoteParts(parts, QuoteBracket); got != tt.want {
				t.Fatalf("quoted %q = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}
