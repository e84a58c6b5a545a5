package clientcmd

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/tsql"
)

// A param bound to a variable holding a query's value becomes a param
// query, not a --param flag: the query text, and the variables it names
// with their declared types and their values where the query stands.
func TestTSQLFlags_ParamQueries(t *testing.T) {
	src := "DECLARE @model varchar(100) = 'Naive Bayes', @n int, @k int = -3;\n" +
		"DECLARE @nb_model varbinary(max) = (SELECT model FROM iris_models WHERE model_name = @model AND n = @N AND k = @k);\n" +
		"SET @model = 'other'\n" +
		"DECLARE @count int\nSET @count = (SELECT count(*) FROM t)\n" +
		"EXEC sp_execute_external_script @language = N'Python', @script = N'1',\n" +
		" @params = N'@nb_model varbinary(max), @c int OUTPUT, @m varchar(100)', @nb_model = @nb_model, @C = @count OUTPUT, @m = @model"
	flags, out, err := tsqlFlags(parseBatch(t, src))
	if err != nil {
		t.Fatal(err)
	}
	var params []string
	for _, f := range flags {
		if f[0] == "param" {
			params = append(params, f[1])
		}
	}
	if want := []string{"m=other"}; !reflect.DeepEqual(params, want) {
		t.Errorf("--param flags %q, want %q", params, want)
	}
	var got []string
	for _, q := range out.paramQueries() {
		got = append(got, fmt.Sprintf("%s: %s | %s | %v", q.GetParam(), q.GetQuery(), q.GetParams(), q.GetParamValues()))
	}
	want := []string{
		"nb_model: SELECT model FROM iris_models WHERE model_name = @model AND n = @N AND k = @k | @model varchar(100), @n int, @k int | map[k:-3 model:Naive Bayes]",
		"c: SELECT count(*) FROM t |  | map[]",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("param queries\ngot  %q\nwant %q", got, want)
	}
	if (*tsqlOutput)(nil).paramQueries() != nil {
		t.Error("without --tsql there are param queries")
	}
}

// A query's value taken anywhere but by a declared param is refused with
// the variable's name.
func TestTSQLFlags_ParamQueryRefusals(t *testing.T) {
	for name, tc := range map[string]struct{ src, want string }{
		"undeclared param": {"DECLARE @v int = (SELECT 1)\nEXEC sp_execute_external_script N'R', N'1', @v = @v",
			"@v is not a parameter of sp_execute_external_script nor declared in @params"},
		"parallel": {"DECLARE @v int = (SELECT 1)\nEXEC sp_execute_external_script N'R', N'1', @parallel = @v",
			"@parallel = @v: @v holds the value of a query"},
		"selected": {"DECLARE @v int = (SELECT 1)\nEXEC sp_execute_external_script N'R', N'1', @params = N'@p int', @p = @v\nSELECT @v",
			"SELECT @v: only variables bound to OUTPUT params of the call can be selected"},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := tsql.Parse(tc.src)
			if err == nil {
				_, _, err = tsqlFlags(s)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
