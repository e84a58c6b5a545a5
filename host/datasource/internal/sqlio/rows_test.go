package sqlio

import "testing"

// TestSQLRows_OversizeValueIsNamedBeforeCopy drives the generic row reader
// (the SQL Server path) with values the driver already holds.
func TestSQLRows_OversizeValueIsNamedBeforeCopy(t *testing.T) {
	var c cell
	c.limit = 4
	if err := c.Scan([]byte("12345")); err != nil {
		t.Fatal(err)
	}
	if c.v != oversize(5) {
		t.Fatalf("cell = %#v, want oversize(5)", c.v)
	}
	if err := c.Scan("1234"); err != nil || c.v != "1234" {
		t.Fatalf("cell = %#v, %v", c.v, err)
	}
}
