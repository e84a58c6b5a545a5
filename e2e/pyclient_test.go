package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/openlaunchpad/launchpad/host/api/proto"
)

// pyClientScript runs jobs on the e2e host through the Python client (the
// address from LAUNCHPAD_ADDR) and prints one JSON document of what came
// back, for the Go side to check: a round trip with an input query, params
// and OUTPUT params; a DataFrame of typed columns with NULLs; an R job; a
// script error; a request the host refuses.
const pyClientScript = `
import datetime, json, math, sys
import launchpad

out = {}
r = launchpad.execute(
    "import datetime\n"
    "OutputDataSet = InputDataSet\n"
    "n_rows = len(InputDataSet)\n"
    "label_out = label + '!'\n"
    "day_out = since + datetime.timedelta(days=1)\n"
    "big_out = big\n"
    "print('rows', n_rows)\n",
    input_query=sys.argv[1],
    params={"min_units": launchpad.Param(10, "int"), "label": "hi", "since": datetime.date(2024, 1, 1),
            "big": 2**62 + 1, "n_rows": launchpad.Output("bigint"), "label_out": launchpad.Output("nvarchar(100)"),
            "day_out": launchpad.Output("date"), "big_out": launchpad.Output("bigint"),
            "nothing": launchpad.Output("int")},
    job_id=sys.argv[2])
df = r.data
out["roundtrip"] = {
    "job_id": r.job_id, "stdout": r.stdout, "rows": len(df),
    "dtypes": {c: str(t) for c, t in df.dtypes.items()},
    "big_id": [int(v) for v in df["big_id"]],
    "region": [None if v is None else v for v in df["region"]],
    "units": [None if math.isnan(v) else int(v) for v in df["units"]],
    "sold_on": [v.isoformat() for v in df["sold_on"]],
    "params": {k: (v.isoformat() if isinstance(v, datetime.date) else v) for k, v in r.params.items()},
}

df, params = launchpad.execute(
    "import datetime, pandas as pd\n"
    "OutputDataSet = pd.DataFrame({\n"
    "    'n': pd.array([1, None, 3], dtype='Int64'),\n"
    "    'big': [2**62, -1, 0],\n"
    "    'x': [1.5, None, -2.25],\n"
    "    's': ['a', None, 'zoë'],\n"
    "    'd': [datetime.date(2024, 2, 29), None, datetime.date(1, 1, 1)],\n"
    "    'ts': pd.to_datetime(['2024-01-01 10:00:00.5', None, '1999-12-31 23:59:59']),\n"
    "})\n")
out["typed"] = {
    "dtypes": {c: str(t) for c, t in df.dtypes.items()},
    "n": [None if math.isnan(v) else v for v in df["n"]],
    "big": [int(v) for v in df["big"]],
    "x": [None if math.isnan(v) else v for v in df["x"]],
    "s": list(df["s"]),
    "d": [None if v is None else v.isoformat() for v in df["d"]],
    "ts": [None if v is None or v != v else v.isoformat() for v in df["ts"]],
    "params": params,
}

df, _ = launchpad.execute("OutputDataSet <- data.frame(a = c(1L, NA), b = c('x', NA))", language="R")
out["r"] = {"dtypes": {c: str(t) for c, t in df.dtypes.items()}, "a": [None if math.isnan(v) else v for v in df["a"]],
            "b": list(df["b"])}

def failure(**kw):
    try:
        launchpad.execute(**kw)
    except launchpad.JobError as e:
        return {"class": type(e).__name__, "job_id": e.job_id, "code": e.code, "line": e.line,
                "error_type": e.error_type, "traceback": e.traceback, "str": str(e), "stdout": e.stdout}
    return {"class": None}

out["script_error"] = failure(script="print('before')\nx = 1\nraise ValueError('boom')\n", job_id=sys.argv[3])
out["invalid"] = failure(script="x = 1", params={"n": launchpad.Param(1, "nosuchtype")})
with launchpad.Client() as c:
    out["jobs"] = {j["job_id"]: [j["state"], j["error_code"]] for j in c.list_jobs(limit=50)}
print(json.dumps(out))
`

// TestPythonClient_RoundTrip runs the Python client (clients/python, used
// in place through PYTHONPATH) against the real host and checks what it
// returns against the Go client's view of the same job (exec --format json).
func TestPythonClient_RoundTrip(t *testing.T) {
	requirePythonClient(t)
	const query = "SELECT id, region, units, unit_price, sold_on, big_id FROM sales WHERE units >= @min_units OR units IS NULL ORDER BY id"
	ref, _ := runJSON(t, "--language", "Python", "--input-query", query, "--params", "@min_units int",
		"--param", "min_units=10", "--script", "OutputDataSet = InputDataSet")
	var got pyClientOut
	runPyClient(t, &got, query, "pyc-round-1", "pyc-error-1")

	rt := got.Roundtrip
	if rt.JobID != "pyc-round-1" || rt.Rows != len(ref.Rows) || rt.Rows < 10 {
		t.Fatalf("round trip: job %q, %d rows; want job pyc-round-1 and exec's %d rows", rt.JobID, rt.Rows, len(ref.Rows))
	}
	wantTypes := map[string]string{"id": "int64", "region": "object", "units": "float64", "unit_price": "float64",
		"sold_on": "object", "big_id": "int64"}
	pyCheckDtypes(t, "round trip", rt.Dtypes, wantTypes)
	for i := range ref.Rows {
		if want := ref.cell(t, i, "big_id"); strconv.FormatInt(rt.BigID[i], 10) != want {
			t.Errorf("row %d big_id = %d, exec says %s (exact int64 expected)", i, rt.BigID[i], want)
		}
		pyCheckCell(t, ref, i, "region", rt.Region[i])
		pyCheckCell(t, ref, i, "units", rt.Units[i])
		pyCheckCell(t, ref, i, "sold_on", rt.SoldOn[i])
	}
	wantParams := map[string]any{"n_rows": float64(rt.Rows), "label_out": "hi!", "day_out": "2024-01-02",
		"big_out": float64(1<<62 + 1), "nothing": nil}
	pyCheckJSON(t, "round trip params", rt.Params, wantParams)
	if big := string(rt.Params["big_out"]); big != "4611686018427387905" {
		t.Errorf("big_out = %s, want 2**62+1 exactly", big)
	}
	if rt.Stdout != "rows "+strconv.Itoa(rt.Rows)+"\n" {
		t.Errorf("stdout = %q", rt.Stdout)
	}
	pyCheckTyped(t, got)
	pyCheckFailures(t, got)
	for id, want := range map[string][2]string{"pyc-round-1": {"succeeded", ""}, "pyc-error-1": {"failed", "SCRIPT"}} {
		if got.Jobs[id] != want {
			t.Errorf("list_jobs: %s is %v, want %v", id, got.Jobs[id], want)
		}
	}
}

func pyCheckTyped(t *testing.T, got pyClientOut) {
	t.Helper()
	ty := got.Typed
	pyCheckDtypes(t, "typed frame", ty.Dtypes, map[string]string{"n": "float64", "big": "int64", "x": "float64",
		"s": "object", "d": "object", "ts": "datetime64[ns]"})
	want := map[string]any{
		"n":   []any{1.0, nil, 3.0},
		"big": []any{float64(1 << 62), -1.0, 0.0},
		"x":   []any{1.5, nil, -2.25},
		"s":   []any{"a", nil, "zoë"},
		"d":   []any{"2024-02-29", nil, "0001-01-01"},
		"ts":  []any{"2024-01-01T10:00:00.500000", nil, "1999-12-31T23:59:59"},
	}
	pyCheckJSON(t, "typed frame", map[string]json.RawMessage{"n": ty.N, "big": ty.Big, "x": ty.X, "s": ty.S,
		"d": ty.D, "ts": ty.TS}, want)
	if !bytes.Contains(ty.Big, []byte("4611686018427387904")) {
		t.Errorf("big = %s, want 2**62 exactly", ty.Big)
	}
	pyCheckDtypes(t, "R frame", got.R.Dtypes, map[string]string{"a": "float64", "b": "object"})
	pyCheckJSON(t, "R frame", map[string]json.RawMessage{"a": got.R.A, "b": got.R.B},
		map[string]any{"a": []any{1.0, nil}, "b": []any{"x", nil}})
}

func pyCheckFailures(t *testing.T, got pyClientOut) {
	t.Helper()
	se := got.ScriptError
	if se.Class != "ScriptError" || se.JobID != "pyc-error-1" || se.Code != "SCRIPT" || se.Line != 3 ||
		se.ErrorType != "ValueError" {
		t.Errorf("script error: %+v; want ScriptError, job pyc-error-1, code SCRIPT, line 3, ValueError", se)
	}
	for _, want := range []string{"ValueError: boom", "line 3"} {
		if !strings.Contains(se.Traceback, want) || !strings.Contains(se.Str, want) {
			t.Errorf("script error traceback/str lacks %q:\n%s\n%s", want, se.Traceback, se.Str)
		}
	}
	if !strings.Contains(se.Str, "job pyc-error-1") || se.Stdout != "before\n" {
		t.Errorf("script error str %q / stdout %q: want the job id and the output before the error", se.Str, se.Stdout)
	}
	inv := got.Invalid
	if inv.Class != "InvalidRequest" || inv.Code != "INVALID_REQUEST" || inv.JobID == "" ||
		!strings.Contains(inv.Str, "nosuchtype") {
		t.Errorf("refused request: %+v; want InvalidRequest naming the type, with a job id", inv)
	}
}

type pyClientOut struct {
	Roundtrip struct {
		JobID  string                     `json:"job_id"`
		Stdout string                     `json:"stdout"`
		Rows   int                        `json:"rows"`
		Dtypes map[string]string          `json:"dtypes"`
		BigID  []int64                    `json:"big_id"`
		Region []json.RawMessage          `json:"region"`
		Units  []json.RawMessage          `json:"units"`
		SoldOn []json.RawMessage          `json:"sold_on"`
		Params map[string]json.RawMessage `json:"params"`
	} `json:"roundtrip"`
	Typed struct {
		Dtypes              map[string]string `json:"dtypes"`
		N, Big, X, S, D, TS json.RawMessage
		Params              map[string]any `json:"params"`
	} `json:"typed"`
	R struct {
		Dtypes map[string]string `json:"dtypes"`
		A, B   json.RawMessage
	} `json:"r"`
	Jobs        map[string][2]string `json:"jobs"`
	ScriptError pyFailure            `json:"script_error"`
	Invalid     pyFailure            `json:"invalid"`
}

type pyFailure struct {
	Class     string `json:"class"`
	JobID     string `json:"job_id"`
	Code      string `json:"code"`
	Line      int    `json:"line"`
	ErrorType string `json:"error_type"`
	Traceback string `json:"traceback"`
	Str       string `json:"str"`
	Stdout    string `json:"stdout"`
}

func requirePythonClient(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import pandas, grpc, google.protobuf").Run(); err != nil {
		t.Skipf("/usr/bin/python3 with pandas, grpc and protobuf is not installed (scripts/install-deps.sh): %v", err)
	}
}

// runPyClient runs pyClientScript with args against the main host and
// decodes its JSON into out.
func runPyClient(t *testing.T, out any, args ...string) {
	t.Helper()
	script := filepath.Join(t.TempDir(), "client.py")
	if err := os.WriteFile(script, []byte(pyClientScript), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", append([]string{"-B", script}, args...)...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(repoRoot(), "clients", "python"),
		"LAUNCHPAD_ADDR=unix://"+theHost.sock)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python client: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("python client output: %v\n%s", err, stdout.String())
	}
}

func pyCheckDtypes(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for col, w := range want {
		if got[col] != w {
			t.Errorf("%s: column %s has dtype %q, want %q (all: %v)", what, col, got[col], w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: columns %v, want %v", what, got, want)
	}
}

// pyCheckCell compares a value the Python client printed as JSON with exec's
// JSON cell for the same row and column.
func pyCheckCell(t *testing.T, ref jsonResult, row int, col string, got json.RawMessage) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("row %d %s: %v", row, col, err)
	}
	if err := json.Unmarshal([]byte(ref.cell(t, row, col)), &w); err != nil {
		t.Fatalf("row %d %s: %v", row, col, err)
	}
	if g != w {
		t.Errorf("row %d %s = %v, exec says %v", row, col, g, w)
	}
}

// pyCheckJSON compares JSON values by their decoded form.
func pyCheckJSON[V any](t *testing.T, what string, got map[string]V, want map[string]any) {
	t.Helper()
	for k, w := range want {
		b, err := json.Marshal(got[k])
		if err != nil {
			t.Fatal(err)
		}
		wb, _ := json.Marshal(w)
		if !bytes.Equal(pyCanon(t, b), pyCanon(t, wb)) {
			t.Errorf("%s: %s = %s, want %s", what, k, b, wb)
		}
	}
}

// pyCanon re-encodes JSON so that equal values compare equal as bytes.
func pyCanon(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pyRefusalScript runs a Python and an R job on the host at argv[1] and
// prints what came back: the Python job's output, the R job's exception.
const pyRefusalScript = `
import json, sys
import launchpad
out = {"python": launchpad.execute("OutputDataSet = InputDataSet", input_query="SELECT 42 AS x",
                                   address=sys.argv[1]).data["x"].tolist()}
try:
    launchpad.execute("OutputDataSet <- data.frame(x = 1L)", language="R", address=sys.argv[1])
    out["r"] = None
except launchpad.LaunchpadError as e:
    out["r"] = {"class": type(e).__name__, "str": str(e), "job_id": e.job_id}
print(json.dumps(out))
`

// TestPythonClient_PermissionDenied: a caller granted only Python is
// refused an R job, and the client raises PermissionDenied naming the
// caller and the language. It runs once the host has grants (issue 13).
func TestPythonClient_PermissionDenied(t *testing.T) {
	if _, ok := proto.ErrorCode_value["ERROR_CODE_PERMISSION_DENIED"]; !ok {
		t.Skip("this host has no grants yet: the API has no ERROR_CODE_PERMISSION_DENIED")
	}
	requirePythonClient(t)
	if os.Geteuid() != 0 {
		t.Skip("runs the client as nobody: needs root")
	}
	h := startSharedHost(t, fmt.Sprintf("sandbox {\n  uid_base = %d\n}\nexternal_scripts_enabled = true\n"+
		"grant \"user:nobody\" {\n  languages = [\"Python\"]\n}\n", extraUIDBase(27)))
	cmd := exec.Command("/usr/bin/python3", "-B", "-c", pyRefusalScript, "unix://"+h.sock)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(repoRoot(), "clients", "python"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534, Groups: []uint32{}}}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python client as nobody: %v\nstderr:\n%s", err, stderr.String())
	}
	var got struct {
		Python []int64
		R      *pyFailure
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("python client output: %v\n%s", err, stdout.String())
	}
	if len(got.Python) != 1 || got.Python[0] != 42 {
		t.Errorf("nobody's Python job returned %v, want [42]", got.Python)
	}
	want := "permission denied: caller nobody (65534) has no grant for language R"
	if got.R == nil || got.R.Class != "PermissionDenied" || !strings.Contains(got.R.Str, want) || got.R.JobID == "" {
		t.Errorf("nobody's R job: %+v; want PermissionDenied with a job id saying %q", got.R, want)
	}
}
