package sqlite

import (
	"errors"
	"testing"
)

func TestCheckQueryText_OneReadingStatement(t *testing.T) {
	ok := []string{
		"SELECT 1",
		"  select * from sales;",
		"-- note\nWITH v(a) AS (SELECT 1) SELECT a FROM v",
		"/* a; b */ (SELECT 1)",
		"VALUES (1, 'a;b')",
		"SELECT 'it''s; fine', \"col;x\", [y;z], `w;v` FROM t ; -- trailing comment",
		"SELECT 1;\n/* done */\n",
	}
	for _, q := range ok {
		if err := checkQueryText(q); err != nil {
			t.Errorf("%q refused: %v", q, err)
		}
	}
	bad := []string{
		"", "  ;", "-- only a comment",
		"REINDEX", "ANALYZE", "VACUUM", "PRAGMA query_only=0", "ATTACH 'x' AS y", "BEGIN",
		"SELECT 1; REINDEX", "SELECT 1; VACUUM INTO '/tmp/x'", "SELECT 'a'; DROP TABLE t",
		"INSERT INTO t VALUES (1)", "DELETE FROM t", "EXPLAIN SELECT 1",
	}
	for _, q := range bad {
		if err := checkQueryText(q); !errors.Is(err, ErrNotAQuery) {
			t.Errorf("%q: err = %v, want ErrNotAQuery", q, err)
		}
	}
}
