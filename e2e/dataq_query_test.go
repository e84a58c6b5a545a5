package e2e

import (
	"strings"
	"testing"
)

// Scripts query the instance back through the host (launchpad_query, BXL
// QUERY) from the real, sandboxed Python and R runtimes: typed like input
// data, and through the input query's guards (ATTACH is refused). The dev
// host grants its user every table; grants that restrict tables are tested
// in host/job (TestQuery_RealRuntimes, TestQuery_GrantStopsReadsOutsideIt).
func TestDataQuery_ScriptQueriesTheInstance(t *testing.T) {
	scripts := map[string]string{
		"Python": `df = launchpad_query("SELECT region, count(*) AS n FROM sales WHERE region IS NOT NULL GROUP BY region ORDER BY region")
OutputDataSet = df.assign(t=str(df["n"].dtype))`,
		"R": `df <- launchpad_query("SELECT region, count(*) AS n FROM sales WHERE region IS NOT NULL GROUP BY region ORDER BY region")
df$t <- class(df$n)
OutputDataSet <- df`,
	}
	wantType := map[string]string{"Python": "int64", "R": "integer"}
	for lang, script := range scripts {
		jr, _ := runJSON(t, "--language", lang, "--script", script)
		if len(jr.Rows) != 4 || jr.cell(t, 0, "region") != `"East"` || jr.cell(t, 0, "t") != `"`+wantType[lang]+`"` {
			t.Errorf("%s: rows %q", lang, jr.Rows)
		}
	}
	refused := map[string]string{
		"Python": `launchpad_query("ATTACH '/etc/passwd' AS p")`,
		"R":      `launchpad_query("ATTACH '/etc/passwd' AS p")`,
	}
	for lang, script := range refused {
		r := execArgs(t, "--language", lang, "--script", script)
		if r.code == 0 || !strings.Contains(r.stderr, "not authorized") {
			t.Errorf("%s: ATTACH through launchpad_query: exit %d\n%s", lang, r.code, tail(r.stderr, 1500))
		}
	}
}
