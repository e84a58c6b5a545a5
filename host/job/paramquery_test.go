package job

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/mssql"
	"github.com/openlaunchpad/launchpad/host/datasource/sqlite"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/internal/tdsfake"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// modelSource is a real SQLite instance with a table of models: "big" is
// a model of several MiB, "twin" is there twice.
func modelSource(t *testing.T, big []byte) datasource.Source {
	t.Helper()
	src, err := sqlite.Open(t.TempDir() + "/instance.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	s := &bxl.Schema{Fields: []bxl.Field{{Name: "name", Type: bxl.TypeString, Nullable: true},
		{Name: "model", Type: bxl.TypeBinary, Nullable: true}, {Name: "score", Type: bxl.TypeFloat64, Nullable: true}}}
	b := bxl.NewBuilder(s)
	for _, row := range [][]any{{"big", big, 2.5}, {"twin", []byte{1}, 1.0}, {"twin", []byte{2}, 2.0}, {"text", []byte("abc"), 0.1234}} {
		if err := b.AppendRow(row...); err != nil {
			t.Fatal(err)
		}
	}
	w, err := src.BeginWrite(context.Background(), "models", true, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(b.Build()); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return src
}

// paramsOf returns the params block prepare builds for req.
func paramsOf(t *testing.T, req *Request) (*bxl.Schema, *bxl.Batch) {
	t.Helper()
	schema, values, err := (&Runner{}).prepare(req)
	if err != nil {
		t.Fatal(err)
	}
	return schema, values
}

func request(t *testing.T, params string, values map[string]string, qs ...ParamQuery) *Request {
	t.Helper()
	decls, err := sqltype.ParseParams(params)
	if err != nil {
		t.Fatal(err)
	}
	return &Request{ID: "j1", Script: "x", Params: decls, ParamValues: values, ParamQueries: qs}
}

func modelQuery(t *testing.T, param, name string) ParamQuery {
	decls, err := sqltype.ParseParams("@model varchar(100)")
	if err != nil {
		t.Fatal(err)
	}
	return ParamQuery{Param: param, Query: "SELECT model FROM models WHERE name = @Model", Params: decls,
		ParamValues: map[string]string{"MODEL": name}}
}

// A model of several MiB arrives byte for byte, a query without rows gives
// NULL, and the params given as values keep them.
func TestParamQueries_ValuesNullAndAModel(t *testing.T) {
	big := make([]byte, 6<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	src := modelSource(t, big)
	req := request(t, "@nb_model varbinary(max), @n int, @none varbinary(max), @score decimal(10,3) OUTPUT",
		map[string]string{"N": "5"}, modelQuery(t, "NB_MODEL", "big"), modelQuery(t, "none", "no such model"),
		ParamQuery{Param: "score", Query: "SELECT score FROM models WHERE name = 'text'"})
	schema, values := paramsOf(t, req)
	got, err := runParamQueries(context.Background(), src, req, schema, values, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := got.Columns[0].Value(0).([]byte); !ok || !bytes.Equal(m, big) {
		t.Errorf("the model came back as %T of %d bytes, want the %d bytes stored", got.Columns[0].Value(0), len(m), len(big))
	}
	if n := got.Columns[1].Value(0); n != int32(5) {
		t.Errorf("@n = %v (%T), want 5", n, n)
	}
	if !got.Columns[2].IsNull(0) {
		t.Errorf("@none = %v, want NULL (the query has no row)", got.Columns[2].Value(0))
	}
	if d := got.Columns[3].Value(0); sqltype.Text(bxl.TypeDecimal, d) != "0.123" {
		t.Errorf("@score = %v, want 0.123 (0.1234 cast to decimal(10,3))", d)
	}
}

// More than one row or column, a value that does not convert, and a query
// that fails are errors naming the param; nothing is guessed.
func TestParamQueries_Errors(t *testing.T) {
	src := modelSource(t, []byte{0})
	tests := map[string]struct {
		params string
		q      ParamQuery
		want   string
	}{
		"two rows":        {"@m varbinary(max)", modelQuery(t, "m", "twin"), "param @m = (SELECT model FROM models WHERE name = @Model): the query returned more than 1 value"},
		"two columns":     {"@m varbinary(max)", ParamQuery{Param: "m", Query: "SELECT model, name FROM models WHERE name = 'big'"}, "the query returns 2 columns"},
		"binary to int":   {"@m int", modelQuery(t, "m", "big"), "its value does not convert to the param's type int: binary cannot become int32"},
		"text to int":     {"@m int", ParamQuery{Param: "m", Query: "SELECT name FROM models WHERE name = 'big'"}, `its value does not convert to the param's type int`},
		"not a read":      {"@m int", ParamQuery{Param: "m", Query: "DELETE FROM models"}, "param @m = (DELETE FROM models)"},
		"no such table":   {"@m int", ParamQuery{Param: "m", Query: "SELECT x FROM nope"}, "no such table"},
		"undeclared var":  {"@m int", ParamQuery{Param: "m", Query: "SELECT 1 WHERE 1 = @zz"}, "@zz"},
		"long query text": {"@m int", ParamQuery{Param: "m", Query: "SELECT x FROM nope WHERE a = 1 AND b = 2 AND c = 3 AND d = 4 AND e = 5 AND f = 6"}, "AND d = 4…): "},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			req := request(t, tc.params, nil, tc.q)
			schema, values := paramsOf(t, req)
			_, err := runParamQueries(context.Background(), src, req, schema, values, 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// A request's queries are checked with the request, before anything runs.
func TestBindQueries_RefusesBadRequests(t *testing.T) {
	q := func(param string) ParamQuery { return ParamQuery{Param: param, Query: "SELECT 1"} }
	bad := modelQuery(t, "m", "x")
	bad.Params[0].Field.Type, bad.ParamValues = bxl.TypeInt32, map[string]string{"model": "not a number"}
	tests := map[string]struct {
		values map[string]string
		qs     []ParamQuery
		want   string
	}{
		"undeclared":      {nil, []ParamQuery{q("zz")}, "a query is given for undeclared param @zz"},
		"value and query": {map[string]string{"M": "1"}, []ParamQuery{q("m")}, "param @m is given both a value and a query"},
		"two queries":     {nil, []ParamQuery{q("m"), q("M")}, "param @m is given two queries"},
		"empty":           {nil, []ParamQuery{{Param: "m", Query: " \n"}}, "param @m: its query is empty"},
		"chunk size":      {nil, []ParamQuery{q("R_ROWSPERREAD")}, "param @r_rowsPerRead sets the chunk size: give it a number, not a query"},
		"bad variable":    {nil, []ParamQuery{bad}, `param @m's query: `},
		"unknown var":     {nil, []ParamQuery{{Param: "m", Query: "SELECT 1", ParamValues: map[string]string{"x": "1"}}}, "value given for undeclared param @x"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := (&Runner{}).prepare(request(t, "@m int, @r_rowsPerRead int", tc.values, tc.qs...))
			var jerr *Error
			if !errors.As(err, &jerr) || jerr.Code != CodeInvalidRequest || !strings.Contains(jerr.Error(), tc.want) {
				t.Errorf("err = %v, want an invalid request containing %q", err, tc.want)
			}
		})
	}
}

// On SQL Server (the TDS fake) the query goes through sp_executesql with
// its variables declared as the batch declared them, and a varbinary(max)
// value of 1 MiB comes back byte for byte; two rows fail as on SQLite.
func TestParamQueries_SQLServer(t *testing.T) {
	srv := &tdsfake.Server{User: "u", Password: "Passw0rd!x"}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	model := make([]byte, 1<<20)
	if _, err := rand.Read(model); err != nil {
		t.Fatal(err)
	}
	q := modelQuery(t, "nb_model", "Naive Bayes")
	col := []tdsfake.Column{{Name: "model", Type: "varbinary(max)", Nullable: true}}
	srv.SetResult(q.Query, tdsfake.Result{Columns: col, Rows: [][]any{{model}}})
	const twice = "SELECT model FROM dbo.models"
	srv.SetResult(twice, tdsfake.Result{Columns: col, Rows: [][]any{{[]byte{1}}, {[]byte{2}}}})
	src, err := mssql.Open(context.Background(), srv.DSN("u", "Passw0rd!x"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })

	req := request(t, "@nb_model varbinary(max)", nil, q)
	schema, values := paramsOf(t, req)
	got, err := runParamQueries(context.Background(), src, req, schema, values, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := got.Columns[0].Value(0).([]byte); !bytes.Equal(m, model) {
		t.Errorf("the model came back as %d bytes, want the %d the server sent", len(m), len(model))
	}
	calls := srv.RPCCalls()
	if len(calls) != 1 || calls[0].Params != "@model varchar(100)" || calls[0].Values["model"] != "Naive Bayes" {
		t.Errorf("sp_executesql calls = %+v, want one declaring @model varchar(100) = 'Naive Bayes'", calls)
	}

	req = request(t, "@nb_model varbinary(max)", nil, ParamQuery{Param: "nb_model", Query: twice})
	schema, values = paramsOf(t, req)
	if _, err := runParamQueries(context.Background(), src, req, schema, values, 0); err == nil ||
		!strings.Contains(err.Error(), "more than 1 value") {
		t.Errorf("two rows: err = %v", err)
	}
}
