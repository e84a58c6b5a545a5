package sqlio

import (
	"errors"
	"reflect"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
)

func TestParamRefs_SkipsLiteralsCommentsAndSystemFunctions(t *testing.T) {
	q := `SELECT @a, @A, [@b], "@c", '@d''@e', @@ROWCOUNT, ` + "`@f`" + ` -- @g
	/* @h */ FROM t WHERE x = @Größe AND y=@x_1#`
	want := []string{"a", "A", "Größe", "x_1#"}
	if got := ParamRefs(q); !reflect.DeepEqual(got, want) {
		t.Fatalf("ParamRefs = %q, want %q", got, want)
	}
}

func TestBindRefs_CaseInsensitiveAndNamesTheUndeclared(t *testing.T) {
	ps := []datasource.Param{{Name: "Region", Value: "North"}, {Name: "n", Value: int64(1)}}
	got, err := BindRefs(`SELECT @REGION, @region, @N`, ps)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got["REGION"].Name != "Region" || got["region"].Name != "Region" || got["N"].Name != "n" {
		t.Fatalf("BindRefs = %+v", got)
	}
	_, err = BindRefs(`SELECT @n + @missing`, ps)
	if !errors.Is(err, datasource.ErrUndeclaredParam) || err.Error() != `must declare the scalar variable "@missing": the input query uses @missing, which --params does not declare` {
		t.Fatalf("err = %v", err)
	}
}
