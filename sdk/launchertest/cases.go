package launchertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/client"
)

// kit runs the checks against one started host.
type kit struct {
	t    *testing.T
	cfg  *Config
	h    *host
	lang string
	// start is how every job starts: "cold" or "warm" (exec --start).
	start string
}

// result is one `launchpad exec` run.
type result struct {
	code    int
	stdout  string
	stderr  string
	elapsed time.Duration
}

// execTimeout bounds one exec: longer than the host's job timeout.
const execTimeout = 150 * time.Second

// start begins `launchpad exec --format json` with the kit's language.
func (k *kit) command(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	full := append([]string{"exec", "--address", "unix://" + k.h.sock, "--format", "json", "--start", k.start}, args...)
	cmd := exec.CommandContext(ctx, k.h.bin, full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	return cmd, &out, &errb
}

func finished(err error, out, errb *bytes.Buffer, began time.Time) result {
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(began)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		r.code, r.stderr = -1, err.Error()
	}
	return r
}

// awaitLaunched waits until the host lists job id as running with its
// launcher started (cold) or its warm runtime taken over: its "launch"
// stage is over, so exec holds the job's id.
func (k *kit) awaitLaunched(id string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		raw, err := exec.Command(k.h.bin, "jobs", "--address", "unix://"+k.h.sock, "--format", "json", "--limit", "1").Output()
		if err != nil {
			return fmt.Errorf("launchpad jobs: %w", err)
		}
		var jobs []struct {
			ID     string `json:"id"`
			State  string `json:"state"`
			Stages []struct {
				Name string `json:"name"`
			} `json:"stages"`
		}
		if err := json.Unmarshal(raw, &jobs); err != nil {
			return fmt.Errorf("launchpad jobs --format json: %w", err)
		}
		for _, j := range jobs {
			if j.ID != id {
				continue
			}
			if j.State != "running" && j.State != "queued" {
				return fmt.Errorf("is %s before it was cancelled", j.State)
			}
			for _, st := range j.Stages {
				if st.Name == "launch" {
					return nil
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("its launcher did not start within %v", d)
}

// exec runs a job in the kit's language. Safe from any goroutine.
func (k *kit) exec(args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	cmd, out, errb := k.command(ctx, append([]string{"--language", k.lang}, args...)...)
	began := time.Now()
	return finished(cmd.Run(), out, errb, began)
}

// decode parses exec's JSON output; numbers stay as their literal text.
func decode(r result) (client.Document, error) {
	jr, err := client.DecodeDocument(strings.NewReader(r.stdout))
	if err != nil {
		return jr, fmt.Errorf("exec's output: %w\n%s", err, r.stdout)
	}
	return jr, nil
}

// run runs a job that must succeed.
func (k *kit) run(t *testing.T, args ...string) (client.Document, result) {
	t.Helper()
	r := k.exec(args...)
	if r.code != 0 {
		t.Fatalf("exec exited %d, want 0\nstderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
	jr, err := decode(r)
	if err != nil {
		t.Fatal(err)
	}
	if jr.Stats.Start != k.start {
		t.Fatalf("the job started %q (%s), want %s", jr.Stats.Start, jr.Stats.StartNote, k.start)
	}
	return jr, r
}

// warmRefused: a launcher that does not opt into warm starts runs cold,
// and a caller who insists on warm is told why not.
func (k *kit) warmRefused(t *testing.T) {
	w := *k
	w.start = "warm"
	r := w.exec("--script", k.cfg.Snippets.Identity)
	wantFailure(t, r, "warm start was asked", "does not support warm starts")
}

// sameValue compares JSON values; numbers compare by exact value, so 1.50
// equals 1.5 but 9007199254740993 never equals 9007199254740992.
func sameValue(got, want string) bool {
	if got == want {
		return true
	}
	g, okG := new(big.Rat).SetString(got)
	w, okW := new(big.Rat).SetString(want)
	return okG && okW && g.Cmp(w) == 0
}

func wantFailure(t *testing.T, r result, wants ...string) {
	t.Helper()
	if r.code != 1 {
		t.Fatalf("exec exited %d, want 1 (job failed)\nstderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
	for _, w := range wants {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("exec's stderr lacks %q:\n%s", w, r.stderr)
		}
	}
}

func (k *kit) identityEveryType(t *testing.T) {
	jr, _ := k.run(t, "--input-query", "SELECT * FROM conformance_types ORDER BY id", "--script", k.cfg.Snippets.Identity)
	if len(jr.Columns) != len(typeColumns) {
		t.Fatalf("got %d columns %+v, want %d", len(jr.Columns), jr.Columns, len(typeColumns))
	}
	for i, c := range typeColumns {
		if typ := k.narrowed(c.typ); jr.Columns[i].Name != c.name || jr.Columns[i].Type != typ {
			t.Errorf("column %d = %s %s, want %s %s", i, jr.Columns[i].Name, jr.Columns[i].Type, c.name, typ)
		}
	}
	if len(jr.Rows) != len(typeRows) {
		t.Fatalf("got %d rows, want %d", len(jr.Rows), len(typeRows))
	}
	for r, row := range typeRows {
		if len(jr.Rows[r]) != len(row) {
			t.Fatalf("row %d has %d values, want %d", r, len(jr.Rows[r]), len(row))
		}
		for c, want := range row {
			from, to := typeColumns[c].typ, k.narrowed(typeColumns[c].typ)
			w, got := narrowJSON(from, to, want.json), string(jr.Rows[r][c])
			if from == "uuid" && to == "string" {
				// A uuid's text is the same uuid in either case (R gets
				// it upper case, as SQL Server gives it).
				got = strings.ToLower(got)
			}
			if !sameValue(got, w) {
				t.Errorf("row %d column %s (%s) = %s, want %s", r, typeColumns[c].name, typeColumns[c].typ, got, w)
			}
		}
	}
}

// identityEdges: each edge value comes back exactly, or the job fails
// naming its column when the launcher declares it refuses that edge.
func (k *kit) identityEdges(t *testing.T) {
	for _, e := range edges {
		t.Run(e.name, func(t *testing.T) {
			r := k.exec("--input-query", "SELECT * FROM edge_"+e.name, "--script", k.cfg.Snippets.Identity)
			if k.refuses(e.name) {
				wantFailure(t, r, e.column)
				return
			}
			if r.code != 0 {
				t.Fatalf("exec exited %d (declare Refuses: %q if the runtime cannot carry it)\nstderr:\n%s", r.code, e.name, r.stderr)
			}
			jr, err := decode(r)
			if err != nil {
				t.Fatal(err)
			}
			if len(jr.Rows) != 1 || len(jr.Rows[0]) != 1 || !sameValue(string(jr.Rows[0][0]), e.json) {
				t.Errorf("got %v, want [[%s]]", jr.Rows, e.json)
			}
		})
	}
}

func (k *kit) refuses(edge string) bool { return slices.Contains(k.cfg.Refuses, edge) }

func sameInstant(got, want string) bool {
	const layout = `"2006-01-02 15:04:05.999999 -07:00"`
	g, err1 := time.Parse(layout, got)
	w, err2 := time.Parse(layout, want)
	return err1 == nil && err2 == nil && g.Equal(w)
}

// narrowed is the type a value of BXL type typ comes back as.
func (k *kit) narrowed(typ string) string {
	base, _, _ := strings.Cut(typ, "(")
	if to, ok := k.cfg.Narrows[base]; ok {
		return to
	}
	return typ
}

// narrowJSON is how exec prints a value of type from after the runtime
// narrowed it to type to.
func narrowJSON(from, to, v string) string {
	if v == "null" || from == to || !strings.HasPrefix(from, "datetimeoffset") {
		return v // decimal→float64 compares by value; uuid→string keeps its text
	}
	ts, err := time.Parse(`"2006-01-02 15:04:05.999999 -07:00"`, v)
	if err != nil {
		return v
	}
	return ts.UTC().Format(`"2006-01-02 15:04:05.999999"`)
}

func (k *kit) paramsInAndOut(t *testing.T) {
	jr, _ := k.run(t, "--params", "@in_n int, @in_s nvarchar(50), @out_n int OUTPUT, @out_s nvarchar(50) OUTPUT",
		"--param", "in_n=41", "--param", "in_s=Grüße, 世界", "--script", k.cfg.Snippets.SetOutputParam)
	want := map[string]string{"out_n": `42`, "out_s": `"Grüße, 世界"`}
	for name, w := range want {
		if got := string(jr.OutputParams[name]); !sameValue(got, w) {
			t.Errorf("@%s = %s, want %s", name, got, w)
		}
	}
	if len(jr.OutputParams) != len(want) {
		t.Errorf("output params %v, want exactly %v", jr.OutputParams, want)
	}
}

// paramsEveryType copies a param of every BXL type a caller can declare into
// an OUTPUT twin, so each value crosses the data plane both ways. These
// cover the widths the kit's tables leave out (int16, int32, float32).
func (k *kit) paramsEveryType(t *testing.T) {
	decls := []struct{ name, typ, value, want string }{
		{"b", "bit", "1", `true`},
		{"i16", "smallint", "-32768", `-32768`},
		{"u8", "tinyint", "255", `255`},
		{"i32", "int", "2147483647", `2147483647`},
		{"i64", "bigint", "-9007199254740993", `-9007199254740993`},
		{"f32", "real", "1.5", `1.5`},
		{"f64", "float", "-2.000000000000001", `-2.000000000000001`},
		{"dec", "decimal(38,10)", "-12345.0123456789", `-12345.0123456789`},
		{"s", "nvarchar(50)", "héllo ✓ 🙂", `"héllo ✓ 🙂"`},
		{"bin", "varbinary(max)", "0x00FF7F", `"0x00FF7F"`},
		{"d", "date", "1900-01-01", `"1900-01-01"`},
		{"tm", "time", "23:59:59.999999", `"23:59:59.999999"`},
		{"dt", "datetime2", "2024-02-29 13:45:00.123456", `"2024-02-29 13:45:00.123456"`},
		{"dto", "datetimeoffset", "2024-02-29T13:45:00.5+05:45", `"2024-02-29 13:45:00.5 +05:45"`},
		{"u", "uniqueidentifier", "6f9619ff-8b86-d011-b42d-00c04fc964ff", `"6f9619ff-8b86-d011-b42d-00c04fc964ff"`},
	}
	if k.refuses(EdgeInt64BeyondDouble) {
		decls[4].value, decls[4].want = "-9007199254740992", `-9007199254740992`
	}
	var decl, script []string
	var args []string
	for _, d := range decls {
		decl = append(decl, fmt.Sprintf("@%s %s, @%s_out %s OUTPUT, @%s_null %s, @%s_null_out %s OUTPUT",
			d.name, d.typ, d.name, d.typ, d.name, d.typ, d.name, d.typ))
		script = append(script, k.cfg.Snippets.Assign(d.name+"_out", d.name), k.cfg.Snippets.Assign(d.name+"_null_out", d.name+"_null"))
		args = append(args, "--param", d.name+"="+d.value)
	}
	args = append(args, "--params", strings.Join(decl, ", "), "--script", strings.Join(script, "\n"))
	jr, _ := k.run(t, args...)
	zoneless := k.narrowed("datetimeoffset") != "datetimeoffset"
	for _, d := range decls {
		got := string(jr.OutputParams[d.name+"_out"])
		ok := sameValue(got, d.want)
		if d.typ == "datetimeoffset" && zoneless {
			// A runtime that cannot keep zones must keep the instant.
			ok = sameInstant(got, d.want)
		}
		if !ok {
			t.Errorf("@%s_out (%s) = %s, want %s", d.name, d.typ, got, d.want)
		}
		if got := string(jr.OutputParams[d.name+"_null_out"]); got != "null" {
			t.Errorf("@%s_null_out (%s) = %s, want null", d.name, d.typ, got)
		}
	}
	if len(jr.OutputParams) != 2*len(decls) {
		t.Errorf("got %d output params, want %d: %v", len(jr.OutputParams), 2*len(decls), jr.OutputParams)
	}
}

func (k *kit) messages(t *testing.T) {
	s := k.cfg.Snippets
	_, r := k.run(t, "--script", s.Print+"\n"+s.PrintStderr)
	for _, w := range []string{"conformance-stdout", "conformance-stderr"} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("caller's stderr lacks %q:\n%s", w, r.stderr)
		}
	}
}

func (k *kit) errorWithLine(t *testing.T) {
	r := k.exec("--script", k.cfg.Snippets.RaiseError)
	wantFailure(t, r, "script error", "conformance-error", fmt.Sprintf("line %d", k.cfg.Snippets.ErrorLine), "job ")
}

func (k *kit) emptyInput(t *testing.T) {
	jr, _ := k.run(t, "--input-query", "SELECT * FROM conformance_types WHERE id < 0", "--script", k.cfg.Snippets.Identity)
	if len(jr.Rows) != 0 {
		t.Errorf("got %d rows, want 0", len(jr.Rows))
	}
	// An empty result set still has its columns and their types.
	if len(jr.Columns) != len(typeColumns) {
		t.Fatalf("got columns %+v, want %d", jr.Columns, len(typeColumns))
	}
	for i, c := range typeColumns {
		if typ := k.narrowed(c.typ); jr.Columns[i].Name != c.name || jr.Columns[i].Type != typ {
			t.Errorf("column %d = %s %s, want %s %s", i, jr.Columns[i].Name, jr.Columns[i].Type, c.name, typ)
		}
	}
}

// countIs checks a CountRows result: one row, one integer column n.
func countIs(jr client.Document, want int) error {
	if len(jr.Columns) != 1 || jr.Columns[0].Name != "n" || len(jr.Rows) != 1 {
		return fmt.Errorf("want one row of one column n, got columns %+v and %d rows", jr.Columns, len(jr.Rows))
	}
	switch jr.Columns[0].Type {
	case "int8", "int16", "int32", "int64":
	default:
		return fmt.Errorf("n has type %s, want an integer type", jr.Columns[0].Type)
	}
	if got := string(jr.Rows[0][0]); got != fmt.Sprint(want) {
		return fmt.Errorf("n = %s, want %d", got, want)
	}
	return nil
}

func (k *kit) noInputQuery(t *testing.T) {
	jr, _ := k.run(t, "--script", k.cfg.Snippets.CountRows)
	if err := countIs(jr, 0); err != nil {
		t.Error(err)
	}
}

func (k *kit) noOutputDataSet(t *testing.T) {
	// A plain input, so that a type the launcher mishandles fails only the
	// identity check.
	jr, _ := k.run(t, "--input-query", "SELECT id, s FROM conformance_types", "--script", k.cfg.Snippets.NoOutput)
	if len(jr.Columns) != 0 || len(jr.Rows) != 0 {
		t.Errorf("got columns %+v and %d rows, want no result set", jr.Columns, len(jr.Rows))
	}
}

func (k *kit) largeStreamedInput(t *testing.T) {
	n := k.cfg.LargeRows
	q := fmt.Sprintf(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d)
SELECT x, x * 0.5 AS half, 'row ' || x AS label FROM c`, n)
	jr, r := k.run(t, "--input-query", q, "--script", k.cfg.Snippets.CountRows)
	if err := countIs(jr, n); err != nil {
		t.Error(err)
	}
	t.Logf("%d rows streamed in %v", n, r.elapsed.Round(time.Millisecond))
}

func (k *kit) concurrentJobs(t *testing.T) {
	const jobs = 4
	var wg sync.WaitGroup
	errs := make([]error, jobs)
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows := 10 * (i + 1)
			q := fmt.Sprintf("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d) SELECT x FROM c", rows)
			r := k.exec("--input-query", q, "--script", k.cfg.Snippets.CountRows)
			if r.code != 0 {
				errs[i] = fmt.Errorf("job %d: exec exited %d: %s", i, r.code, r.stderr)
				return
			}
			jr, err := decode(r)
			if err == nil {
				err = countIs(jr, rows)
			}
			if err != nil {
				errs[i] = fmt.Errorf("job %d: %w", i, err)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// cancellation interrupts exec as a user's Ctrl-C does: exec cancels the job
// on the host, which must stop the runtime well before its sleep ends.
func (k *kit) cancellation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	id := fmt.Sprintf("kit-cancel-%s-%d", k.start, time.Now().UnixNano()%1e9)
	cmd, out, errb := k.command(ctx, "--language", k.lang, "--job-id", id, "--script", k.cfg.Snippets.Sleep)
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Cancel once the job's runtime runs: a SIGINT before the host took the
	// job only drops the call.
	if err := k.awaitLaunched(id, execTimeout); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("job %s: %v", id, err)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := finished(cmd.Wait(), out, errb, began)
	wantFailure(t, r, "cancelled")
	if r.elapsed > 20*time.Second {
		t.Errorf("cancelled job ended after %v; the runtime was not stopped promptly", r.elapsed.Round(time.Millisecond))
	}
	// The host must be ready for the next job.
	jr, _ := k.run(t, "--script", k.cfg.Snippets.CountRows)
	if err := countIs(jr, 0); err != nil {
		t.Errorf("job after the cancellation: %v", err)
	}
}

func (k *kit) runtimeCrash(t *testing.T) {
	r := k.exec("--input-query", "SELECT id, s FROM conformance_types", "--script", k.cfg.Snippets.Crash)
	wantFailure(t, r, "launcher fault", "code 3", "job ")
	if strings.Contains(r.stdout, `"rows":[[`) {
		t.Errorf("a crashed job returned rows:\n%s", r.stdout)
	}
}

func (k *kit) unknownLanguage(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	cmd, out, errb := k.command(ctx, "--language", "NoSuchLanguage", "--script", k.cfg.Snippets.Identity)
	began := time.Now()
	r := finished(cmd.Run(), out, errb, began)
	wantFailure(t, r, "unknown language", "NoSuchLanguage")
}

// intsQuery reads the integer snippets' input.
const intsQuery = "SELECT x, y, w FROM conformance_ints ORDER BY x"

// oneRow returns the named columns' values of a one-row result.
func oneRow(t *testing.T, jr client.Document, names ...string) []string {
	t.Helper()
	if len(jr.Rows) != 1 {
		t.Fatalf("got %d rows (columns %+v), want 1", len(jr.Rows), jr.Columns)
	}
	var out []string
	for _, n := range names {
		i := columnIndex(jr, n)
		if i < 0 {
			t.Fatalf("no column %s in %+v", n, jr.Columns)
		}
		out = append(out, string(jr.Rows[0][i]))
	}
	return out
}

func columnIndex(jr client.Document, name string) int {
	for i, c := range jr.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// near reports whether the JSON number got is within tol of want.
func near(got string, want, tol float64) bool {
	g, ok := new(big.Rat).SetString(got)
	if !ok {
		return false
	}
	f, _ := g.Float64()
	return math.Abs(f-want) <= tol
}

// matrixProduct: the exact dot product of x and w (below 2^53).
func (k *kit) matrixProduct(t *testing.T) {
	jr, _ := k.run(t, "--input-query", intsQuery, "--script", k.cfg.Snippets.MatrixProduct)
	var want int64
	for _, r := range intRows {
		want += r.x * r.w
	}
	if got := oneRow(t, jr, "dot")[0]; !sameValue(got, fmt.Sprint(want)) {
		t.Errorf("dot = %s, want %d", got, want)
	}
}

// fitLine: y = 3x + 7 exactly, so least squares finds slope 3 and intercept 7
// (up to the estimator's rounding with x near 3e9).
func (k *kit) fitLine(t *testing.T) {
	jr, _ := k.run(t, "--input-query", intsQuery, "--script", k.cfg.Snippets.FitLine)
	got := oneRow(t, jr, "slope", "intercept")
	if !near(got[0], 3, 1e-9) || !near(got[1], 7, 1e-3) {
		t.Errorf("slope, intercept = %s, %s; want 3, 7", got[0], got[1])
	}
}

// recycle: x comes back unchanged beside k = 1, 2, … and s = x + k.
func (k *kit) recycle(t *testing.T) {
	jr, _ := k.run(t, "--input-query", intsQuery, "--script", k.cfg.Snippets.Recycle)
	if len(jr.Rows) != len(intRows) {
		t.Fatalf("got %d rows, want %d", len(jr.Rows), len(intRows))
	}
	xi, ki, si := columnIndex(jr, "x"), columnIndex(jr, "k"), columnIndex(jr, "s")
	if xi < 0 || ki < 0 || si < 0 {
		t.Fatalf("want columns x, k, s; got %+v", jr.Columns)
	}
	for i, r := range intRows {
		kv := int64(i%2 + 1)
		row := jr.Rows[i]
		if !sameValue(string(row[xi]), fmt.Sprint(r.x)) || !sameValue(string(row[ki]), fmt.Sprint(kv)) ||
			!sameValue(string(row[si]), fmt.Sprint(r.x+kv)) {
			t.Errorf("row %d: x, k, s = %s, %s, %s; want %d, %d, %d", i, row[xi], row[ki], row[si], r.x, kv, r.x+kv)
		}
	}
}
