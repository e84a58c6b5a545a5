package e2e

import (
	"strings"
	"testing"
)

// --result-schema takes WITH RESULT SETS' NONE and UNDEFINED, and its
// column syntax (issue 9 item 1): names in brackets, NOT NULL enforced with
// the column and row, CAST rules.
func TestCompat_ResultSetsNoneUndefinedAndColumnSyntax(t *testing.T) {
	out := "import pandas as pd\nOutputDataSet = pd.DataFrame({'x': [2.7, -2.7, None]})"
	r := execArgs(t, "--language", "Python", "--result-schema", "NONE", "--script", out)
	mustFail(t, r, "WITH RESULT SETS NONE")
	r = execArgs(t, "--language", "Python", "--result-schema", " none ", "--script", "print('no result set')")
	if r.code != 0 {
		t.Fatalf("NONE without a result set: exit %d\n%s", r.code, r.stderr)
	}
	jr, _ := runJSON(t, "--language", "Python", "--result-schema", "UNDEFINED", "--script", out)
	if got := jr.colType(t, "x"); got != "float64" {
		t.Errorf("UNDEFINED changed the column to %s", got)
	}
	jr, _ = runJSON(t, "--language", "Python", "--result-schema", "[rounded value] int NULL", "--script", out)
	if got := jr.cell(t, 0, "rounded value") + "," + jr.cell(t, 1, "rounded value") + "," + jr.cell(t, 2, "rounded value"); got != "2,-2,null" {
		t.Errorf("float to int by CAST rules gave %s, want 2,-2,null", got)
	}
	r = execArgs(t, "--language", "Python", "--result-schema", `"x" int NOT NULL COLLATE Latin1_General_CI_AS`, "--script", out)
	mustFail(t, r, `column "x" row 3 is NULL`)
	if strings.Contains(r.stdout, "-2") {
		t.Errorf("rows reached the caller before the NOT NULL check failed:\n%s", r.stdout)
	}
}
