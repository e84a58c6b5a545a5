package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/internal/testcert"
)

// rootGrant lets root run every language on a `serve` host, whose
// external scripts are off and which grants nothing by default.
const rootGrant = `external_scripts_enabled = true
grant "uid:0" {
  languages    = ["*"]
  read_tables  = ["*"]
  write_tables = ["*"]
}
`

// callerAccount is a local user a test runs the client as.
type callerAccount struct {
	uid, gid uint32
	name     string // how the host names it: "NAME (UID)"
}

var (
	// Debian's own accounts: the test creates none.
	acctNobody = callerAccount{65534, 65534, "nobody (65534)"}
	acctDaemon = callerAccount{1, 1, "daemon (1)"}
	// A uid without an callerAccount: named by its number, in no group.
	acctStranger = callerAccount{4242, 4242, "4242 (4242)"}
)

// launchpadAsAccount runs the launchpad binary as a, without supplementary groups
// (the host reads a's groups from the user database, not from the peer).
func launchpadAsAccount(a callerAccount, args ...string) result {
	cmd := exec.Command(theHost.bin, args...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: []uint32{}}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		r.code, r.stderr = -1, err.Error()
	}
	return r
}

func (h *host) execAsAccount(a callerAccount, args ...string) result {
	return launchpadAsAccount(a, append([]string{"exec", "--address", "unix://" + h.sock}, args...)...)
}

const grantPy42 = "import pandas as pd\nOutputDataSet = pd.DataFrame({'x': [40 + 2]})"

// mustBeRefused: the call failed with a permission denied naming want.
func (r result) mustBeRefused(t *testing.T, what, want string) {
	t.Helper()
	if r.code == 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("%s: exit %d, want a refusal %q\nstdout: %s\nstderr: %s", what, r.code, want, r.stdout, r.stderr)
	}
}

func skipGrantsUnlessRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("running the client as other uids needs root")
	}
}

// A uid without a grant is refused, naming it and the language, and the
// refusal is audited; a granted callerAccount runs only its languages, by user
// or by group.
func TestGrants_OnlyGrantedCallersRunTheirLanguages(t *testing.T) {
	skipGrantsUnlessRoot(t)
	h := startSharedHost(t, fmt.Sprintf(`sandbox {
  uid_base = %d
  workers  = 2
}
grant "user:nobody" {
  languages = ["Python"]
}
grant "group:daemon" {
  languages = ["R"]
}
`, extraUIDBase(20)))
	r := h.execAsAccount(acctStranger, "--language", "Python", "--job-id", "stranger-1", "--script", grantPy42)
	r.mustBeRefused(t, "a uid without a grant", "permission denied: caller 4242 (4242) has no grant for language Python")
	if !refusedWith(auditEvents(t, h.state), "stranger-1", "caller 4242 (4242) has no grant for language Python") {
		t.Errorf("the refusal is not in the audit log: %v", auditEvents(t, h.state))
	}
	if r := h.execAsAccount(acctNobody, "--language", "Python", "--format", "csv", "--script", grantPy42); r.code != 0 || r.stdout != "x\n42\n" {
		t.Errorf("nobody's Python: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	h.execAsAccount(acctNobody, "--language", "R", "--script", "OutputDataSet <- data.frame(x = 1L)").
		mustBeRefused(t, "nobody's R", "permission denied: caller nobody (65534) has no grant for language R")
	if r := h.execAsAccount(acctDaemon, "--language", "R", "--format", "csv", "--script", "OutputDataSet <- data.frame(x = 42L)"); r.code != 0 || r.stdout != "x\n42\n" {
		t.Errorf("daemon's R (by its group): exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	h.execAsAccount(acctDaemon, "--language", "Python", "--script", grantPy42).
		mustBeRefused(t, "daemon's Python", "permission denied: caller daemon (1) has no grant for language Python")
	// The jobs that ran name their callers in the history.
	jobs := grantJobsAs(t, h, callerAccount{0, 0, ""})
	if !grantHasJob(jobs, "nobody (65534)", "Python") || !grantHasJob(jobs, "daemon (1)", "R") {
		t.Errorf("history: %+v", jobs)
	}
}

// grantJobRow is one job of `launchpad jobs --format json`.
type grantJobRow struct {
	ID, Caller, Language, State string
}

func grantJobsAs(t *testing.T, h *host, a callerAccount, extra ...string) []grantJobRow {
	t.Helper()
	r := launchpadAsAccount(a, append([]string{"jobs", "--address", "unix://" + h.sock, "--format", "json"}, extra...)...)
	if r.code != 0 {
		t.Fatalf("jobs as uid %d: exit %d: %s", a.uid, r.code, r.stderr)
	}
	var rows []grantJobRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("jobs json: %v\n%s", err, r.stdout)
	}
	return rows
}

func grantHasJob(rows []grantJobRow, caller, language string) bool {
	for _, r := range rows {
		if r.Caller == caller && strings.EqualFold(r.Language, language) {
			return true
		}
	}
	return false
}

// Write-back into a table outside the caller's write grant is refused
// before the job runs: the table keeps its rows. Inside the grant it is
// written.
func TestGrants_WriteBackOutsideTheGrantIsRefused(t *testing.T) {
	skipGrantsUnlessRoot(t)
	h := startSharedHost(t, fmt.Sprintf(`sandbox {
  uid_base = %d
  workers  = 2
}
grant "user:nobody" {
  languages    = ["Python"]
  read_tables  = ["*"]
  write_tables = ["scores"]
}
`, extraUIDBase(22)))
	for _, table := range []string{"scores", "ledger"} {
		if r := h.exec(t, "--language", "Python", "--into-table", table, "--create-table", "--script", grantPy42); r.code != 0 {
			t.Fatalf("root creates %s: exit %d: %s", table, r.code, r.stderr)
		}
	}
	h.execAsAccount(acctNobody, "--language", "Python", "--job-id", "wb-out", "--into-table", "[dbo].[ledger]", "--script", grantPy42).
		mustBeRefused(t, "write into ledger", "permission denied: caller nobody (65534) has no grant to write table ledger")
	if r := h.execAsAccount(acctNobody, "--language", "Python", "--into-table", "dbo.scores", "--script", grantPy42); r.code != 0 {
		t.Errorf("write into scores: exit %d: %s", r.code, r.stderr)
	}
	count := func(table string) string {
		r := h.exec(t, "--language", "Python", "--format", "csv", "--input-query", "SELECT COUNT(*) AS n FROM "+table,
			"--script", "OutputDataSet = InputDataSet")
		if r.code != 0 {
			t.Fatalf("count %s: %s", table, r.stderr)
		}
		return r.stdout
	}
	if got := count("ledger"); got != "n\n1\n" {
		t.Errorf("ledger after the refused write-back: %q, want its one row", got)
	}
	if got := count("scores"); got != "n\n2\n" {
		t.Errorf("scores after the granted write-back: %q, want 2 rows", got)
	}
	if !refusedWith(auditEvents(t, h.state), "wb-out", "no grant to write table ledger") {
		t.Error("the refused write-back is not audited")
	}
}

// startAsAccount starts `launchpad exec` of a sleepy job as a and waits until its
// script runs.
func (h *host) startAsAccount(t *testing.T, a callerAccount, id string) *runningJob {
	t.Helper()
	cmd := exec.Command(theHost.bin, "exec", "--address", "unix://"+h.sock, "--language", "Python", "--job-id", id,
		"--format", "csv", "--input-query", "SELECT 7 AS seven", "--script", sleepyScript(60))
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: a.uid, Gid: a.gid, Groups: []uint32{}}}
	return startJobCmd(t, cmd)
}

// A caller sees and cancels only its own jobs; root (an admin) sees and
// cancels all. SIGHUP reloads the grants: turning external scripts off
// refuses every job from then on.
func TestGrants_CallersSeeAndCancelOnlyTheirOwnJobs(t *testing.T) {
	skipGrantsUnlessRoot(t)
	conf := fmt.Sprintf(`sandbox {
  uid_base = %d
  workers  = 3
}
grant "user:nobody" {
  languages = ["Python"]
}
grant "group:daemon" {
  languages = ["Python"]
}
`, extraUIDBase(23))
	h := startSharedHost(t, conf)
	long := h.startAsAccount(t, acctNobody, "nb-long")
	cancel := func(a callerAccount, id string) result {
		return launchpadAsAccount(a, "cancel", "--address", "unix://"+h.sock, id)
	}
	cancel(acctDaemon, "nb-long").mustBeRefused(t, "daemon cancels nobody's job",
		"permission denied: caller daemon (1) may not cancel job nb-long of another caller")
	if !refusedWith(auditEvents(t, h.state), "nb-long", "may not cancel") {
		t.Error("the refused cancel is not audited")
	}
	if r := h.execAsAccount(acctDaemon, "--language", "Python", "--job-id", "dm-short", "--script", grantPy42); r.code != 0 {
		t.Fatalf("daemon's job: %s", r.stderr)
	}
	ids := func(rows []grantJobRow) string {
		var s []string
		for _, r := range rows {
			s = append(s, r.ID+"="+r.Caller)
		}
		return strings.Join(s, ",")
	}
	if got := ids(grantJobsAs(t, h, acctDaemon)); got != "dm-short=daemon (1)" {
		t.Errorf("daemon's view: %s", got)
	}
	if got := ids(grantJobsAs(t, h, acctNobody)); got != "nb-long=nobody (65534)" {
		t.Errorf("nobody's view: %s", got)
	}
	if got := ids(grantJobsAs(t, h, acctStranger)); got != "" {
		t.Errorf("a stranger's view: %s", got)
	}
	if got := ids(grantJobsAs(t, h, callerAccount{0, 0, ""})); !strings.Contains(got, "nb-long=nobody (65534)") || !strings.Contains(got, "dm-short=daemon (1)") {
		t.Errorf("root's view: %s", got)
	}
	if r := cancel(callerAccount{0, 0, ""}, "nb-long"); r.code != 0 {
		t.Errorf("root cancels nobody's job: exit %d: %s", r.code, r.stderr)
	}
	if r := long.wait(t); r.code == 0 || !strings.Contains(r.stderr, "cancelled") {
		t.Errorf("nobody's cancelled job: exit %d: %s", r.code, r.stderr)
	}

	if err := os.WriteFile(filepath.Join(h.dir, "launchpad.hcl"), []byte("external_scripts_enabled = false\n"+conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.proc.Cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, h, "external_scripts_enabled=false")
	h.execAsAccount(callerAccount{0, 0, ""}, "--language", "Python", "--script", grantPy42).mustBeRefused(t, "root with scripts off",
		"permission denied: caller root (0): external scripts are disabled on this host")
}

// tlsHost is a host with a TLS listener and the files of its callers.
type tlsHost struct {
	*host
	addr                     string
	ca                       *testcert.CA
	analyst, rootCN, foreign testcert.Pair
}

func startTLSHost(t *testing.T) *tlsHost { return startTLSHostAt(t, 21) }

// startTLSHostAt starts a host with a TLS listener on extra host slot.
func startTLSHostAt(t *testing.T, slot int) *tlsHost {
	t.Helper()
	dir := t.TempDir()
	ca, err := testcert.NewCA(dir, "callers")
	mustNoErr(t, err)
	other, err := testcert.NewCA(dir, "other")
	mustNoErr(t, err)
	th := &tlsHost{ca: ca}
	srv, err := ca.Server(dir, "host")
	mustNoErr(t, err)
	th.analyst, err = ca.Client(dir, "analyst")
	mustNoErr(t, err)
	th.rootCN, err = ca.Client(dir, "root")
	mustNoErr(t, err)
	th.foreign, err = other.Client(dir, "analyst-elsewhere")
	mustNoErr(t, err)
	th.addr = tlsFreePort(t)
	th.host = startSharedHost(t, fmt.Sprintf(`sandbox {
  uid_base = %d
  workers  = 2
}
grant "cert:analyst" {
  languages = ["Python"]
}
listener "tcp" {
  address   = %q
  cert      = %q
  key       = %q
  client_ca = %q
}
`, extraUIDBase(slot), th.addr, srv.Cert, srv.Key, ca.File))
	return th
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// tlsFreePort is a loopback address no one listens on just now.
func tlsFreePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustNoErr(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// execTLS runs exec over TLS with a client pair and the host's CA.
func (th *tlsHost) execTLS(p testcert.Pair, args ...string) result {
	full := append([]string{"exec", "--address", "tls://" + th.addr, "--cert", p.Cert, "--key", p.Key, "--ca", th.ca.File}, args...)
	return launchpadAsAccount(callerAccount{0, 0, ""}, full...)
}

// Over TLS the client certificate names the caller: a valid one runs a job
// as cert:CN; one from another CA, or none, is refused at the handshake; a
// certificate named like an callerAccount is not that callerAccount.
func TestTLS_ClientCertificateNamesTheCaller(t *testing.T) {
	th := startTLSHost(t)
	r := th.execTLS(th.analyst, "--language", "Python", "--job-id", "tls-ok", "--format", "csv", "--script", grantPy42)
	if r.code != 0 || r.stdout != "x\n42\n" {
		t.Fatalf("job over TLS: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	jr := launchpadAsAccount(callerAccount{0, 0, ""}, "jobs", "--address", "tls://"+th.addr, "--cert", th.analyst.Cert,
		"--key", th.analyst.Key, "--ca", th.ca.File, "--format", "json")
	var rows []grantJobRow
	if err := json.Unmarshal([]byte(jr.stdout), &rows); err != nil || len(rows) != 1 || rows[0].ID != "tls-ok" || rows[0].Caller != "cert:analyst" {
		t.Errorf("jobs over TLS: %v %+v\n%s", err, rows, jr.stderr)
	}
	th.execTLS(th.rootCN, "--language", "Python", "--script", grantPy42).
		mustBeRefused(t, "a certificate named root", "permission denied: caller cert:root has no grant for language Python")
	r = th.execTLS(th.foreign, "--language", "Python", "--job-id", "tls-foreign", "--script", grantPy42)
	// TLS 1.3 checks the client's certificate after the client's side of
	// the handshake: the client reads a broken connection or the alert.
	if r.code != 3 || r.stdout != "" || !strings.Contains(r.stderr, "the host refuses a client certificate its client_ca did not sign") {
		t.Errorf("a certificate from another CA: exit %d: %s%s", r.code, r.stdout, r.stderr)
	}
	// The ENV defaults stand in for the flags; without a certificate at all
	// the client refuses to dial.
	code, out := launchpadOut(t, []string{"LAUNCHPAD_ADDR=tls://" + th.addr, "LAUNCHPAD_CERT=", "LAUNCHPAD_KEY=", "LAUNCHPAD_CA=" + th.ca.File},
		"exec", "--language", "Python", "--script", grantPy42)
	if code != 3 || !strings.Contains(out, "give a client certificate") {
		t.Errorf("TLS without a certificate: exit %d: %s", code, out)
	}
	th.noCertHandshakeRefused(t)
	for _, ev := range auditEvents(t, th.state) {
		if ev["action"] == "job.start" && ev["target"] == "tls-foreign" {
			t.Error("a job of a certificate from another CA started")
		}
	}
}

// noCertHandshakeRefused: a TLS client that trusts the host but shows no
// certificate gets no answer to any call.
func (th *tlsHost) noCertHandshakeRefused(t *testing.T) {
	t.Helper()
	pem, err := os.ReadFile(th.ca.File)
	mustNoErr(t, err)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	creds := credentials.NewTLS(&tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13})
	conn, err := grpc.NewClient("passthrough:///"+th.addr, grpc.WithTransportCredentials(creds))
	mustNoErr(t, err)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	jobs, err := proto.NewLaunchpadClient(conn).ListJobs(ctx, &proto.ListJobsRequest{})
	if status.Code(err) != codes.Unavailable {
		t.Errorf("ListJobs without a client certificate: %v, %v; want Unavailable", jobs, err)
	}
}

// hostProbe is Python that connects to the host's socket, speaks the
// HTTP/2 preface and an empty SETTINGS frame, and sets answer to the bytes
// the host sent back (0: it closed the connection; -1: it broke it).
func hostProbe() string {
	return `import socket
answer = -1
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
try:
    s.connect(` + fmt.Sprintf("%q", theHost.sock) + `)
    s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))
    answer = len(s.recv(1024))
except OSError:
    pass
`
}

// The socket is open to every local user, a job's worker account too: the
// host drops a connection from its own jobs before answering anything,
// while root, the same probe outside a job, gets the server's settings.
func TestGrants_JobsCannotCallTheirHost(t *testing.T) {
	if isolation() != "full" {
		t.Skip("jobs run as worker accounts only with full isolation")
	}
	out, err := exec.Command("/usr/bin/python3", "-c", hostProbe()+"print(answer)").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) == "0" || strings.TrimSpace(string(out)) == "-1" {
		t.Fatalf("the probe outside a job got no answer: %v %s", err, out)
	}
	script := hostProbe() + "import pandas as pd\nOutputDataSet = pd.DataFrame({'answer_bytes': [answer]})"
	r := execArgs(t, "--language", "Python", "--format", "csv", "--script", script)
	if r.code != 0 || (r.stdout != "answer_bytes\n0\n" && r.stdout != "answer_bytes\n-1\n") {
		t.Errorf("a job calling its host: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
