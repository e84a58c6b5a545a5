package mssql

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/datasource/dstest"
	"github.com/openlaunchpad/launchpad/internal/tdsfake"
)

// TestSQLServerFake_ParamsBindThroughExecuteSQL: with params declared, the
// input query runs through sp_executesql with the declarations as written
// (OUTPUT dropped: it is an input here) and each value in a type the server
// converts to the declared one exactly. The TDS fake decodes the RPC.
func TestSQLServerFake_ParamsBindThroughExecuteSQL(t *testing.T) {
	srv := startFake(t)
	src := openMSSQL(t, srv.DSN(fakeUser, fakePassword))
	const q = `SELECT id FROM dbo.sales WHERE region = @REGION AND sold_on >= @From AND price > @minprice AND @n > 0`
	srv.SetResult(q, tdsfake.Result{Columns: []tdsfake.Column{{Name: "id", Type: "bigint"}}, Rows: [][]any{{int64(3)}}})
	ps := dstest.Params(t, "@Region nvarchar(20), @from date, @minPrice decimal(10,2), @n int OUTPUT, @none int, @u uniqueidentifier, @stmt int",
		map[string]string{"Region": "North", "from": "2024-01-06", "minPrice": "2.5", "n": "3",
			"u": "0f8fad5b-d9cb-469f-a165-70867728950e", "stmt": "1"})
	rows, err := src.Query(context.Background(), q, ps, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := dstest.Drain(t, rows)
	dstest.CloseRows(t, rows)
	if len(got) != 1 || got[0][0] != int64(3) {
		t.Fatalf("rows = %v, want [[3]]", got)
	}
	calls := srv.RPCCalls()
	if len(calls) != 1 {
		t.Fatalf("fake saw %d sp_executesql calls, want 1", len(calls))
	}
	c := calls[0]
	if c.Statement != q {
		t.Errorf("statement = %q, want the input query unchanged", c.Statement)
	}
	if want := "@Region nvarchar(20), @from date, @minPrice decimal(10,2), @n int, @none int, @u uniqueidentifier, @stmt int"; c.Params != want {
		t.Errorf("declarations = %q, want %q", c.Params, want)
	}
	from, ok := c.Values["from"].(time.Time)
	if !ok || from.Format(time.DateOnly) != "2024-01-06" {
		t.Errorf("@from = %#v, want 2024-01-06", c.Values["from"])
	}
	delete(c.Values, "from")
	want := map[string]any{"Region": "North", "minPrice": "2.50", "n": int64(3), "none": nil,
		"u": "0f8fad5b-d9cb-469f-a165-70867728950e", "stmt": int64(1)}
	if !reflect.DeepEqual(c.Values, want) {
		t.Errorf("values = %#v, want %#v", c.Values, want)
	}
}

// TestSQLServerFake_UndeclaredParamIsTheServersError: the server resolves
// names itself; a @variable the declarations lack is its error 137.
func TestSQLServerFake_UndeclaredParamIsTheServersError(t *testing.T) {
	srv := startFake(t)
	src := openMSSQL(t, srv.DSN(fakeUser, fakePassword))
	ps := dstest.Params(t, "@a int", map[string]string{"a": "1"})
	_, err := src.Query(context.Background(), `SELECT @a + @b AS x`, ps, 0)
	if err == nil || !strings.Contains(err.Error(), `Must declare the scalar variable "@b"`) {
		t.Fatalf("err = %v, want the server's Must declare the scalar variable \"@b\"", err)
	}
}
