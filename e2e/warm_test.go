package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The main (dev) host keeps one warm runtime of each launcher. A job asked
// to start warm waits for one; its result says it did.

// Two warm jobs draw unseeded random numbers: each runtime was prepared on
// its own, so none of the generators, hash seeds or entropy agree, as
// between two cold jobs (Firecracker's snapshot docs warn of the reverse).
func TestWarm_JobsDrawTheirOwnRandomNumbers(t *testing.T) {
	requireRoot(t)
	py := `import random, os, numpy
OutputDataSet = pandas.DataFrame({"r": [repr(random.random())], "n": [repr(float(numpy.random.rand()))],
    "h": [str(hash("launchpad"))], "u": [os.urandom(8).hex()], "d": [os.getcwd()]})`
	r := `OutputDataSet <- data.frame(r = format(runif(1), digits = 17), s = as.character(sample.int(1e9, 1)),
    d = getwd(), stringsAsFactors = FALSE)`
	for _, tc := range []struct{ language, script string }{{"Python", py}, {"R", r}} {
		t.Run(tc.language, func(t *testing.T) {
			var seen [][]json.RawMessage
			for i := 0; i < 2; i++ {
				jr, _ := runJSON(t, "--language", tc.language, "--script", tc.script, "--start", "warm")
				if jr.Stats.Start != "warm" || len(jr.Rows) != 1 {
					t.Fatalf("job %d started %q (%s), rows %d", i, jr.Stats.Start, jr.Stats.StartNote, len(jr.Rows))
				}
				seen = append(seen, jr.Rows[0])
			}
			for c := range seen[0] {
				if string(seen[0][c]) == string(seen[1][c]) {
					t.Errorf("column %d is the same in two warm jobs: %s", c, seen[0][c])
				}
			}
			t.Logf("%s: %s / %s", tc.language, rowText(seen[0]), rowText(seen[1]))
		})
	}
}

func rowText(row []json.RawMessage) string {
	var parts []string
	for _, v := range row {
		parts = append(parts, string(v))
	}
	return strings.Join(parts, " ")
}

// warmPool is one launcher's line of `jobs --warm --format json`.
type warmPool struct {
	Launcher string `json:"launcher"`
	Target   int    `json:"target"`
	Ready    int    `json:"ready"`
	Workers  int    `json:"workers"`
	Served   int    `json:"served"`
	Note     string `json:"note"`
}

func (h *host) warm(t *testing.T) map[string]warmPool {
	t.Helper()
	out, errs, err := h.admin(t, "jobs", "--warm", "--format", "json")
	if err != nil {
		t.Fatalf("launchpad jobs --warm: %v\n%s", err, errs)
	}
	var list []warmPool
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("jobs --warm: %v\n%s", err, out)
	}
	m := map[string]warmPool{}
	for _, p := range list {
		m[p.Launcher] = p
	}
	return m
}

// waitWarmReady polls `jobs --warm` until launcher has ready runtimes.
func waitWarmReady(t *testing.T, h *host, launcher string, ready int) warmPool {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		p := h.warm(t)[launcher]
		if p.Ready >= ready {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never had %d warm runtimes ready: %+v", launcher, ready, p)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A revoked publisher's launcher has its waiting runtimes discarded: their
// processes, sandbox folders and worker accounts are gone by the time the
// first refused job is reported, and `jobs --warm` says why.
func TestWarm_RevocationDiscardsWaitingRuntimes(t *testing.T) {
	requireRoot(t)
	base, workers := extraUIDBase(30), 4
	h := startExtraHost(t, fmt.Sprintf("sandbox {\n  workers  = %d\n  uid_base = %d\n}\n", workers, base))
	waitWarmReady(t, h, "PythonLauncher", 1)
	waitWarmReady(t, h, "RLauncher", 1)
	if left := uidRangeProcesses(base, workers); len(left) == 0 {
		t.Fatal("no worker processes while two runtimes are warm: the test would prove nothing")
	}
	out, err := exec.Command(h.bin, "trust", "revoke", "dev", "--state", h.state).CombinedOutput()
	if err != nil {
		t.Fatalf("trust revoke dev: %v\n%s", err, out)
	}
	r := h.exec(t, "--language", "Python", "--script", "print('RAN')")
	mustFail(t, r, "untrusted launcher", "revoked")
	if left := uidRangeProcesses(base, workers); len(left) != 0 {
		t.Fatalf("warm runtimes of a revoked launcher survive its refusal: %v", left)
	}
	ents, _ := os.ReadDir(filepath.Join(h.state, "jobs"))
	if len(ents) != 0 {
		t.Errorf("%d sandbox folders left after the revocation", len(ents))
	}
	for name, p := range h.warm(t) {
		if p.Ready != 0 || p.Workers != 0 {
			t.Errorf("%s still holds %d ready runtimes, %d workers", name, p.Ready, p.Workers)
		}
		if name == "PythonLauncher" && !strings.Contains(p.Note, "revoked") {
			t.Errorf("%s: note %q does not say the key was revoked", name, p.Note)
		}
	}
}

// `jobs` shows how each job started and where its time went.
func TestWarm_JobsShowStartAndStages(t *testing.T) {
	requireRoot(t)
	jr, _ := runJSON(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet",
		"--input-query", "SELECT 1 AS a", "--start", "warm")
	j := theHost.jobs(t)[jr.JobID]
	if j.Start != "warm" {
		t.Fatalf("jobs says job %s started %q", jr.JobID, j.Start)
	}
	var names []string
	for _, s := range j.Stages {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, ","); got != "resolve,sandbox,query,launch,run,exit,teardown" {
		t.Fatalf("stages %s", got)
	}
	jr, _ = runJSON(t, "--language", "Python", "--script", "OutputDataSet = InputDataSet",
		"--input-query", "SELECT 1 AS a", "--start", "cold")
	if jr.Stats.Start != "cold" || jr.Stats.StartNote != "a cold start was asked" {
		t.Fatalf("cold start: %q (%s)", jr.Stats.Start, jr.Stats.StartNote)
	}
}

// A job is answered once its runtime closed its output, before its exit:
// output the script writes last must still arrive whole, in both start
// modes and both languages (a lost tail would be silent).
func TestWarm_OutputWrittenLastArrivesWhole(t *testing.T) {
	requireRoot(t)
	const outLines, errLines = 3000, 1500
	scripts := map[string]string{
		"Python": fmt.Sprintf(`import sys
OutputDataSet = InputDataSet
sys.stdout.write(("~" * 99 + "\n") * %d)
sys.stderr.write(("^" * 99 + "\n") * %d)
print("tail-out")
print("tail-err", file=sys.stderr)`, outLines, errLines),
		"R": fmt.Sprintf(`OutputDataSet <- InputDataSet
cat(strrep(paste0(strrep("~", 99), "\n"), %d))
cat(strrep(paste0(strrep("^", 99), "\n"), %d), file = stderr())
cat("tail-out\n")
cat("tail-err\n", file = stderr())`, outLines, errLines),
	}
	for _, language := range []string{"Python", "R"} {
		for _, start := range []string{"cold", "warm"} {
			t.Run(language+"/"+start, func(t *testing.T) {
				jr, r := runJSON(t, "--language", language, "--script", scripts[language], "--start", start,
					"--input-query", "SELECT 1 AS a")
				if len(jr.Rows) != 1 || jr.Stats.Start != start {
					t.Fatalf("rows %d, start %q", len(jr.Rows), jr.Stats.Start)
				}
				if o, e := strings.Count(r.stderr, "~"), strings.Count(r.stderr, "^"); o != outLines*99 || e != errLines*99 {
					t.Errorf("stdout %d of %d bytes, stderr %d of %d", o, outLines*99, e, errLines*99)
				}
				// Short last lines sit in the runtime's buffers until its end.
				if !strings.Contains(r.stderr, "tail-out") || !strings.Contains(r.stderr, "tail-err") {
					t.Errorf("the last lines are missing: %q", r.stderr[max(0, len(r.stderr)-200):])
				}
			})
		}
	}
}
