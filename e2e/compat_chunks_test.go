package e2e

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// numbers is an input query of the integers 1..n in column x.
func numbers(n int) string {
	return fmt.Sprintf("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < %d) SELECT x FROM n", n)
}

// cells renders column col of every row, joined by commas.
func (j jsonResult) cells(t *testing.T, col string) string {
	t.Helper()
	var out []string
	for i := range j.Rows {
		out = append(out, j.cell(t, i, col))
	}
	return strings.Join(out, ",")
}

// @r_rowsPerRead (issue 9 item 7): the script runs once per chunk of N rows
// in one session; OUTPUT params carry over from chunk to chunk and the
// outputs form one result set.
func TestChunks_RowsPerReadCarriesOutputParams(t *testing.T) {
	scripts := map[string]string{
		"Python": "calls += 1\ntotal += int(InputDataSet['x'].sum())\n" +
			"import pandas as pd\nOutputDataSet = pd.DataFrame({'chunk': [calls], 'rows': [len(InputDataSet)], 'running': [total]})",
		"R": "calls <- calls + 1L\ntotal <- total + sum(InputDataSet$x)\n" +
			"OutputDataSet <- data.frame(chunk = calls, rows = nrow(InputDataSet), running = total)",
	}
	for lang, script := range scripts {
		t.Run(lang, func(t *testing.T) {
			for _, how := range [][]string{
				{"--rows-per-read", "4", "--params", "@calls int OUTPUT, @total int OUTPUT"},
				{"--params", "@calls int OUTPUT, @total int OUTPUT, @r_rowsPerRead int", "--param", "r_rowsPerRead=4"},
			} {
				args := append([]string{"--language", lang, "--input-query", numbers(10), "--script", script,
					"--param", "calls=0", "--param", "total=0"}, how...)
				jr, _ := runJSON(t, args...)
				if got := jr.cells(t, "chunk") + " / " + jr.cells(t, "rows") + " / " + jr.cells(t, "running"); got != "1,2,3 / 4,4,2 / 10,36,55" {
					t.Errorf("%v: chunks gave %s, want 1,2,3 / 4,4,2 / 10,36,55", how[:2], got)
				}
				if c, s := string(jr.OutputParams["calls"]), string(jr.OutputParams["total"]); c != "3" || s != "55" {
					t.Errorf("%v: OUTPUT params calls=%s total=%s, want 3 and 55", how[:2], c, s)
				}
				if jr.Stats.RowsIn != 10 || jr.Stats.RowsOut != 3 {
					t.Errorf("%v: stats rows in %d out %d", how[:2], jr.Stats.RowsIn, jr.Stats.RowsOut)
				}
			}
		})
	}
}

// A chunk whose output has other columns than the first chunk's fails the
// job naming the chunk.
func TestChunks_SchemaChangeNamesTheChunk(t *testing.T) {
	py := "import pandas as pd\nOutputDataSet = pd.DataFrame({'a' if InputDataSet['x'][0] < 3 else 'b': [1]})"
	r := execArgs(t, "--language", "Python", "--input-query", numbers(6), "--rows-per-read", "3", "--script", py)
	mustFail(t, r, "chunk 2", "chunk 1")
	rs := "OutputDataSet <- if (InputDataSet$x[1] < 3) data.frame(a = 1L) else data.frame(a = 'text')"
	r = execArgs(t, "--language", "R", "--input-query", numbers(6), "--rows-per-read", "3", "--script", rs)
	mustFail(t, r, "chunk 2", "chunk 1")
	r = execArgs(t, "--language", "Python", "--input-query", numbers(6), "--rows-per-read", "3",
		"--script", "if InputDataSet['x'][0] > 3: raise ValueError('boom')")
	mustFail(t, r, "chunk 2", "boom")
}

// A big input read in small chunks keeps the host's memory bounded and
// the runtime's too: only one chunk is ever in the runtime's memory.
func TestChunks_BigInputSmallChunksBoundedMemory(t *testing.T) {
	const rows = 3_000_000
	q := fmt.Sprintf("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < %d) "+
		"SELECT x, printf('%%040d', x) AS pad FROM n", rows)
	before := hostPeakRSS(t)
	py := "seen += len(InputDataSet)\nbiggest = max(biggest, len(InputDataSet))"
	jr, _ := runJSON(t, "--language", "Python", "--input-query", q, "--rows-per-read", "50000",
		"--params", "@seen int OUTPUT, @biggest int OUTPUT", "--param", "seen=0", "--param", "biggest=0", "--script", py)
	if s, b := string(jr.OutputParams["seen"]), string(jr.OutputParams["biggest"]); s != fmt.Sprint(rows) || b != "50000" {
		t.Fatalf("seen %s rows in chunks of at most %s, want %d in 50000", s, b, rows)
	}
	grew := hostPeakRSS(t) - before
	// ~150 MB of input; the host holds a few batches of it at a time.
	if grew > 64<<20 {
		t.Errorf("host peak RSS grew by %d MiB for %d rows", grew>>20, rows)
	}
	// pandas and numpy alone take ~60 MiB; a whole input frame would add ~250 MiB.
	if peak := jr.Stats.PeakMemoryBytes; peak > 200<<20 {
		t.Errorf("runtime peak memory %d MiB: more than one chunk was held", peak>>20)
	}
	t.Logf("host peak RSS grew by %d KiB; job peak %d MiB", grew>>10, jr.Stats.PeakMemoryBytes>>20)
}

// grouped is numbers(n) with g = x % 3: three partitions.
func grouped(n int) string {
	return fmt.Sprintf("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < %d) SELECT x %% 3 AS g, x FROM n", n)
}

// @input_data_1_partition_by_columns / @input_data_1_order_by_columns: the
// script runs once per partition, each ordered by the order-by columns.
func TestChunks_PartitionsWithOrder(t *testing.T) {
	scripts := map[string]string{
		"Python": "calls += 1\nimport pandas as pd\n" +
			"OutputDataSet = pd.DataFrame({'g': [int(InputDataSet['g'][0])], 'call': [calls], 'xs': [' '.join(str(v) for v in InputDataSet['x'])]})",
		"R": "calls <- calls + 1L\nOutputDataSet <- data.frame(g = InputDataSet$g[1], call = calls, xs = paste(InputDataSet$x, collapse = ' '))",
	}
	for lang, script := range scripts {
		t.Run(lang, func(t *testing.T) {
			jr, _ := runJSON(t, "--language", lang, "--input-query", grouped(9), "--partition-by", "g", "--order-by", "x DESC",
				"--params", "@calls int OUTPUT", "--param", "calls=0", "--script", script)
			got := jr.cells(t, "g") + " / " + jr.cells(t, "call") + " / " + jr.cells(t, "xs")
			if want := `0,1,2 / 1,2,3 / "9 6 3","7 4 1","8 5 2"`; got != want {
				t.Errorf("partitions gave %s, want %s", got, want)
			}
			if c := string(jr.OutputParams["calls"]); c != "3" {
				t.Errorf("the script ran %s times, want 3", c)
			}
		})
	}
	r := execArgs(t, "--language", "Python", "--input-query", grouped(3), "--partition-by", "nope", "--script", "pass")
	mustFail(t, r, "nope")
}

// @parallel = 1: partitions run in separate sandboxes (worker accounts) at
// the same time; their outputs form one result set; a failing partition
// fails the job, naming it.
func TestChunks_ParallelPartitionsRunAtOnce(t *testing.T) {
	py := "import os, time\nimport pandas as pd\nstart = time.time()\ntime.sleep(2)\n" +
		"OutputDataSet = pd.DataFrame({'g': [int(InputDataSet['g'][0])], 'n': [len(InputDataSet)], 'uid': [os.getuid()], 'start': [start], 'end': [time.time()]})"
	q := "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10) SELECT x % 2 AS g, x FROM n"
	jr, _ := runJSON(t, "--language", "Python", "--input-query", q, "--partition-by", "g", "--parallel", "--script", py)
	if len(jr.Rows) != 2 {
		t.Fatalf("%d rows, want one per partition", len(jr.Rows))
	}
	var starts, ends [2]float64
	uids := map[string]bool{}
	for i := range jr.Rows {
		if n := jr.cell(t, i, "n"); n != "5" {
			t.Errorf("partition %s has %s rows, want 5", jr.cell(t, i, "g"), n)
		}
		uids[jr.cell(t, i, "uid")] = true
		fmt.Sscan(jr.cell(t, i, "start"), &starts[i])
		fmt.Sscan(jr.cell(t, i, "end"), &ends[i])
	}
	if len(uids) != 2 {
		t.Errorf("partitions ran as worker uids %v, want two accounts", uids)
	}
	if max(starts[0], starts[1]) >= min(ends[0], ends[1]) {
		t.Errorf("partitions did not overlap: %v..%v and %v..%v", starts[0], ends[0], starts[1], ends[1])
	}
	if jr.Stats.RowsIn != 10 || jr.Stats.RowsOut != 2 {
		t.Errorf("stats rows in %d out %d, want 10 and 2", jr.Stats.RowsIn, jr.Stats.RowsOut)
	}

	bad := "import time\nif InputDataSet['g'][0] == 1: raise ValueError('odd one')\ntime.sleep(30)"
	began := time.Now()
	r := execArgs(t, "--language", "Python", "--input-query", q, "--partition-by", "g", "--parallel", "--script", bad)
	mustFail(t, r, "partition 2", "odd one")
	if d := time.Since(began); d > 20*time.Second {
		t.Errorf("the failed job took %s: the other partition was not cancelled", d)
	}
	shape := "import pandas as pd\nOutputDataSet = pd.DataFrame({'c%d' % InputDataSet['g'][0]: [1]})"
	r = execArgs(t, "--language", "Python", "--input-query", q, "--partition-by", "g", "--parallel", "--script", shape)
	mustFail(t, r, "other columns")
	r = execArgs(t, "--language", "Python", "--input-query", q, "--partition-by", "g", "--parallel",
		"--params", "@n int OUTPUT", "--script", "n = 1")
	mustFail(t, r, "OUTPUT param @n")
}

// --tsql maps @r_rowsPerRead (declared in @params, as SQL Server takes it),
// the partition and order columns and @parallel.
func TestChunks_TSQLCall(t *testing.T) {
	src := `DECLARE @calls INT = 0, @total INT = 0
EXEC sp_execute_external_script @language = N'Python'
  , @script = N'calls += 1
total += len(InputDataSet)'
  , @input_data_1 = N'SELECT id FROM sales'
  , @params = N'@r_rowsPerRead INT, @calls INT OUTPUT, @total INT OUTPUT'
  , @r_rowsPerRead = 40, @calls = @calls OUTPUT, @total = @total OUTPUT
SELECT @calls AS calls, @total AS total`
	file := t.TempDir() + "/stream.sql"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	jr, _ := runJSON(t, "--tsql", file)
	if c, n := string(jr.OutputParams["calls"]), string(jr.OutputParams["total"]); c != "4" || n != "150" {
		t.Errorf("@r_rowsPerRead = 40 over 150 rows: %s calls, %s rows, want 4 and 150 (%s)", c, n, jr.OutputParams)
	}

	jr, _ = runJSON(t, "--tsql", batch("r_partitions.sql"))
	total, regions := 0, []string{}
	for i := range jr.Rows {
		var n int
		fmt.Sscan(jr.cell(t, i, "n"), &n)
		total += n
		regions = append(regions, jr.cell(t, i, "region"))
	}
	sort.Strings(regions)
	if got := strings.Join(regions, ","); total != 150 || got != `"East","North","South","West",null` {
		t.Errorf("partitions by region: %s with %d rows in all, want the four regions and NULL with 150", got, total)
	}
}

// The job's output limit holds over all its parallel partitions together,
// as it does over the chunks of one session.
func TestChunks_ParallelOutputLimitIsTheJobs(t *testing.T) {
	h := startSharedHost(t, fmt.Sprintf(`
limits {
  max_output = "1MiB"
  timeout    = "120s"
}
sandbox {
  workers  = 2
  uid_base = %d
}
`, extraUIDBase(8)))
	q := "SELECT 1 AS g UNION ALL SELECT 2"
	py := "import pandas as pd\nOutputDataSet = pd.DataFrame({'s': ['x' * 700000]})"
	for _, mode := range [][]string{{"--parallel"}, {}} {
		args := append([]string{"--language", "Python", "--input-query", q, "--partition-by", "g", "--format", "csv", "--script", py}, mode...)
		r := execArgsAt(t, "unix://"+h.sock, args...)
		mustFail(t, r, "limit")
		if n := strings.Count(r.stdout, "x"); n > 700000 {
			t.Errorf("%v: %d bytes of output reached the caller past the limit of 1 MiB", mode, n)
		}
	}
	r := execArgsAt(t, "unix://"+h.sock, "--language", "Python", "--input-query", q, "--partition-by", "g", "--parallel",
		"--script", "import pandas as pd\nOutputDataSet = pd.DataFrame({'s': ['x' * 300000]})", "--format", "csv")
	if r.code != 0 || strings.Count(r.stdout, "xxxxxxxxxx") == 0 {
		t.Errorf("two partitions within the limit: exit %d\n%s", r.code, tail(r.stderr, 2000))
	}
}

// Parallel partitions write into one table in one transaction.
func TestChunks_ParallelIntoTable(t *testing.T) {
	table := fmt.Sprintf("chunks_parallel_%d", time.Now().UnixNano())
	py := "import pandas as pd\nOutputDataSet = pd.DataFrame({'g': [int(InputDataSet['g'][0])], 'n': [len(InputDataSet)]})"
	r := execArgs(t, "--language", "Python", "--input-query", grouped(9), "--partition-by", "g", "--parallel",
		"--into-table", table, "--create-table", "--script", py)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, tail(r.stderr, 3000))
	}
	jr, _ := runJSON(t, "--language", "Python", "--input-query", "SELECT g, n FROM "+table+" ORDER BY g",
		"--script", "OutputDataSet = InputDataSet")
	if got := jr.cells(t, "g") + " / " + jr.cells(t, "n"); got != "0,1,2 / 3,3,3" {
		t.Errorf("table holds %s, want 0,1,2 / 3,3,3", got)
	}
	bad := "import pandas as pd\nif InputDataSet['g'][0] == 2: raise ValueError('no')\nOutputDataSet = pd.DataFrame({'g': [1]})"
	table2 := table + "_failed"
	r = execArgs(t, "--language", "Python", "--input-query", grouped(9), "--partition-by", "g", "--parallel",
		"--into-table", table2, "--create-table", "--script", bad)
	mustFail(t, r, "partition 3")
	r = execArgs(t, "--language", "Python", "--input-query", "SELECT count(*) AS n FROM "+table2, "--script", "OutputDataSet = InputDataSet")
	if r.code == 0 && !strings.Contains(r.stdout, "0") {
		t.Errorf("a failed parallel job left rows in %s:\n%s", table2, r.stdout)
	}
}
