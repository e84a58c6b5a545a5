package dev

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/openlaunchpad/launchpad/host/datasource"

	_ "modernc.org/sqlite" // registers driver "sqlite"
)

// EnsureSampleDB makes the dev instance: when path does not exist it creates
// it with a small sample table `sales`; an existing file is used as is.
// It builds the file under a temporary name and renames it into place, so a
// crash never leaves a half-made instance behind.
func EnsureSampleDB(path string) (created bool, err error) {
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return false, fmt.Errorf("sample database %s is a directory", path)
		}
		return false, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("sample database: %w", err)
	}
	if strings.ContainsAny(path, "?\x00") {
		return false, fmt.Errorf("sample database %q: path must not contain '?'", path)
	}
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	_ = os.Remove(tmp)
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
		}
	}()
	db, err := sql.Open(datasource.DriverSQLite, tmp)
	if err != nil {
		return false, fmt.Errorf("create sample database: %w", err)
	}
	if err := fillSample(db); err != nil {
		_ = db.Close()
		return false, fmt.Errorf("create sample database: %w", err)
	}
	if err := db.Close(); err != nil {
		return false, fmt.Errorf("create sample database: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return false, fmt.Errorf("create sample database: %w", err)
	}
	return true, nil
}

// SampleRows is the number of rows in the sample `sales` table.
const SampleRows = 150

// sampleBigIDBase is 2^53 + 1: every big_id is odd and above 2^53, so none of
// them survives a float64 round trip; the demo shows they arrive exact.
const sampleBigIDBase int64 = 1<<53 + 1

func fillSample(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.Exec(`CREATE TABLE sales (
	id INTEGER PRIMARY KEY,
	region TEXT,
	product TEXT NOT NULL,
	units INTEGER,
	unit_price REAL,
	sold_on DATE NOT NULL,
	big_id BIGINT NOT NULL
)`); err != nil {
		return err
	}
	stmt, err := tx.Prepare(`INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer func() { _ = stmt.Close() }()
	regions := []string{"North", "South", "East", "West"}
	products := []string{"Widget", "Gadget", "Gizmo", "Sprocket", "Doohickey"}
	prices := []float64{2.5, 12.75, 7.25, 0.8, 19.99}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= SampleRows; i++ {
		var region, units, price any
		region = regions[i%len(regions)]
		if i%23 == 0 {
			region = nil
		}
		p := (i * 7) % len(products)
		units = int64((i*37)%50 + 1)
		if i%17 == 0 {
			units = nil
		}
		price = prices[p] + float64(i%3)*0.25
		if i%31 == 0 {
			price = nil
		}
		soldOn := start.AddDate(0, 0, (i*11)%366).Format(time.DateOnly)
		bigID := sampleBigIDBase + int64(i-1)*2
		if _, err := stmt.Exec(i, region, products[p], units, price, soldOn, bigID); err != nil {
			return err
		}
	}
	return tx.Commit()
}
