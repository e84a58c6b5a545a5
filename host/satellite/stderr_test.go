package satellite

import (
	"bytes"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/internal/testhost"
)

// lockedBuffer is an hclog output the test reads afterwards.
type lockedBuffer = testhost.Log

// floodReader yields n bytes of forged log lines without holding them. (It
// repeats sdk/bxl's test repeatReader: a dozen lines of test code in two
// packages, not worth a package of their own.)
type floodReader struct {
	line []byte
	n    int64
	off  int
}

func (r *floodReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.line[r.off]
		r.off = (r.off + 1) % len(r.line)
	}
	r.n -= int64(len(p))
	return len(p), nil
}

func hostLogger(out io.Writer) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "launchpad", Output: out, Level: hclog.Trace}).
		Named("job").With("job_id", "j-1").Named("launcher")
}

func TestLauncherLog_FloodOfForgedLinesIsBoundedAndAttributed(t *testing.T) {
	forged := "2026-12-01T16:00:00.000Z [ERROR] launchpad.catalog: plugin verification disabled by admin\n" +
		`{"@level":"error","@message":"plugin verification disabled by admin","@timestamp":"2026-12-01T16:00:00Z"}` + "\n" +
		"\x1b[2J\x1b]52;c;cGF3bmVk\x07clear screen\n"
	var out lockedBuffer
	const flood = 50 << 20
	l := newLauncherLog(&floodReader{line: []byte(forged), n: flood}, hostLogger(&out), LogLimits{})
	start := time.Now()
	if n, err := l.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("Read = %d, %v; want 0, EOF once the stream ended", n, err)
	}
	t.Logf("50 MB of forged lines pumped in %s, host log %d bytes", time.Since(start), out.Len())
	if out.Len() > 64<<10 {
		t.Errorf("host log grew %d bytes from 50 MB of launcher stderr", out.Len())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, line := range lines {
		if !strings.Contains(line, "job.launcher: launcher said:") && !strings.Contains(line, "launcher log lines dropped") {
			t.Fatalf("host log line not attributed to the launcher: %q", line)
		}
		if !strings.Contains(line, "untrusted=true") || !strings.Contains(line, "job_id=j-1") {
			t.Errorf("line lacks untrusted=true or the job id: %q", line)
		}
		if strings.Contains(line, "[ERROR]") && !strings.Contains(line, "text=") {
			t.Errorf("a forged level escaped its field: %q", line)
		}
		if strings.ContainsAny(line, "\x1b\x07\r") {
			t.Errorf("control characters reached the host log: %q", line)
		}
		if strings.HasPrefix(strings.SplitN(line, " ", 2)[1], "[ERROR]") {
			t.Errorf("a launcher line is logged as a host error: %q", line)
		}
	}
	if !strings.Contains(out.String(), "launcher log lines dropped") {
		t.Error("dropped lines are not reported")
	}
}

func TestLauncherLog_LevelsLongLinesAndRate(t *testing.T) {
	now := time.Unix(0, 0)
	in := `{"@level":"error","@message":"boom","@module":"launcher","job":"x"}` + "\n" +
		`{"@level":"debug","@message":"detail"}` + "\n" +
		"plain line\n" + strings.Repeat("z", 10000) + "\nafter\n"
	var out lockedBuffer
	l := newLauncherLog(strings.NewReader(in), hostLogger(&out), LogLimits{LineBytes: 100, Burst: 4, PerSecond: 1})
	l.now = func() time.Time { return now }
	l.Read(nil)
	got := out.String()
	for _, want := range []string{
		`[WARN]  launchpad.job.launcher: launcher said: job_id=j-1 untrusted=true launcher_level=error text="boom job=x"`,
		`[DEBUG] launchpad.job.launcher: launcher said: job_id=j-1 untrusted=true launcher_level=debug text=detail`,
		`launcher_level="" text="plain line"`,
		"… [truncated: 9900 bytes more]",
		`launcher log lines dropped: job_id=j-1 untrusted=true lines=1 bytes=5`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "text=after") {
		t.Errorf("the fifth line passed a burst of 4 with no time elapsed:\n%s", got)
	}
}

// FuzzLauncherLog feeds arbitrary launcher stderr to the pump: the host log
// stays within the limits (line count × line bytes, plus the total), every
// line is attributed and single, and one input never makes the pump
// allocate more than a small multiple of its size.
func FuzzLauncherLog(f *testing.F) {
	f.Add([]byte("[ERROR] plugin verification disabled by admin\n{\"@level\":\"error\",\"@message\":\"x\\ny\"}\n\x1b[2J"))
	f.Add([]byte(`{"@level":"warn","@message":"m","k":{"a":[1,2]}}` + "\n" + strings.Repeat("z", 300)))
	f.Fuzz(func(t *testing.T, data []byte) {
		var out lockedBuffer
		lim := LogLimits{LineBytes: 128, TotalBytes: 1024, Burst: 8, PerSecond: 1}
		l := newLauncherLog(bytes.NewReader(data), hostLogger(&out), lim)
		l.now = func() time.Time { return time.Unix(0, 0) }
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l.Read(nil)
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > 64<<10+16*uint64(len(data)) {
			t.Fatalf("pump of %d bytes allocated %d", len(data), got)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines) > lim.Burst+2 {
			t.Fatalf("%d log lines from a burst of %d", len(lines), lim.Burst)
		}
		for _, line := range lines {
			if line == "" {
				continue
			}
			if !strings.Contains(line, "launcher said: job_id=j-1 untrusted=true") && !strings.Contains(line, "launcher log lines dropped") {
				t.Fatalf("unattributed line %q", line)
			}
			if len(line) > 6*lim.LineBytes+512 {
				t.Fatalf("a %d-byte log line", len(line))
			}
		}
	})
}
