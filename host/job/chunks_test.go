package job

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// sliceRows is a datasource.Rows over prepared batches.
type sliceRows struct {
	schema  *bxl.Schema
	batches []*bxl.Batch
}

func (r *sliceRows) Schema() *bxl.Schema { return r.schema }
func (r *sliceRows) Close() error        { return nil }
func (r *sliceRows) Next() (*bxl.Batch, error) {
	if len(r.batches) == 0 {
		return nil, io.EOF
	}
	b := r.batches[0]
	r.batches = r.batches[1:]
	return b, nil
}

// rowsOf makes batches of (k string, v int64) rows; sizes cut them.
func rowsOf(t *testing.T, keys string, sizes ...int) *sliceRows {
	t.Helper()
	s := &bxl.Schema{Fields: []bxl.Field{{Name: "k", Type: bxl.TypeString, Nullable: true}, {Name: "v", Type: bxl.TypeInt64}}}
	r := &sliceRows{schema: s}
	i := 0
	for _, n := range sizes {
		b := bxl.NewBuilder(s)
		for j := 0; j < n; j++ {
			var k any = string(keys[i])
			if keys[i] == '_' {
				k = nil
			}
			if err := b.AppendRow(k, int64(i)); err != nil {
				t.Fatal(err)
			}
			i++
		}
		r.batches = append(r.batches, b.Build())
	}
	return r
}

// chunksOf reads c to the end and renders each chunk as its keys and values.
func chunksOf(t *testing.T, c *chunker) []string {
	t.Helper()
	var out []string
	cur := ""
	for {
		b, err := c.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.Rows == 0 {
			out = append(out, cur)
			cur = ""
			continue
		}
		for i := 0; i < b.Rows; i++ {
			k := "_"
			if v := b.Columns[0].Value(i); v != nil {
				k = v.(string)
			}
			cur += fmt.Sprintf("%s%d ", k, b.Columns[1].Int64(i))
		}
	}
	return append(out, cur)
}

func TestChunker_CutsByRowsAndPartitions(t *testing.T) {
	for name, tc := range map[string]struct {
		keys  string
		sizes []int
		per   int64
		part  bool
		want  []string
	}{
		"RowsAcrossBatches": {"aaaaaaa", []int{2, 5}, 3, false, []string{"a0 a1 a2 ", "a3 a4 a5 ", "a6 "}},
		"RowsExact":         {"aaaa", []int{4}, 2, false, []string{"a0 a1 ", "a2 a3 "}},
		"OneChunk":          {"aaa", []int{1, 1, 1}, 10, false, []string{"a0 a1 a2 "}},
		"Partitions":        {"aabbc", []int{3, 2}, 0, true, []string{"a0 a1 ", "b2 b3 ", "c4 "}},
		"PartitionAtBatch":  {"aabb", []int{2, 2}, 0, true, []string{"a0 a1 ", "b2 b3 "}},
		"NullKeysGroup":     {"__ab", []int{1, 3}, 0, true, []string{"_0 _1 ", "a2 ", "b3 "}},
		"RowsInPartitions":  {"aaabb", []int{5}, 2, true, []string{"a0 a1 ", "a2 ", "b3 b4 "}},
	} {
		t.Run(name, func(t *testing.T) {
			rows := rowsOf(t, tc.keys, tc.sizes...)
			var keys []int
			if tc.part {
				keys = []int{0}
			}
			c := newChunker(rows, tc.per, keys)
			if got := chunksOf(t, c); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("chunks %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOrderedQuery_GroupsThenOrders(t *testing.T) {
	got := orderedQuery("SELECT a, b FROM t;", []string{"a"}, []string{"b"})
	if !strings.HasSuffix(got, ") AS launchpad_input ORDER BY a, b") || strings.Contains(got, ";") {
		t.Fatalf("query %q", got)
	}
	if orderedQuery("SELECT 1", nil, nil) != "SELECT 1" {
		t.Fatal("a query without partitions must stay as it is")
	}
}

func TestPrepareChunks_RowsPerReadParam(t *testing.T) {
	decl := func(s string) []sqltype.Decl {
		d, err := sqltype.ParseParams(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	req := &Request{ID: "j", Params: decl("@r_rowsPerRead int"), ParamValues: map[string]string{"r_rowsPerRead": "5"}}
	if err := prepareChunks(req); err != nil || req.RowsPerRead != 5 {
		t.Fatalf("rows per read %d, %v", req.RowsPerRead, err)
	}
	for name, req := range map[string]*Request{
		"Negative":  {ID: "j", RowsPerRead: -1},
		"NotNumber": {ID: "j", Params: decl("@r_rowsPerRead int"), ParamValues: map[string]string{"r_rowsPerRead": "x"}},
		"Disagree":  {ID: "j", RowsPerRead: 4, Params: decl("@R_ROWSPERREAD int"), ParamValues: map[string]string{"R_ROWSPERREAD": "5"}},
		"BadColumn": {ID: "j", InputQuery: "SELECT 1", PartitionBy: []string{"a;b"}},
		"NoQuery":   {ID: "j", PartitionBy: []string{"a"}},
		"OrderOnly": {ID: "j", InputQuery: "SELECT 1", OrderBy: []string{"a"}},
		"BadOrder":  {ID: "j", InputQuery: "SELECT 1", PartitionBy: []string{"a"}, OrderBy: []string{"b DOWN"}},
	} {
		if err := prepareChunks(req); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
