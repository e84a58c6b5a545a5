package dev_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource/sqlite"
	"github.com/openlaunchpad/launchpad/host/dev"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/launchertest"
)

// TestKitTables_HostCreatesThemAsDeclared creates the conformance kit's
// instance (what `launchpad table create` does for the kit) and reads every
// table back through the host's SQLite source: every literal parses and
// every column keeps the type the kit expects exec to report, before any
// slow conformance run.
func TestKitTables_HostCreatesThemAsDeclared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "instance.db")
	tables := launchertest.Tables()
	for _, tb := range tables {
		if err := dev.CreateTable(context.Background(), path, tb.Name, tb.Columns, tb.Rows); err != nil {
			t.Fatal(err)
		}
	}
	src, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	wide := "edge_" + launchertest.EdgeWideDecimal
	for _, tb := range tables {
		want := tb.Types
		if tb.Name == wide {
			want = []string{"decimal(38,10)"}
		}
		rows, err := src.Query(context.Background(), "SELECT * FROM "+tb.Name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range rows.Schema().Fields {
			got = append(got, sqltype.Name(f))
		}
		if want != nil && !slices.Equal(got, want) {
			t.Errorf("%s: column types %v, want %v", tb.Name, got, want)
		}
		n := 0
		for b, err := rows.Next(); err == nil; b, err = rows.Next() {
			n += b.Rows
		}
		if err := rows.Close(); err != nil || n != len(tb.Rows) {
			t.Errorf("%s: %d rows (close: %v), want %d", tb.Name, n, err, len(tb.Rows))
		}
	}
}
