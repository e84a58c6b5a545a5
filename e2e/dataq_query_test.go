package e2e

import (
	"fmt"
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

// TestDataQuery_GrantStopsReadsOutsideIt: a caller granted the table sales
// reads it, in its input query and from its script's launchpad_query, and
// is refused the table secret in both, naming it, in Python and R (the
// SQLite authorizer through a real grant, on a real host).
func TestDataQuery_GrantStopsReadsOutsideIt(t *testing.T) {
	skipGrantsUnlessRoot(t)
	h := startSharedHost(t, fmt.Sprintf(`sandbox {
  uid_base = %d
  workers  = 4
}
grant "user:nobody" {
  languages   = ["Python", "R"]
  read_tables = ["sales"]
}
`, extraUIDBase(28)))
	if r := h.exec(t, "--language", "Python", "--into-table", "secret", "--create-table",
		"--script", "OutputDataSet = pandas.DataFrame({'k': ['root-only']})"); r.code != 0 {
		t.Fatalf("root creates secret: exit %d: %s", r.code, r.stderr)
	}
	h.execAsAccount(acctNobody, "--language", "Python", "--input-query", "SELECT k FROM secret",
		"--script", "OutputDataSet = InputDataSet").
		mustBeRefused(t, "input query of secret", `permission denied: the caller's grant does not allow reading table "secret"`)
	queries := map[string][2]string{
		"Python": {`OutputDataSet = launchpad_query("SELECT count(*) AS n FROM sales")`, `launchpad_query("SELECT k FROM secret")`},
		"R":      {`OutputDataSet <- launchpad_query("SELECT count(*) AS n FROM sales")`, `launchpad_query("SELECT k FROM secret")`},
	}
	for lang, q := range queries {
		r := h.execAsAccount(acctNobody, "--language", lang, "--format", "csv", "--script", q[0])
		if r.code != 0 || !strings.HasPrefix(r.stdout, "n\n") || strings.TrimSpace(r.stdout) == "n" {
			t.Errorf("%s: granted query: exit %d\n%s\n%s", lang, r.code, r.stdout, tail(r.stderr, 1500))
		}
		h.execAsAccount(acctNobody, "--language", lang, "--script", q[1]).
			mustBeRefused(t, lang+" script query of secret", `does not allow reading table "secret"`)
	}
}
