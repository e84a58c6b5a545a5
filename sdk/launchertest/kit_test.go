package launchertest

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource/sqlite"
	"github.com/openlaunchpad/launchpad/host/sqltype"
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

// TestKitTables_HostCreatesThemAsDeclared creates the kit's instance without
// a host process and reads conformance_types back through the host's SQLite
// source: every literal parses and every column keeps the type the kit
// expects exec to report, before any slow conformance run.
func TestKitTables_HostCreatesThemAsDeclared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "instance.db")
	if err := createInstance(path); err != nil {
		t.Fatal(err)
	}
	src, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	for _, q := range []struct {
		query string
		types []string
		rows  int
	}{
		{"SELECT * FROM conformance_types", columnTypes(), len(typeRows)},
		{"SELECT * FROM edge_" + EdgeWideDecimal, []string{"decimal(38,10)"}, 1},
		{"SELECT * FROM conformance_ints", []string{"int64", "int64", "int64"}, len(intRows)},
	} {
		rows, err := src.Query(context.Background(), q.query, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range rows.Schema().Fields {
			got = append(got, sqltype.Name(f))
		}
		if !slices.Equal(got, q.types) {
			t.Errorf("%s: column types %v, want %v", q.query, got, q.types)
		}
		n := 0
		for b, err := rows.Next(); err == nil; b, err = rows.Next() {
			n += b.Rows
		}
		if err := rows.Close(); err != nil || n != q.rows {
			t.Errorf("%s: %d rows (close: %v), want %d", q.query, n, err, q.rows)
		}
	}
}

func columnTypes() []string {
	var out []string
	for _, c := range typeColumns {
		out = append(out, c.typ)
	}
	return out
}
