package e2e

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// callerName is how the host names this test process as a caller.
func callerName(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s (%s)", u.Username, u.Uid)
}

// watchJob is one job of `launchpad jobs --format json`. It repeats fields of
// cmd/launchpad's jobJSON on purpose: the test reads the command's output as
// an outside reader would, so a renamed field there fails here.
type watchJob struct {
	ID              string  `json:"id"`
	Caller          string  `json:"caller"`
	Language        string  `json:"language"`
	Launcher        string  `json:"launcher"`
	LauncherVersion string  `json:"launcher_version"`
	State           string  `json:"state"`
	Started         *string `json:"started"`
	Ended           *string `json:"ended"`
	ElapsedMs       int64   `json:"elapsed_ms"`
	CPUUserMs       int64   `json:"cpu_user_ms"`
	PeakMemoryBytes int64   `json:"peak_memory_bytes"`
	RowsIn          uint64  `json:"rows_in"`
	RowsOut         *uint64 `json:"rows_out"`
	ExitCode        *int    `json:"exit_code"`
	ErrorCode       string  `json:"error_code"`
	ScriptSHA256    string  `json:"script_sha256"`
	Start           string  `json:"start"`
	Stages          []struct {
		Name string  `json:"name"`
		Ms   float64 `json:"ms"`
	} `json:"stages"`
}

// startWatchHost starts a dev host (slot 18) with JSON logs and a metrics
// listener on a free loopback port, and returns the metrics address.
func startWatchHost(t *testing.T) (*host, string) {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "lpw-")
	if err != nil {
		t.Fatal(err)
	}
	h := &host{dir: dir, bin: theHost.bin, state: filepath.Join(dir, "state")}
	hcl := fmt.Sprintf("sandbox {\n  uid_base = %d\n  workers = 3\n}\ntelemetry {\n  address = \"127.0.0.1:0\"\n}\n", extraUIDBase(18))
	h.start(t, hcl)
	// start used text logs: run it again with JSON logs, same state.
	h.stopKeep(t)
	restartWatchHost(t, h)
	return h, metricsAddress(t, h)
}

func restartWatchHost(t *testing.T, h *host) {
	t.Helper()
	os.Remove(h.sock)
	h.launch(t, []string{"dev", "--state", h.state, "--isolation", isolation(), "--log-format", "json",
		"--config", filepath.Join(h.dir, "launchpad.hcl")})
}

// metricsAddress reads the listener's address from the host's JSON log.
func metricsAddress(t *testing.T, h *host) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range logLines(t, h) {
			if l["@message"] == "serving metrics" {
				return l["address"].(string)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no metrics address in the log:\n%s", tail(h.logBuf.String(), 4000))
	return ""
}

// logLines parses the host's log: with --log-format json every line must
// be a JSON object.
func logLines(t *testing.T, h *host) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(h.logBuf.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %q", err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// jobLog is the host's "job failed" log line of a job.
func jobLog(t *testing.T, h *host, id string) map[string]any {
	t.Helper()
	for _, l := range logLines(t, h) {
		if l["job_id"] == id && l["@message"] == "job failed" {
			return l
		}
	}
	t.Fatalf("no failure log line for job %s:\n%s", id, tail(h.logBuf.String(), 4000))
	return nil
}

func (h *host) admin(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(h.bin, append(args[:1:1], append([]string{"--address", "unix://" + h.sock}, args[1:]...)...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func (h *host) jobs(t *testing.T) map[string]watchJob {
	t.Helper()
	out, errs, err := h.admin(t, "jobs", "--format", "json", "--limit", "0")
	if err != nil {
		t.Fatalf("launchpad jobs: %v\n%s", err, errs)
	}
	var list []watchJob
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("jobs --format json: %v\n%s", err, out)
	}
	m := map[string]watchJob{}
	for _, j := range list {
		m[j.ID] = j
	}
	return m
}

// waitJobState polls `launchpad jobs` until job id is in state.
func waitJobState(t *testing.T, h *host, id, state string) watchJob {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if j, ok := h.jobs(t)[id]; ok && j.State == state {
			return j
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("job %s never reached %s: %+v", id, state, h.jobs(t)[id])
	return watchJob{}
}

func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse the exposition format: %v", err)
	}
	return fams
}

// metricValue is the value of the sample of family name with labels.
func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no sample of %s with %v", name, labels)
	return 0
}

// Jobs are listed with their caller, launcher, usage and exit, a running
// one is cancelled through `launchpad cancel`, the history survives a
// restart, the metrics count it all, the JSON log says failures at WARN and
// a cancel at INFO, and the audit log records each start.
func TestOpsWatch_JobsCancelMetricsLogsAudit(t *testing.T) {
	h, addr := startWatchHost(t)
	okScript := "OutputDataSet = InputDataSet"
	if r := h.exec(t, "--language", "Python", "--job-id", "w-ok", "--script", okScript,
		"--input-query", "SELECT 1 AS a UNION ALL SELECT 2", "--format", "csv"); r.code != 0 {
		t.Fatalf("ok job: exit %d: %s", r.code, r.stderr)
	}
	if r := h.exec(t, "--language", "Python", "--job-id", "w-bad", "--script", "x = 1/0"); r.code == 0 {
		t.Fatal("failing job succeeded")
	}
	if r := h.exec(t, "--language", "Klingon", "--job-id", "w-lang", "--script", "x"); r.code == 0 {
		t.Fatal("unknown language succeeded")
	}
	long := make(chan result, 1)
	go func() {
		long <- h.exec(t, "--language", "Python", "--job-id", "w-long", "--script", "import time\ntime.sleep(120)")
	}()
	running := waitJobState(t, h, "w-long", "running")
	if running.RowsOut != nil || running.Ended != nil || running.Launcher != "PythonLauncher" {
		t.Errorf("running job: %+v", running)
	}
	if out, errs, err := h.admin(t, "cancel", "w-long"); err != nil || !strings.Contains(out, "cancelled job w-long") {
		t.Fatalf("cancel: %v\n%s%s", err, out, errs)
	}
	if r := <-long; r.code == 0 || !strings.Contains(r.stderr, "cancel") {
		t.Errorf("cancelled job: exit %d: %s", r.code, r.stderr)
	}
	if _, errs, err := h.admin(t, "cancel", "w-long"); err == nil || !strings.Contains(errs, "not running") {
		t.Errorf("cancel of an ended job: %v %s", err, errs)
	}
	checkListedJobs(t, h, okScript)
	checkJobLogs(t, h)
	checkMetrics(t, scrape(t, addr))
	checkAuditStarts(t, h, okScript)

	// The history is in the state folder: a restarted host lists the jobs.
	h.stopKeep(t)
	restartWatchHost(t, h)
	if j := h.jobs(t)["w-bad"]; j.State != "failed" || j.ErrorCode != "script" {
		t.Errorf("after a restart, w-bad is %+v", j)
	}
	table, errs, err := h.admin(t, "jobs")
	if err != nil || !regexp.MustCompile(`(?m)^w-ok\s+`+regexp.QuoteMeta(callerName(t))+`\s+Python\s+PythonLauncher 0\.1\.0\s+succeeded\s`).MatchString(table) {
		t.Errorf("jobs table: %v\n%s%s", err, table, errs)
	}
}

// A succeeded job's exit code is absent when it was answered as its
// runtime closed its output (docs/operations.md): its exit was teardown.
func checkListedJobs(t *testing.T, h *host, okScript string) {
	t.Helper()
	jobs := h.jobs(t)
	ok := jobs["w-ok"]
	sum := sha256.Sum256([]byte(okScript))
	if ok.State != "succeeded" || ok.Caller != callerName(t) || ok.Language != "Python" || ok.Launcher != "PythonLauncher" ||
		ok.LauncherVersion != "0.1.0" || ok.RowsIn != 2 || ok.RowsOut == nil || *ok.RowsOut != 2 ||
		(ok.ExitCode != nil && *ok.ExitCode != 0) || ok.ScriptSHA256 != hex.EncodeToString(sum[:]) || ok.ElapsedMs <= 0 {
		t.Errorf("w-ok: %+v", ok)
	}
	if os.Geteuid() == 0 && (ok.CPUUserMs <= 0 || ok.PeakMemoryBytes < 1<<20) {
		t.Errorf("w-ok has no usage from its job object: %+v", ok)
	}
	if bad := jobs["w-bad"]; bad.State != "failed" || bad.ErrorCode != "script" {
		t.Errorf("w-bad: %+v", bad)
	}
	if c := jobs["w-long"]; c.State != "cancelled" || c.ErrorCode != "cancelled" || c.Ended == nil {
		t.Errorf("w-long: %+v", c)
	}
	if l := jobs["w-lang"]; l.State != "failed" || l.ErrorCode != "unknown_language" || l.Started != nil {
		t.Errorf("w-lang: %+v", l)
	}
}

func checkJobLogs(t *testing.T, h *host) {
	t.Helper()
	bad := jobLog(t, h, "w-bad")
	if bad["@level"] != "warn" || bad["caller"] != callerName(t) || bad["code"] != "script error" {
		t.Errorf("failed job's log line: %v", bad)
	}
	if c := jobLog(t, h, "w-long"); c["@level"] != "info" || c["code"] != "cancelled" {
		t.Errorf("cancelled job's log line: %v", c)
	}
	for _, l := range logLines(t, h) {
		if l["job_id"] == "w-long" && l["@level"] == "error" {
			t.Errorf("the cancel logged an error: %v", l)
		}
	}
}

func checkMetrics(t *testing.T, fams map[string]*dto.MetricFamily) {
	t.Helper()
	py := map[string]string{"language": "python"}
	want := []struct {
		name   string
		labels map[string]string
		value  float64
	}{
		{"launchpad_jobs_started_total", py, 3},
		{"launchpad_jobs_failed_total", map[string]string{"language": "python", "code": "script_error"}, 1},
		{"launchpad_jobs_failed_total", map[string]string{"language": "python", "code": "cancelled"}, 1},
		{"launchpad_jobs_failed_total", map[string]string{"language": "unknown", "code": "unknown_language"}, 1},
		{"launchpad_job_duration_seconds", map[string]string{"language": "python", "state": "succeeded"}, 1},
		{"launchpad_job_queue_wait_seconds", nil, 4},
		{"launchpad_job_input_rows_total", py, 2},
		{"launchpad_job_output_rows_total", py, 2},
		{"launchpad_jobs_active", nil, 0},
		{"launchpad_jobs_queued", nil, 0},
		{"launchpad_workers", nil, 3},
	}
	for _, w := range want {
		if got := metricValue(t, fams, w.name, w.labels); got != w.value {
			t.Errorf("%s%v = %v, want %v", w.name, w.labels, got, w.value)
		}
	}
	if got := metricValue(t, fams, "launchpad_job_input_bytes_total", py); got <= 0 {
		t.Errorf("input bytes = %v", got)
	}
	if _, ok := fams["launchpad_launcher_verification_failures_total"]; ok {
		t.Errorf("verification failures counted with no untrusted launcher")
	}
}

func checkAuditStarts(t *testing.T, h *host, okScript string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.state, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(okScript))
	for _, line := range strings.Split(string(b), "\n") {
		var ev struct {
			Action, Target string
			Details        map[string]string
		}
		if json.Unmarshal([]byte(line), &ev) != nil || ev.Action != "job.start" || ev.Target != "w-ok" {
			continue
		}
		if ev.Details["caller"] != callerName(t) || ev.Details["script_sha256"] != hex.EncodeToString(sum[:]) ||
			ev.Details["launcher"] != "PythonLauncher" {
			t.Errorf("audit of w-ok's start: %+v", ev)
		}
		return
	}
	t.Errorf("no job.start audit event for w-ok in:\n%s", b)
}
