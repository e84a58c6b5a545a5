package dev

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/dstest"
	"github.com/openlaunchpad/launchpad/host/datasource/sqlite"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

func TestEnsureSampleDB_CreatesOnceThenUsesAsIs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "instance.db")
	created, err := EnsureSampleDB(path)
	if err != nil || !created {
		t.Fatalf("first EnsureSampleDB = %v, %v; want created", created, err)
	}
	src, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = src.Close() }()
	rows, err := src.Query(context.Background(), `SELECT * FROM sales ORDER BY id`, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer dstest.CloseRows(t, rows)
	dstest.AssertFields(t, rows.Schema().Fields, []bxl.Field{
		dstest.Nullable("id", bxl.TypeInt64), dstest.Nullable("region", bxl.TypeString), dstest.Nullable("product", bxl.TypeString),
		dstest.Nullable("units", bxl.TypeInt64), dstest.Nullable("unit_price", bxl.TypeFloat64), dstest.Nullable("sold_on", bxl.TypeDate),
		dstest.Nullable("big_id", bxl.TypeInt64),
	})
	got := dstest.Drain(t, rows)
	if len(got) != SampleRows {
		t.Fatalf("sample has %d rows, want %d", len(got), SampleRows)
	}
	nulls := 0
	for _, r := range got {
		for _, v := range r {
			if v == nil {
				nulls++
			}
		}
	}
	if nulls == 0 {
		t.Fatal("sample has no NULLs")
	}
	// An odd value above 2^53 has no float64 twin: arriving equal proves it stayed int64.
	if last, want := got[SampleRows-1][6], int64(1<<53+1+2*(SampleRows-1)); last != want || int64(float64(want)) == want {
		t.Fatalf("last big_id = %v, want exact int64 %d (not float-representable)", last, want)
	}
	db, err := sql.Open(datasource.DriverSQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if _, err := db.Exec(`INSERT INTO sales(product, sold_on, big_id) VALUES ('Extra', '2025-01-01', 1)`); err != nil {
		t.Fatal(err)
	}
	if created, err := EnsureSampleDB(path); err != nil || created {
		t.Fatalf("second EnsureSampleDB = %v, %v; want used as is", created, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sales`).Scan(&n); err != nil || n != SampleRows+1 {
		t.Fatalf("after second EnsureSampleDB count = %d, %v; want the file untouched (%d)", n, err, SampleRows+1)
	}
	if _, err := EnsureSampleDB(t.TempDir()); err == nil {
		t.Fatal("EnsureSampleDB on a directory succeeded")
	}
}
