package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const pyTLSScript = `import json, sys
import launchpad
addr, cert, key, ca, fcert, fkey = sys.argv[1:7]
out = {}
r = launchpad.execute("OutputDataSet = pandas.DataFrame({'who': ['over tls']})",
                      address=addr, cert=cert, key=key, ca=ca)
out["rows"] = r.data["who"].tolist()
out["job"] = r.job_id
try:
    launchpad.execute("OutputDataSet <- data.frame(a = 1)", language="R", address=addr, cert=cert, key=key, ca=ca)
    out["r"] = "ran"
except launchpad.PermissionDenied as e:
    out["r"] = str(e)
try:
    launchpad.execute("pass", address=addr, cert=fcert, key=fkey, ca=ca)
    out["foreign"] = "ran"
except launchpad.HostUnreachable:
    out["foreign"] = "unreachable"
except Exception as e:
    out["foreign"] = type(e).__name__ + ": " + str(e)
print(json.dumps(out))
`

// The Python client over the host's real TCP listener with mutual TLS: a
// client certificate the host's CA signed runs a job as cert:analyst; its
// grant covers Python only; a certificate of another CA gets no connection.
func TestPythonClient_MutualTLSAgainstTheHost(t *testing.T) {
	requireRoot(t)
	requirePythonClient(t)
	th := startTLSHostAt(t, 32)
	script := filepath.Join(t.TempDir(), "tls.py")
	if err := os.WriteFile(script, []byte(pyTLSScript), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/python3", "-B", script, "tls://"+th.addr, th.analyst.Cert, th.analyst.Key, th.ca.File,
		th.foreign.Cert, th.foreign.Key)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+filepath.Join(repoRoot(), "clients", "python"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("python client: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	var got struct {
		Rows            []string
		Job, R, Foreign string
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("python client output: %v\n%s", err, stdout.String())
	}
	if len(got.Rows) != 1 || got.Rows[0] != "over tls" {
		t.Fatalf("rows over TLS: %v", got.Rows)
	}
	if j := th.jobs(t)[got.Job]; j.Caller != "cert:analyst" || j.State != "succeeded" {
		t.Errorf("job %s: caller %q, state %q; want cert:analyst, succeeded", got.Job, j.Caller, j.State)
	}
	if !strings.Contains(got.R, "permission denied") || !strings.Contains(got.R, "cert:analyst") || !strings.Contains(got.R, "language R") {
		t.Errorf("R job of a Python-only certificate: %q", got.R)
	}
	if got.Foreign != "unreachable" {
		t.Errorf("a certificate of another CA: %q, want HostUnreachable", got.Foreign)
	}
}
