package launchertest

import (
	"errors"
	"strings"
	"testing"
)

func TestSameValue_ComparesNumbersExactly(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want string
		same      bool
	}{
		{"EqualText", `"a"`, `"a"`, true},
		{"TrailingZeros", `1.50`, `1.5`, true},
		{"Int64AboveFloatPrecision", `9007199254740992`, `9007199254740993`, false},
		{"DecimalScale", `0.0000000001`, `1e-10`, true},
		{"NullIsNotZero", `null`, `0`, false},
		{"QuotedNumberIsText", `"1"`, `1`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := sameValue(c.got, c.want); got != c.same {
				t.Errorf("sameValue(%s, %s) = %v, want %v", c.got, c.want, got, c.same)
			}
		})
	}
}

func TestConfig_ValidateNamesWhatIsMissing(t *testing.T) {
	var c Config
	err := c.Validate()
	if !errors.Is(err, ErrBadConfig) {
		t.Fatalf("Validate() = %v, want ErrBadConfig", err)
	}
	for _, want := range []string{"LaunchpadBin", "LauncherBin", "Languages", "Snippets.Identity", "Snippets.Crash", "Snippets.FitLine", "Snippets.Assign", "ErrorLine"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	c = Config{LaunchpadBin: "l", LauncherBin: "b", Name: "N", Version: "1", Languages: []string{"L"},
		Snippets: Snippets{Identity: "x", Print: "x", PrintStderr: "x", RaiseError: "x", ErrorLine: 1,
			SetOutputParam: "x", Assign: func(d, s string) string { return d + "=" + s }, NoOutput: "x",
			CountRows: "x", Sleep: "x", Crash: "x", MatrixProduct: "x", FitLine: "x", Recycle: "x"}}
	if err := c.Validate(); err != nil {
		t.Errorf("complete config: %v", err)
	}
}

func TestTypeRows_CoverEveryColumn(t *testing.T) {
	for i, r := range typeRows {
		if len(r) != len(typeColumns) {
			t.Errorf("row %d has %d cells, want %d", i, len(r), len(typeColumns))
		}
	}
}
