package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/client"
	"github.com/openlaunchpad/launchpad/internal/testhost"
)

// host is a running `launchpad dev` started from freshly built binaries.
type host struct {
	dir   string // holds bin/ and state/
	bin   string // the launchpad binary
	state string
	sock  string
	proc  *testhost.Host // the running process; nil before launch
	// logBuf is the running process's log.
	logBuf *syncBuffer
	// uidBase is the host's worker range start (0: the default range).
	uidBase int
}

// syncBuffer is a host's log; tests read and await it while the host writes.
type syncBuffer = testhost.Log

// cgroupParent is the cgroup parent the host's job groups live under.
func (h *host) cgroupParent() string { return testhost.CgroupParent(h.uidBase) }

var theHost *host

// isolation is what the e2e host runs with: full as root (CI), else none.
func isolation() string {
	if os.Geteuid() == 0 {
		return "full"
	}
	return "none"
}

func TestMain(m *testing.M) {
	h, err := startHost()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start host:", err)
		if h != nil {
			h.stop()
		}
		os.Exit(1)
	}
	theHost = h
	code := m.Run()
	if err := h.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stop host:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func repoRoot() string {
	wd, _ := os.Getwd()
	return filepath.Dir(wd)
}

// startHost builds the binaries into a private folder (the catalog wants a
// plugin folder no one else can write) and starts a dev host on it.
func startHost() (*host, error) {
	// Not under /tmp: every job gets a private /tmp that would hide it.
	dir, err := os.MkdirTemp("/var/tmp", "launchpad-e2e-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o711); err != nil {
		return nil, err
	}
	h := &host{dir: dir, bin: filepath.Join(dir, "bin", "launchpad"), state: filepath.Join(dir, "state")}
	h.sock = filepath.Join(h.state, "launchpad.sock")
	builds := [][2]string{
		{h.bin, "./cmd/launchpad"},
		{filepath.Join(dir, "bin", "launchpad-host"), "./cmd/launchpad-host"},
		{filepath.Join(dir, "bin", "launchpad-sandbox-init"), "./cmd/launchpad-sandbox-init"},
		{filepath.Join(dir, "bin", "plugins", "launchpad-python"), "./plugins/python"},
		{filepath.Join(dir, "bin", "plugins", "launchpad-r"), "./plugins/r"},
	}
	for _, b := range builds {
		cmd := exec.Command("go", "build", "-o", b[0], b[1])
		cmd.Dir = repoRoot()
		if b[1] != "./cmd/launchpad-host" {
			// As the Makefile builds them: static, without cgo.
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			return h, fmt.Errorf("go build %s: %v\n%s", b[1], err, out)
		}
	}
	// A worker range (and cgroup parent) of its own: a host sweeps its range
	// at start, and other packages' hosts run at the same time.
	conf := filepath.Join(dir, "host.hcl")
	h.uidBase = 1_892_000_000 + (os.Getpid()%9000)*100
	// The TDS fakes of the SQL Server tests listen on loopback.
	hcl := fmt.Sprintf("sandbox {\n  uid_base = %d\n}\ndata_source {\n  allow_hosts = [\"127.0.0.1\"]\n}\n", h.uidBase)
	if err := os.WriteFile(conf, []byte(hcl), 0o600); err != nil {
		return h, err
	}
	args := []string{"dev", "--state", h.state, "--isolation", isolation(), "--log-level", "debug", "--config", conf}
	return h, h.run(args)
}

// run starts the launchpad binary with args as h and waits until it serves.
func (h *host) run(args []string) error {
	cfg := testhost.Config{Bin: h.bin, Args: args, Sock: h.sock}
	if h.uidBase != 0 {
		// The default parent may be another host's: check only our own.
		cfg.CgroupParent = h.cgroupParent()
	}
	p, err := testhost.Start(cfg)
	if err != nil {
		return fmt.Errorf("host %s: %w", h.state, err)
	}
	h.proc, h.logBuf = p, p.Log
	return nil
}

// stop ends the host with SIGTERM (it must shut down cleanly and leave
// neither its socket nor job cgroups) and removes everything it made.
func (h *host) stop() error {
	var errs []error
	if h.proc != nil {
		errs = append(errs, h.proc.Stop(45*time.Second))
	}
	if os.Getenv("LAUNCHPAD_E2E_KEEP") == "" {
		errs = append(errs, os.RemoveAll(h.dir))
	}
	return errors.Join(errs...)
}

func tail(s string, n int) string { return testhost.Tail(s, n) }

// result is one `launchpad exec` run.
type result struct {
	code   int
	stdout string
	stderr string
}

// execArgs runs `launchpad exec` on the test host.
func execArgs(t *testing.T, args ...string) result {
	t.Helper()
	return execArgsAt(t, "unix://"+theHost.sock, args...)
}

// startMode, from LAUNCHPAD_TEST_START, is the start path ("cold" or
// "warm") every exec on the main host asks for unless it names one: `make
// test` runs the hostile tests once each way. (Extra hosts with one or two
// workers keep no warm runtime of every launcher; their jobs start as
// their host decides.)
var startMode = os.Getenv("LAUNCHPAD_TEST_START")

// execArgsAt runs `launchpad exec` against address. It is safe to call from
// other goroutines: it never stops the test itself.
func execArgsAt(t *testing.T, address string, args ...string) result {
	t.Helper()
	full := append([]string{"exec", "--address", address}, args...)
	if startMode != "" && address == "unix://"+theHost.sock && !slices.Contains(args, "--start") {
		full = append(full, "--start", startMode)
	}
	cmd := exec.Command(theHost.bin, full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			r.code, r.stderr = -1, err.Error()
			return r
		}
		r.code = ee.ExitCode()
	}
	return r
}

// jsonResult is exec's --format json document.
type jsonResult struct{ client.Document }

// decodeJSON reads exec's --format json output.
func decodeJSON(stdout string) (jsonResult, error) {
	d, err := client.DecodeDocument(strings.NewReader(stdout))
	return jsonResult{d}, err
}

// runJSON runs a job that must succeed and decodes its JSON result.
func runJSON(t *testing.T, args ...string) (jsonResult, result) {
	t.Helper()
	jr, r := runJSONNoFatal(t, args...)
	if r.code != 0 {
		t.Fatalf("exec failed (exit %d):\nstderr: %s\nstdout: %s", r.code, r.stderr, r.stdout)
	}
	return jr, r
}

// runJSONNoFatal is runJSON for other goroutines: a failure shows in the
// returned exit code (-2 for undecodable output).
func runJSONNoFatal(t *testing.T, args ...string) (jsonResult, result) {
	r := execArgs(t, append(args, "--format", "json")...)
	if r.code != 0 {
		return jsonResult{}, r
	}
	jr, err := decodeJSON(r.stdout)
	if err != nil {
		r.code, r.stderr = -2, fmt.Sprintf("%v\n%s", err, r.stdout)
	}
	return jr, r
}

func (j jsonResult) cell(t *testing.T, row int, col string) string {
	t.Helper()
	for i, c := range j.Columns {
		if c.Name == col {
			if row >= len(j.Rows) {
				t.Fatalf("row %d of %d", row, len(j.Rows))
			}
			return string(j.Rows[row][i])
		}
	}
	t.Fatalf("no column %q in %+v", col, j.Columns)
	return ""
}

func (j jsonResult) colType(t *testing.T, col string) string {
	t.Helper()
	for _, c := range j.Columns {
		if c.Name == col {
			return c.Type
		}
	}
	t.Fatalf("no column %q in %+v", col, j.Columns)
	return ""
}

// hostRSS reports the host process's peak resident memory (VmHWM) in bytes.
func hostPeakRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", theHost.pid()))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// extraUIDBase is a worker range of up to 50 uids for extra host number
// slot (0..39) of this test process: away from the main host's range and
// from other test processes'. Slots: 0 ops, 1 trust, 2 round 2, 3 limits,
// 4 stalled caller, 5 and 6 memory, 7 request, 8 chunks, 9 configured limits,
// 10-12 files, 13 and 17 claims, signals and config, 14-15 kernel, 16 integer
// types, 18 ops watch, 19 the installed package; 20-29 governance (#13),
// 30-34 warm starts and more (30 revocation, 31 two hundred jobs, 32
// the Python client over TLS), 35-39 free.
func extraUIDBase(slot int) int {
	return 1_893_000_000 + (os.Getpid()%9000)*2000 + slot*50
}

// startSharedHost starts one more `launchpad dev` host on the main host's
// binaries (one build, two state folders), with the given configuration
// text; stopped and removed when the test ends.
func startSharedHost(t *testing.T, hcl string) *host {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "lps-")
	if err != nil {
		t.Fatal(err)
	}
	h := &host{dir: dir, bin: theHost.bin, state: filepath.Join(dir, "state")}
	return h.start(t, hcl)
}

// startExtraHost starts one more `launchpad dev` host, with its own copy of
// the built binaries (so a test may tamper with its plugin folder) and the
// given configuration file text (limits, sandbox). Its uid range must not
// overlap the main host's: give sandbox { uid_base = ... } in hcl. The host
// is stopped and its folder removed when the test ends.
func startExtraHost(t *testing.T, hcl string) *host {
	t.Helper()
	// A short name: go-plugin's socket path under state/jobs/<id>/sock must
	// fit in sun_path's 108 bytes.
	dir, err := os.MkdirTemp("/var/tmp", "lpx-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	h := &host{dir: dir, bin: filepath.Join(dir, "bin", "launchpad"), state: filepath.Join(dir, "state")}
	for _, name := range builtBinaries {
		if err := copyFile(filepath.Join(theHost.dir, "bin", name), filepath.Join(dir, "bin", name)); err != nil {
			t.Fatal(err)
		}
	}
	return h.start(t, hcl)
}

// start runs `launchpad dev` for an extra host whose dir, bin and state are
// set, and registers its stop with the test.
func (h *host) start(t *testing.T, hcl string) *host {
	t.Helper()
	dir := h.dir
	h.sock = filepath.Join(h.state, "launchpad.sock")
	t.Cleanup(func() {
		if t.Failed() && h.logBuf != nil {
			t.Logf("extra host log:\n%s", tail(h.logBuf.String(), 6000))
		}
		if err := h.stop(); err != nil {
			t.Errorf("stop extra host: %v", err)
		}
	})
	if err := os.Chmod(dir, 0o711); err != nil {
		t.Fatal(err)
	}
	args := []string{"dev", "--state", h.state, "--isolation", isolation(), "--log-level", "debug"}
	if hcl != "" {
		h.uidBase = configUIDBase(hcl)
		cfg := filepath.Join(dir, "launchpad.hcl")
		if err := os.WriteFile(cfg, []byte(hcl), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", cfg)
	}
	h.launch(t, args)
	return h
}

// configUIDBase is the uid_base a host configuration sets (0: none).
func configUIDBase(hcl string) int {
	m := regexp.MustCompile(`(?m)^\s*uid_base\s*=\s*(\d+)`).FindStringSubmatch(hcl)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1]) // digits only, by the pattern
	return n
}

// launch runs the launchpad binary with args as h and waits until it serves.
func (h *host) launch(t *testing.T, args []string) {
	t.Helper()
	if err := h.run(args); err != nil {
		t.Fatal(err)
	}
}

// builtBinaries are what startHost builds under its bin/, for hosts of
// their own to copy.
var builtBinaries = []string{"launchpad", "launchpad-host", "launchpad-sandbox-init", "plugins/launchpad-python", "plugins/launchpad-r"}

// copyFile copies a built binary, creating root-owned 0755 folders and a
// 0755 file as the catalog demands.
func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}

// exec runs `launchpad exec` against this host.
func (h *host) exec(t *testing.T, args ...string) result {
	t.Helper()
	return execArgsAt(t, "unix://"+h.sock, args...)
}

// pid is the host process's pid.
func (h *host) pid() int { return h.proc.Pid() }
