package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/dstest"
)

func queryParams(t *testing.T, src datasource.Source, q string, ps []datasource.Param) ([][]any, error) {
	t.Helper()
	rows, err := src.Query(context.Background(), q, ps, 0)
	if err != nil {
		return nil, err
	}
	defer dstest.CloseRows(t, rows)
	return dstest.Drain(t, rows), nil
}

// TestSQLite_ParamsBindInInputQuery: declared params are bound in the input
// query with their declared type's value, whatever letter case the query
// names them in; NULL and OUTPUT params bind too.
func TestSQLite_ParamsBindInInputQuery(t *testing.T) {
	src := openSQLiteTest(t)
	sqliteExec(t, src, `CREATE TABLE sales(id INTEGER, region TEXT, sold_on DATE, price DECIMAL(10,2));
		INSERT INTO sales VALUES (1, 'North', '2024-01-05', 2.50), (2, 'South', '2024-01-06', 12.75),
			(3, 'North', '2024-02-01', 7.25), (4, NULL, '2024-02-02', 0.80)`)
	ps := dstest.Params(t, "@Region nvarchar(20), @from date, @minPrice decimal(10,2), @n int OUTPUT, @none int",
		map[string]string{"Region": "North", "from": "2024-01-06", "minPrice": "2.5", "n": "3"})
	got, err := queryParams(t, src, `SELECT id, @N AS n, @NONE AS none FROM sales
		WHERE region = @region AND sold_on >= @FROM AND price > @MinPrice -- @ignored in a comment
		AND '@notaparam' <> "@x" ORDER BY id`, ps)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0][0] != int64(3) || got[0][1] != int64(3) || got[0][2] != nil {
		t.Fatalf("rows = %v, want [[3 3 <nil>]]", got)
	}
	// A date binds as the instance stores dates: equal, not just ordered.
	got, err = queryParams(t, src, `SELECT id FROM sales WHERE sold_on = @from`, ps)
	if err != nil || len(got) != 1 || got[0][0] != int64(2) {
		t.Fatalf("date equality = %v, %v; want [[2]]", got, err)
	}
}

// TestSQLite_UndeclaredParamIsNamed: a @variable no param declares is an
// error naming it, as SQL Server's "Must declare the scalar variable".
func TestSQLite_UndeclaredParamIsNamed(t *testing.T) {
	src := openSQLiteTest(t)
	ps := dstest.Params(t, "@a int", map[string]string{"a": "1"})
	for _, q := range []string{`SELECT @a + @b AS x`, `SELECT @b AS x`} {
		_, err := queryParams(t, src, q, ps)
		if !errors.Is(err, datasource.ErrUndeclaredParam) || !containsAll(err.Error(), `"@b"`) {
			t.Errorf("%s: err = %v, want ErrUndeclaredParam naming @b", q, err)
		}
	}
	if _, err := queryParams(t, src, `SELECT @a AS x`, nil); !errors.Is(err, datasource.ErrUndeclaredParam) {
		t.Errorf("no params declared: err = %v, want ErrUndeclaredParam", err)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
