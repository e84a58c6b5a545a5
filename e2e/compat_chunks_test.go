package e2e

import (
	"fmt"
	"strings"
	"testing"
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
