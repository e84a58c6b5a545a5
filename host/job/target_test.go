package job

import "testing"

func TestIntoTarget_UnquotesEveryPart(t *testing.T) {
	for in, want := range map[string]string{
		"scores":             "scores",
		"[scores] (a, b)":    "scores",
		`"dbo"."Sco.res"`:    "Sco.res",
		" main.scores ":      "scores",
		"[DBO].[x]]y] ([a])": "x]y",
		"sales.scores":       "sales.scores",
		"db.dbo.scores":      "db.dbo.scores",
	} {
		got, err := IntoTarget(in)
		if err != nil || got != want {
			t.Errorf("IntoTarget(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "a..b", "x (a", "[open"} {
		if got, err := IntoTarget(bad); err == nil {
			t.Errorf("IntoTarget(%q) = %q, want an error", bad, got)
		}
	}
}
