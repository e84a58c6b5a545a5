package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite" // the corpus's tables are made in the instance database
)

// The corpus (testdata/corpus/README.md): scripts published by others for
// SQL Server's sp_execute_external_script, each replayed through
// `launchpad exec --tsql` against the main test host and compared with the
// result its page documents.

// knownFailure marks a case that fails today for a stated reason: item is
// the issue 9 item (or the missing feature) that makes it pass, want a
// piece of the failure that must show, so that another failure is not
// taken for it. A marked case that passes fails the test: the mark is
// then stale and must go.
type knownFailure struct{ item, want string }

var corpusKnownFailures = map[string]knownFailure{
	"17-py-iris-predict":      {"DECLARE @v = (SELECT …)", "a subquery is not supported"},
	"33-r-mtcars-predict":     {"DECLARE @v = (SELECT …) (then items 8 and 3)", "a subquery is not supported"},
	"43-py-taxi-train-scikit": {"T-SQL scalar function in the input query (then item 3)", `near "(": syntax error`},
}

// corpusExpect is a case's expected.json: the documented result.
type corpusExpect struct {
	// Columns are the result's column names, in order (nil: not checked).
	Columns []string `json:"columns"`
	// Rows are the documented rows, all of them, in order (nil: not checked).
	Rows [][]any `json:"rows"`
	// RowCount is the number of rows when the page documents only that.
	RowCount *int `json:"row_count"`
	// Tolerance is the absolute difference allowed between numbers
	// (model fits, printed roundings); 0 means exact.
	Tolerance float64 `json:"tolerance"`
	// Messages are lines the script prints (SQL Server's "STDOUT message(s)
	// from external script"), each a whole line, in this order.
	Messages []string `json:"messages"`
	// OutputParams are the values of the final SELECT's OUTPUT variables.
	OutputParams map[string]any `json:"output_params"`
	// OutputParamsContain are pieces each OUTPUT value must hold (a
	// model's bytes, in hex, name its class).
	OutputParamsContain map[string][]string `json:"output_params_contain"`
	// CellsContain are pieces every cell of a column must hold (a
	// serialized model, in hex).
	CellsContain map[string][]string `json:"cells_contain"`
	// Query runs on the instance database after the call (the table an
	// INSERT … EXEC filled); QueryRows are its documented rows.
	Query     string  `json:"query"`
	QueryRows [][]any `json:"query_rows"`
}

// TestCorpus replays every case of testdata/corpus on the main test host,
// two at a time; cases that make the same table take turns.
func TestCorpus(t *testing.T) {
	root := filepath.Join(repoRoot(), "e2e", "testdata", "corpus")
	dirs, err := filepath.Glob(filepath.Join(root, "[0-9][0-9]-*"))
	if err != nil || len(dirs) < 30 {
		t.Fatalf("corpus: %d cases (%v), want at least 30", len(dirs), err)
	}
	for name := range corpusKnownFailures {
		if _, err := os.Stat(filepath.Join(root, name)); err != nil {
			t.Errorf("known failure %s names no case", name)
		}
	}
	// The host holds the same file open: wait for its locks, and make the
	// cases' own writes take turns.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(theHost.state, "instance.db")+"?_pragma=busy_timeout(30000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	locks := &tableLocks{m: map[string]*sync.Mutex{}}
	slots := make(chan struct{}, 2) // the machine has two cores
	t.Run("case", func(t *testing.T) {
		for _, dir := range dirs {
			t.Run(filepath.Base(dir), func(t *testing.T) {
				t.Parallel()
				slots <- struct{}{}
				defer func() { <-slots }()
				runCorpusCase(t, db, locks, dir)
			})
		}
	})
}

// runCorpusCase sets up a case's tables, runs its call and judges the
// outcome against the documented result and the known-failure table.
func runCorpusCase(t *testing.T, db *sql.DB, locks *tableLocks, dir string) {
	name := filepath.Base(dir)
	var exp corpusExpect
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(&exp); err != nil {
		t.Fatalf("%s/expected.json: %v", name, err)
	}
	setup, _ := os.ReadFile(filepath.Join(dir, "setup.sql"))
	tables := setupTables(string(setup))
	defer locks.lock(tables)()
	if err := corpusSetup(db, string(setup), tables); err != nil {
		t.Fatalf("setup.sql: %v", err)
	}
	defer corpusDrop(t, db, tables)
	r := execArgs(t, "--tsql", filepath.Join(dir, "call.sql"), "--format", "json")
	failure := judgeCorpus(exp, r)
	if failure == "" && exp.Query != "" {
		failure = judgeQuery(db, exp)
	}
	known, marked := corpusKnownFailures[name]
	switch {
	case failure == "" && marked:
		t.Errorf("case %s now passes: remove its known-failure mark (%s)", name, known.item)
	case failure == "":
	case !marked:
		t.Errorf("case %s fails:\n%s", name, failure)
	case !strings.Contains(failure, known.want):
		t.Errorf("case %s fails otherwise than its mark (%s: %q) says:\n%s", name, known.item, known.want, failure)
	default:
		t.Logf("case %s: known failure (%s): %s", name, known.item, lineWith(failure, known.want))
	}
}

// judgeCorpus returns what differs from the documented result ("" when
// nothing does).
func judgeCorpus(exp corpusExpect, r result) string {
	if r.code != 0 {
		return fmt.Sprintf("exit %d\nstderr: %s", r.code, tail(r.stderr, 3000))
	}
	var out struct {
		Columns []struct {
			Name string `json:"name"`
		} `json:"columns"`
		Rows         [][]any        `json:"rows"`
		OutputParams map[string]any `json:"output_params"`
	}
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return fmt.Sprintf("decode output: %v\n%s", err, r.stdout)
	}
	var names []string
	for _, c := range out.Columns {
		names = append(names, c.Name)
	}
	var diffs []string
	if exp.Columns != nil && strings.Join(names, "|") != strings.Join(exp.Columns, "|") {
		diffs = append(diffs, fmt.Sprintf("columns %q, want %q", names, exp.Columns))
	}
	if exp.RowCount != nil && len(out.Rows) != *exp.RowCount {
		diffs = append(diffs, fmt.Sprintf("%d rows, want %d", len(out.Rows), *exp.RowCount))
	}
	if exp.Rows != nil {
		diffs = append(diffs, diffRows(out.Rows, exp.Rows, exp.Tolerance)...)
	}
	for k, want := range exp.OutputParams {
		if !sameCell(out.OutputParams[k], want, exp.Tolerance) {
			diffs = append(diffs, fmt.Sprintf("@%s = %v, want %v", k, out.OutputParams[k], want))
		}
	}
	diffs = append(diffs, cellsContain(names, out.Rows, exp.CellsContain)...)
	for k, pieces := range exp.OutputParamsContain {
		for _, p := range pieces {
			if v := fmt.Sprint(out.OutputParams[k]); !strings.Contains(strings.ToUpper(v), strings.ToUpper(p)) {
				diffs = append(diffs, fmt.Sprintf("@%s = %.80s…, want it to hold %s", k, v, p))
			}
		}
	}
	if d := missingMessages(r.stderr, exp.Messages); d != "" {
		diffs = append(diffs, d)
	}
	if len(diffs) == 0 {
		return ""
	}
	return strings.Join(diffs, "\n") + "\nstderr: " + tail(r.stderr, 1500)
}

// cellsContain checks that every cell of the named columns holds each
// piece (case-insensitive: hex digits).
func cellsContain(names []string, rows [][]any, want map[string][]string) []string {
	var diffs []string
	for col, pieces := range want {
		j := slices.Index(names, col)
		if j < 0 {
			diffs = append(diffs, fmt.Sprintf("no column %q", col))
			continue
		}
		for i, row := range rows {
			for _, p := range pieces {
				if v := fmt.Sprint(row[j]); !strings.Contains(strings.ToUpper(v), strings.ToUpper(p)) {
					diffs = append(diffs, fmt.Sprintf("row %d %s = %.80s…, want it to hold %s", i+1, col, v, p))
				}
			}
		}
	}
	return diffs
}

// judgeQuery compares the instance's table after the call with the
// documented rows.
func judgeQuery(db *sql.DB, exp corpusExpect) string {
	rows, err := db.Query(exp.Query)
	if err != nil {
		return fmt.Sprintf("query %q: %v", exp.Query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var got [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err.Error()
		}
		for i, v := range vals {
			switch x := v.(type) {
			case int64:
				vals[i] = json.Number(strconv.FormatInt(x, 10))
			case float64:
				vals[i] = json.Number(strconv.FormatFloat(x, 'g', -1, 64))
			case []byte:
				vals[i] = string(x)
			}
		}
		got = append(got, vals)
	}
	if err := rows.Err(); err != nil {
		return err.Error()
	}
	if d := diffRows(got, exp.QueryRows, exp.Tolerance); len(d) > 0 {
		return "after the call, " + exp.Query + ":\n" + strings.Join(d, "\n")
	}
	return ""
}

// diffRows compares every row and cell; a result of another length is one
// difference, with the first rows shown.
func diffRows(got, want [][]any, tol float64) []string {
	if len(got) != len(want) {
		return []string{fmt.Sprintf("%d rows, want %d; got %v", len(got), len(want), head(got, 5))}
	}
	var diffs []string
	for i := range want {
		if len(got[i]) != len(want[i]) {
			diffs = append(diffs, fmt.Sprintf("row %d: %v, want %v", i+1, got[i], want[i]))
			continue
		}
		for j := range want[i] {
			if !sameCell(got[i][j], want[i][j], tol) {
				diffs = append(diffs, fmt.Sprintf("row %d column %d: %v, want %v", i+1, j+1, got[i][j], want[i][j]))
			}
		}
	}
	return diffs
}

func head(rows [][]any, n int) [][]any {
	if len(rows) > n {
		return rows[:n]
	}
	return rows
}

// sameCell: numbers within tol, everything else exactly (JSON null is nil);
// a number never equals a string.
func sameCell(got, want any, tol float64) bool {
	wn, wok := want.(json.Number)
	gn, gok := got.(json.Number)
	if wok != gok {
		return false
	}
	if wok {
		w, err1 := strconv.ParseFloat(string(wn), 64)
		g, err2 := strconv.ParseFloat(string(gn), 64)
		return err1 == nil && err2 == nil && math.Abs(g-w) <= tol
	}
	return fmt.Sprint(got) == fmt.Sprint(want) && (got == nil) == (want == nil)
}

// missingMessages checks that each wanted line is a line of the job's
// messages, in order (trailing blanks ignored, as a Messages window shows).
func missingMessages(stderr string, want []string) string {
	lines := strings.Split(stderr, "\n")
	i := 0
	for _, w := range want {
		w = strings.TrimRight(w, " ")
		for i < len(lines) && strings.TrimRight(lines[i], " ") != w {
			i++
		}
		if i == len(lines) {
			return fmt.Sprintf("messages lack the line %q (in order)", w)
		}
		i++
	}
	return ""
}

// lineWith is the line of s that holds piece.
func lineWith(s, piece string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, piece) {
			return strings.TrimSpace(l)
		}
	}
	return piece
}

var createTable = regexp.MustCompile(`(?i)CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?["\[]?(\w+)`)

// setupTables names the tables a setup.sql creates, sorted.
func setupTables(setup string) []string {
	var names []string
	for _, m := range createTable.FindAllStringSubmatch(setup, -1) {
		names = append(names, strings.ToLower(m[1]))
	}
	sort.Strings(names)
	return names
}

// corpusSetup makes a case's tables afresh in the instance database.
func corpusSetup(db *sql.DB, setup string, tables []string) error {
	for _, name := range tables {
		if _, err := db.Exec(`DROP TABLE IF EXISTS "` + name + `"`); err != nil {
			return err
		}
	}
	if strings.TrimSpace(setup) == "" {
		return nil
	}
	_, err := db.Exec(setup)
	return err
}

func corpusDrop(t *testing.T, db *sql.DB, tables []string) {
	for _, name := range tables {
		if _, err := db.Exec(`DROP TABLE IF EXISTS "` + name + `"`); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	}
}

// tableLocks lets cases that use the same table names run one at a time.
type tableLocks struct {
	mu sync.Mutex
	m  map[string]*sync.Mutex
}

// lock takes the sorted tables' locks and returns their release.
func (l *tableLocks) lock(tables []string) func() {
	var held []*sync.Mutex
	for _, name := range tables {
		l.mu.Lock()
		m, ok := l.m[name]
		if !ok {
			m = &sync.Mutex{}
			l.m[name] = m
		}
		l.mu.Unlock()
		m.Lock()
		held = append(held, m)
	}
	return func() {
		for _, m := range held {
			m.Unlock()
		}
	}
}
