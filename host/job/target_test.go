package job

import "testing"

func TestIntoTarget_UnquotesEveryPart(t *testing.T) {
	for in, want := range map[string]string{
		"scores":             "scores",
		"[scores] (a, b)":    "scores",
		`"dbo"."Sco.res"`:    "dbo.Sco.res",
		" main.scores ":      "main.scores",
		"[dbo].[x]]y] ([a])": "dbo.x]y",
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
