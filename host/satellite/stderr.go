package satellite

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/internal/untrusted"
)

// LogLimits bound what one launcher process may put into the host's log. A
// launcher shares its job's uid and namespaces, so its stderr is the job's
// to write: lines are cut, rate limited, capped in total, escaped and logged
// as "launcher said" with untrusted=true, never re-parsed as host lines.
type LogLimits struct {
	// LineBytes is the most kept of one line (longer lines are cut and the
	// rest skipped). Default DefaultLogLineBytes.
	LineBytes int
	// TotalBytes is the most text one launcher process may log; after it
	// its lines are counted and dropped. Default DefaultLogTotalBytes.
	TotalBytes int
	// PerSecond and Burst rate limit lines (a token bucket). Defaults
	// DefaultLogPerSecond, DefaultLogBurst.
	PerSecond float64
	Burst     int
}

// Defaults of LogLimits (the configuration's limits { launcher_log,
// launcher_log_line, launcher_log_rate, launcher_log_burst }).
const (
	DefaultLogLineBytes  = 2 << 10
	DefaultLogTotalBytes = 256 << 10
	DefaultLogPerSecond  = 20
	DefaultLogBurst      = 50
)

func (l LogLimits) withDefaults() LogLimits {
	if l.LineBytes <= 0 {
		l.LineBytes = DefaultLogLineBytes
	}
	if l.TotalBytes <= 0 {
		l.TotalBytes = DefaultLogTotalBytes
	}
	if l.PerSecond <= 0 {
		l.PerSecond = DefaultLogPerSecond
	}
	if l.Burst <= 0 {
		l.Burst = DefaultLogBurst
	}
	return l
}

// launcherLog is the stderr reader go-plugin gets. go-plugin would parse a
// plugin's JSON lines into host log lines of the plugin's chosen level and
// message; instead the first Read pumps the real stderr through the limits
// until it ends and then reports EOF, so go-plugin logs nothing itself and
// still waits for the pipe to drain before it reaps the process.
type launcherLog struct {
	r    io.Reader
	log  hclog.Logger
	lim  LogLimits
	once sync.Once
	now  func() time.Time

	tokens          float64
	last            time.Time
	logged          int
	dropped, dropsB int
}

func newLauncherLog(r io.Reader, log hclog.Logger, lim LogLimits) *launcherLog {
	lim = lim.withDefaults()
	return &launcherLog{r: r, log: log, lim: lim, now: time.Now, tokens: float64(lim.Burst)}
}

func (l *launcherLog) Read([]byte) (int, error) {
	l.once.Do(l.pump)
	return 0, io.EOF
}

// pump reads lines of at most LineBytes until the stream ends.
func (l *launcherLog) pump() {
	l.last = l.now()
	br := bufio.NewReaderSize(l.r, l.lim.LineBytes)
	for {
		line, err := br.ReadSlice('\n')
		skipped := 0
		if errors.Is(err, bufio.ErrBufferFull) {
			line = append([]byte(nil), line...) // the rest overwrites br's buffer
			skipped, err = skipLine(br)
		}
		if len(line) > 0 || skipped > 0 {
			l.line(line, skipped)
		}
		if err != nil {
			break
		}
	}
	l.flushDrops()
}

// skipLine discards the rest of an overlong line without holding it and
// returns how many bytes of text (not counting the line break) it skipped.
func skipLine(br *bufio.Reader) (int, error) {
	n := 0
	for {
		chunk, err := br.ReadSlice('\n')
		n += len(chunk)
		if !errors.Is(err, bufio.ErrBufferFull) {
			if err == nil {
				n-- // the line break
			}
			return n, err
		}
	}
}

// line logs one line if the budget and the rate allow, else counts it.
func (l *launcherLog) line(raw []byte, skipped int) {
	raw = bytes.TrimRight(raw, "\r\n")
	if len(raw) == 0 && skipped == 0 {
		return
	}
	if l.logged >= l.lim.TotalBytes || !l.allow() {
		l.dropped++
		l.dropsB += len(raw) + skipped
		return
	}
	l.flushDrops()
	level, text := describe(raw)
	text = untrusted.String(text, l.lim.LineBytes)
	if skipped > 0 {
		text += fmt.Sprintf("… [truncated: %d bytes more]", skipped)
	}
	l.logged += len(text)
	args := []any{"untrusted", true, "launcher_level", level, "text", text}
	switch level {
	case "trace", "debug":
		l.log.Debug("launcher said", args...)
	case "warn", "error":
		// A launcher's error is the host's warning: its words cannot page
		// an operator as a host error would.
		l.log.Warn("launcher said", args...)
	default:
		l.log.Info("launcher said", args...)
	}
}

// allow takes a token from the bucket.
func (l *launcherLog) allow() bool {
	now := l.now()
	l.tokens = min(float64(l.lim.Burst), l.tokens+now.Sub(l.last).Seconds()*l.lim.PerSecond)
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}

func (l *launcherLog) flushDrops() {
	if l.dropped == 0 {
		return
	}
	l.log.Warn("launcher log lines dropped", "untrusted", true, "lines", l.dropped, "bytes", l.dropsB,
		"logged_bytes", l.logged, "limit_bytes", l.lim.TotalBytes, "lines_per_second", l.lim.PerSecond)
	l.dropped, l.dropsB = 0, 0
}

// describe reads a launcher's hclog JSON line (level, message, fields) or
// takes a plain line as it is. The level only picks debug, info or warn.
func describe(raw []byte) (level, text string) {
	var m map[string]any
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return "", string(raw)
	}
	level, _ = m["@level"].(string)
	msg, _ := m["@message"].(string)
	keys := make([]string, 0, len(m))
	for k := range m {
		if !strings.HasPrefix(k, "@") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(msg)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, m[k])
	}
	return strings.ToLower(level), b.String()
}
