package clientcmd

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/api/proto"
)

// A caller picks job ids and languages and a runtime writes errors: the
// table escapes them, and values a job does not have yet show as "-" (text)
// or null (JSON), never as a made-up zero.
func TestJobsOutput_EscapesAndShowsUnknownValues(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.Local)
	jobs := []*proto.JobInfo{
		{JobId: "run-1", Caller: "alice (1000)", Language: "Py\x1b[2Jthon", Launcher: "PythonLauncher",
			LauncherVersion: "0.1.0", State: "running", SubmittedUnixMs: now.UnixMilli(), StartedUnixMs: now.UnixMilli(),
			ElapsedMs: 1500, CpuUserMs: 200, CpuSystemMs: 50, PeakMemoryBytes: 3 << 20, RowsIn: 7},
		{JobId: "q-1", Language: "R", State: "failed", SubmittedUnixMs: now.UnixMilli(), OutputKnown: true,
			ErrorCode: proto.ErrorCode_ERROR_CODE_LIMIT_EXCEEDED},
	}
	var tb bytes.Buffer
	if err := writeJobsTable(&tb, jobs, now); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(tb.String(), "\n"), "\n")
	if strings.ContainsRune(tb.String(), 0x1b) || !strings.Contains(lines[1], `Py\u001b[2Jthon`) {
		t.Errorf("escape not escaped:\n%s", tb.String())
	}
	if f := strings.Fields(lines[1]); strings.Join(f[6:12], " ") != "running 10:00:00 1.5s 250ms 3.0MiB 7" || f[12] != "-" || f[13] != "-" {
		t.Errorf("running job line: %q", lines[1])
	}
	if f := strings.Fields(lines[2]); strings.Join(f[1:], " ") != "- R - failed - - - - - 0 - limit_exceeded" {
		t.Errorf("queued-then-failed job line: %q", lines[2])
	}
	var jb bytes.Buffer
	if err := writeJobsJSON(&jb, jobs); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	if err := json.Unmarshal(jb.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if out[0]["rows_out"] != nil || out[0]["exit_code"] != nil || out[0]["ended"] != nil || out[0]["rows_in"] != 7.0 {
		t.Errorf("running job JSON: %v", out[0])
	}
	if out[1]["started"] != nil || out[1]["rows_out"] != 0.0 || out[1]["error_code"] != "limit_exceeded" {
		t.Errorf("failed job JSON: %v", out[1])
	}
}

// The pools section shows each pool's jobs, memory of its limit and CPU;
// what a pool without a job object cannot know is "-".
func TestJobsOutput_PoolsSection(t *testing.T) {
	pools := []*proto.PoolInfo{
		{Name: "big", Running: 3, Queued: 2, MaxJobs: 4, MemoryBytes: 100 << 20, MemoryLimitBytes: 2 << 30,
			CpuSeconds: 12.5, MaxCpuPercent: 75, CpuWeight: 75},
		{Name: "default", Running: 1, MaxCpuPercent: 100, CpuWeight: 100},
	}
	var tb bytes.Buffer
	if err := writeJobs(&tb, "table", false, nil, pools); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(tb.String(), "\n"), "\n")
	if len(lines) != 5 || lines[1] != "" || !strings.HasPrefix(lines[2], "POOL") {
		t.Fatalf("table:\n%s", tb.String())
	}
	if f := strings.Join(strings.Fields(lines[3]), " "); f != "big 3 2 4 100.0MiB / 2.0GiB 12.5s 75% 75" {
		t.Errorf("pool line %q", f)
	}
	if f := strings.Join(strings.Fields(lines[4]), " "); f != "default 1 0 - - - 100% 100" {
		t.Errorf("pool line %q", f)
	}
	var jb bytes.Buffer
	if err := writeJobs(&jb, "json", true, nil, pools); err != nil {
		t.Fatal(err)
	}
	var out []poolJSON
	if err := json.Unmarshal(jb.Bytes(), &out); err != nil || len(out) != 2 || out[0].Queued != 2 || out[0].MemoryLimitBytes != 2<<30 {
		t.Errorf("pools JSON %v %+v", err, out)
	}
}
