package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// realRuntimeEnv makes the fake launcher start a real runtime instead of
// being one: the absolute path of plugins/python/runtime/launchpad_runtime.py
// or plugins/r/runtime/launchpad.R, run from the repository as the
// first-party launchers run their staged copies.
const realRuntimeEnv = "LAUNCHPAD_JOB_TEST_RUNTIME"

func runRealRuntime(ctx context.Context, rt string, req *launcher.RunRequest, stdout, stderr io.Writer) (*launcher.ExitStatus, error) {
	if strings.HasSuffix(rt, ".py") {
		cmd := exec.CommandContext(ctx, "/usr/bin/python3", "-I", "-B", rt)
		cmd.Env = launcher.RuntimeEnv(req)
		return launcher.RunRuntime(cmd, req, stdout, stderr)
	}
	bridge, err := launcher.NewBridge(req.DataPlane)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "/usr/bin/Rscript", "--vanilla", rt)
	cmd.ExtraFiles = bridge.RuntimeFiles()
	cmd.Env = launcher.RuntimeEnv(req)
	exit, runErr := launcher.RunRuntime(cmd, req, stdout, stderr)
	return exit, errors.Join(runErr, bridge.Close())
}

// realRuntimes are the first-party runtimes this machine can run.
func realRuntimes(t *testing.T) map[string]string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	if exec.Command("/usr/bin/python3", "-c", "import pandas").Run() == nil {
		out["Python"] = filepath.Join(root, "plugins/python/runtime/launchpad_runtime.py")
	}
	if exec.Command("/usr/bin/Rscript", "-e", "0").Run() == nil {
		out["R"] = filepath.Join(root, "plugins/r/runtime/launchpad.R")
	}
	if len(out) == 0 {
		t.Skip("neither /usr/bin/python3 with pandas nor /usr/bin/Rscript is installed")
	}
	return out
}

// realScripts are the scripts of TestQuery_RealRuntimes in each language.
var realScripts = map[string]map[string]string{
	"Python": {
		"granted": `OutputDataSet = launchpad_query("SELECT id, amount FROM sales ORDER BY id")
OutputDataSet["types"] = str(OutputDataSet["id"].dtype) + " " + str(OutputDataSet["amount"].dtype)`,
		"caught": `try:
    launchpad_query("SELECT k FROM secret")
    m = "read"
except Exception as e:
    m = type(e).__name__ + ": " + str(e)
OutputDataSet = pandas.DataFrame({"m": [m], "again": [len(launchpad_query("SELECT id FROM sales"))]})`,
		"uncaught": `x = 1
launchpad_query("SELECT k FROM secret")`,
		"attach":     `launchpad_query("ATTACH '/etc/passwd' AS p")`,
		"budget":     `launchpad_query("SELECT id FROM sales")`,
		"with input": `OutputDataSet = pandas.concat([InputDataSet, launchpad_query("SELECT id, amount FROM dbo.sales WHERE id = 2")])`,
	},
	"R": {
		"granted": `OutputDataSet <- launchpad_query("SELECT id, amount FROM sales ORDER BY id")
OutputDataSet$types <- paste(class(OutputDataSet$id), class(OutputDataSet$amount))`,
		"caught": `m <- tryCatch({ launchpad_query("SELECT k FROM secret"); "read" },
  launchpad_query_error = function(e) paste0("launchpad_query_error: ", conditionMessage(e)))
OutputDataSet <- data.frame(m = m, again = nrow(launchpad_query("SELECT id FROM sales")))`,
		"uncaught": `x <- 1
launchpad_query("SELECT k FROM secret")`,
		"attach":     `launchpad_query("ATTACH '/etc/passwd' AS p")`,
		"budget":     `launchpad_query("SELECT id FROM sales")`,
		"with input": `OutputDataSet <- rbind(InputDataSet, launchpad_query("SELECT id, amount FROM dbo.sales WHERE id = 2"))`,
	},
}

// TestQuery_RealRuntimes: a script's launchpad_query in the real Python and
// R runtimes reads inside the grant, typed as input data is, and a read
// outside it (or an ATTACH) is an error raised in the script, which the
// script may catch and go on querying.
func TestQuery_RealRuntimes(t *testing.T) {
	for lang, rt := range realRuntimes(t) {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			scripts := realScripts[lang]
			var lim Limits
			run := func(name, input string, chunk ...int64) (*recordSink, error) {
				src, _ := grantedInstance(t)
				h := newHarness(t, func(s *fakeSandbox, c *Config) {
					c.Source = src
					c.Limits = lim
					s.env = []string{realRuntimeEnv + "=" + rt}
				})
				sink := &recordSink{}
				req := &Request{Language: "Fake", Script: scripts[name], InputQuery: input, Access: analyst}
				if len(chunk) > 0 {
					req.RowsPerRead = chunk[0]
				}
				_, err := h.runner.Run(context.Background(), req, sink)
				return sink, err
			}
			wantTypes := map[string]string{"Python": "int64 float64", "R": "integer numeric"}[lang]
			sink, err := run("granted", "")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprint(sink.rows), fmt.Sprintf("[[1 2.5 %s] [2 4 %s]]", wantTypes, wantTypes); got != want {
				t.Errorf("granted rows = %s, want %s", got, want)
			}
			sink, err = run("caught", "")
			if err != nil {
				t.Fatal(err)
			}
			m := fmt.Sprint(sink.rows)
			for _, want := range []string{"QueryError", "permission denied", `"secret"`, " 2]]"} {
				if !strings.Contains(strings.ReplaceAll(m, "launchpad_query_error", "QueryError"), want) {
					t.Errorf("caught refusal = %s, want %q in it", m, want)
				}
			}
			for name, want := range map[string]string{"uncaught": `"secret"`, "attach": "not authorized"} {
				_, err = run(name, "")
				var jerr *Error
				if !errors.As(err, &jerr) || jerr.Code != CodeScript || !strings.Contains(err.Error(), want) ||
					jerr.Script == nil || jerr.Script.Line != 2 && name == "uncaught" {
					t.Errorf("%s: %v, want a script error on line 2 with %q", name, err, want)
				}
			}
			// Over the result budget: SCHEMA, then ERROR in place of END.
			lim = Limits{MaxQueryResultBytes: 1}
			_, err = run("budget", "")
			if err == nil || !strings.Contains(err.Error(), "query results exceeded the job's limit of 1 bytes") {
				t.Errorf("query over the result budget: %v", err)
			}
			lim = Limits{}
			// A chunked job's host is still sending input: no queries.
			_, err = run("uncaught", "SELECT id FROM sales", 1)
			if err == nil || !strings.Contains(err.Error(), "not available in a chunked job") {
				t.Errorf("query in a chunked job: %v", err)
			}
			sink, err = run("with input", "SELECT id, amount FROM sales WHERE id = 1")
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(sink.rows); got != "[[1 2.5] [2 4]]" {
				t.Errorf("input plus query = %s", got)
			}
		})
	}
}
