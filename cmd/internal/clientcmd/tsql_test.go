package clientcmd

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/host/tsql"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// batchDir holds the documentation forms the parser is tested on.
var batchDir = filepath.Join("..", "..", "..", "host", "tsql", "testdata")

func parseBatch(t *testing.T, src string) *tsql.Script {
	t.Helper()
	if name, ok := strings.CutPrefix(src, "@"); ok {
		b, err := os.ReadFile(filepath.Join(batchDir, name))
		if err != nil {
			t.Fatal(err)
		}
		src = string(b)
	}
	s, err := tsql.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A batch's call becomes exec's flags: language, script, input query and
// names, params and their literal values, result schema, target table.
func TestTSQLFlags_MapTheCall(t *testing.T) {
	tests := map[string]struct {
		src     string
		want    []string // name=value, script omitted
		selects []tsqlSelect
		none    bool
	}{
		"renamed data sets": {src: "@python_data_set_names.sql", want: []string{"language=Python",
			"input-query=SELECT 42 as Answer;", "input-name=rows_in", "output-name=rows_out", "result-schema=[Answer] INT NOT NULL"}},
		"blank input query is none": {src: "@r_data_frame.sql", want: []string{"language=R", "result-schema=Greeting NVARCHAR(20)"}},
		"only semicolons is none":   {src: "@python_literal_params.sql", want: []string{"language=Python", "params= @n int, @mean float, @note nvarchar(20)", "param=n=100", "param=mean=-2.5", "param=note=it's fine", "result-schema=[N] INT, [Mean] FLOAT, [Note] NVARCHAR(20)"}},
		"OUTPUT variables": {src: "@python_params_output.sql", want: []string{"language=Python",
			"params=@Counter INT OUTPUT, @Label CHAR(8) OUTPUT", "param=Counter=41", "param=Label=before  "},
			selects: []tsqlSelect{{param: "Counter", column: "Counter"}, {param: "Label", column: "Label"}}},
		"NONE and a NULL variable": {src: "@r_min_output.sql", none: true, want: []string{"language=R",
			"input-query= SELECT col1 FROM RTestData", "params=@MaxValue INT OUTPUT"},
			selects: []tsqlSelect{{param: "MaxValue", column: "maxValue"}}},
		"insert exec": {src: "INSERT dbo.Scores EXEC sp_execute_external_script N'Python', N'pass'",
			want: []string{"language=Python", "into-table=dbo.Scores"}},
		"insert exec with columns": {src: "@python_insert_exec.sql", want: []string{"language=Python",
			"input-query=SELECT region, units FROM sales", "into-table=dbo.Scores ([region], [total])"}},
		"insert exec quoted column": {src: "INSERT INTO [my t] ([a]]b], c) EXEC sp_execute_external_script N'R', N'1'",
			want: []string{"language=R", "into-table=[my t] ([a]]b], [c])"}},
		"parallel 0 is the default": {src: "EXEC sp_execute_external_script N'R', N'1', @parallel = 0",
			want: []string{"language=R"}},
		"rows per read is a param": {src: "@python_rows_per_read.sql", want: []string{"language=python", "input-query=select * from sales",
			"params=@r_rowsPerRead INT", "param=r_rowsPerRead=5", `result-schema="Region" varchar(10) null, "Units" float null`}},
		"partitions": {src: "@r_partitions.sql", want: []string{"language=R", "input-query=SELECT region, units FROM sales",
			"partition-by=region", "order-by=units", "parallel=true", "result-schema=region varchar(20), n int"}},
		"UNDEFINED declares nothing": {src: "@r_undefined_quotes.sql", want: []string{"language=R",
			"input-query=\n           SELECT region\n         , CAST(units as varchar(50)) as Units\n           FROM sales\n" +
				"           WHERE [region] = 'north'\n           ORDER BY id ASC ;"}},
		"select without alias": {src: "DECLARE @v float\nEXEC sp_execute_external_script N'R', N'x <- 1', @params = N'@x float OUTPUT', @X = @v OUTPUT\nSELECT @v",
			want: []string{"language=R", "params=@x float OUTPUT"}, selects: []tsqlSelect{{param: "x", column: "v"}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			flags, out, err := tsqlFlags(parseBatch(t, tc.src))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range flags {
				if f[0] != "script" {
					got = append(got, f[0]+"="+f[1])
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("flags\ngot  %q\nwant %q", got, tc.want)
			}
			if !reflect.DeepEqual(out.selects, tc.selects) || out.none != tc.none {
				t.Errorf("output: got %+v none=%v, want %+v none=%v", out.selects, out.none, tc.selects, tc.none)
			}
		})
	}
}

// What the host cannot do yet is refused by name, never dropped.
// Same table shape as host/tsql's syntax-error tests: each package tests its own errors.
func TestTSQLFlags_RefusesWhatTheHostLacks(t *testing.T) {
	tests := map[string]struct{ src, want string }{
		"parallel 2":        {"EXEC sp_execute_external_script N'R', N'1', @parallel = 2", "line 1, column 45: @parallel = 2: want 0 or 1"},
		"undeclared param":  {"EXEC sp_execute_external_script N'R', N'1', @n = 5", "@n is not a parameter of sp_execute_external_script nor declared in @params"},
		"output not output": {"DECLARE @v int\nEXEC sp_execute_external_script N'R', N'1', @params = N'@n int', @n = @v OUTPUT", "line 2, column 66: @n is bound with OUTPUT but @params does not declare it OUTPUT"},
		"bad params":        {"EXEC sp_execute_external_script N'R', N'1', @params = N'n int'", "@params: bad declaration"},
		"empty script":      {"EXEC sp_execute_external_script N'R', N'  '", "@script is empty"},
		"empty language":    {"EXEC sp_execute_external_script N'', N'1'", "@language is empty"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			flags, _, err := tsqlFlags(parseBatch(t, tc.src))
			if err == nil {
				t.Fatalf("mapped to %q", flags)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// --tsql sets exec's flags itself, so the same flags cannot come from the
// command line too; the script flag carries the script verbatim.
func TestApplyTSQL_SetsFlagsAndRefusesClashes(t *testing.T) {
	path := filepath.Join(batchDir, "python_params_output.sql")
	newFS := func() (*flag.FlagSet, *string, paramFlags) {
		fs := flag.NewFlagSet("exec", flag.ContinueOnError)
		script := fs.String("script", "", "")
		for _, n := range []string{"language", "script-file", "input-query", "input-name", "output-name", "params", "result-schema", "into-table"} {
			fs.String(n, "", "")
		}
		values := paramFlags{}
		fs.Var(values, "param", "")
		return fs, script, values
	}
	fs, script, values := newFS()
	if _, err := applyTSQL(fs, path); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(*script, "Label = \"it's ok!\"") || values["Counter"] != "41" {
		t.Errorf("script %q, params %v", *script, values)
	}
	fs, _, _ = newFS()
	if err := fs.Parse([]string{"--language", "R"}); err != nil {
		t.Fatal(err)
	}
	if _, err := applyTSQL(fs, path); err == nil || !strings.Contains(err.Error(), "--language cannot be given too") {
		t.Errorf("err = %v", err)
	}
	fs, _, _ = newFS()
	_, err := applyTSQL(fs, filepath.Join(batchDir, "refused_create_table.sql"))
	if err == nil || !strings.Contains(err.Error(), "refused_create_table.sql: line 3, column 1: CREATE TABLE is not supported") {
		t.Errorf("err = %v", err)
	}
}

type recordingWriter struct {
	ps *bxl.Schema
	pb *bxl.Batch
}

func (r *recordingWriter) Schema(*bxl.Schema) error { return nil }
func (r *recordingWriter) Batch(*bxl.Batch) error   { return nil }
func (r *recordingWriter) Close(ps *bxl.Schema, pb *bxl.Batch, _ *proto.Status) error {
	r.ps, r.pb = ps, pb
	return nil
}

// The final SELECT prints the chosen OUTPUT params under their columns,
// in its order; NONE turns a result set into an error.
func TestTSQLWriter_SelectsAndNone(t *testing.T) {
	ps := &bxl.Schema{Fields: []bxl.Field{{Name: "a", Type: bxl.TypeInt32, Nullable: true, Output: true},
		{Name: "b", Type: bxl.TypeString, Nullable: true, Output: true}}}
	bld := bxl.NewBuilder(ps)
	if err := bld.AppendRow(int32(7), "x"); err != nil {
		t.Fatal(err)
	}
	pb := bld.Build()
	rec := &recordingWriter{}
	w := (&tsqlOutput{selects: []tsqlSelect{{param: "B", column: "Bee"}, {param: "a", column: "a"}}}).wrap(rec)
	if err := w.Close(ps, pb, &proto.Status{}); err != nil {
		t.Fatal(err)
	}
	if len(rec.ps.Fields) != 2 || rec.ps.Fields[0].Name != "Bee" || rec.pb.Columns[0].Value(0) != "x" || rec.pb.Columns[1].Value(0) != int32(7) {
		t.Errorf("selected %+v / %+v", rec.ps, rec.pb)
	}
	rec = &recordingWriter{}
	if err := (&tsqlOutput{}).wrap(rec).Close(ps, pb, &proto.Status{}); err != nil || rec.ps != nil {
		t.Errorf("without a SELECT params were printed: %+v, %v", rec.ps, err)
	}
	if err := (&tsqlOutput{selects: []tsqlSelect{{param: "zz", column: "z"}}}).wrap(rec).Close(ps, pb, &proto.Status{}); err == nil {
		t.Error("a missing OUTPUT param was not an error")
	}
	none := (&tsqlOutput{none: true}).wrap(rec)
	if err := none.Schema(&bxl.Schema{Fields: []bxl.Field{{Name: "x", Type: bxl.TypeInt32}}}); err == nil ||
		!strings.Contains(err.Error(), "WITH RESULT SETS NONE") {
		t.Errorf("err = %v", err)
	}
	if err := none.Schema(&bxl.Schema{}); err != nil {
		t.Errorf("an empty schema under NONE: %v", err)
	}
}
