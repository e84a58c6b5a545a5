package catalog

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/openlaunchpad/launchpad/sdk/launcher"
	"github.com/openlaunchpad/launchpad/signing"
)

const (
	trueBin      = "/bin/true"
	falseBin     = "/bin/false"
	minisignTool = "/usr/bin/minisign"
)

type testEnv struct {
	base, state, plugins string
	cat                  *Catalog
	pub                  signing.PublicKey
	priv                 signing.PrivateKey
	bin                  string // registered launcher (a copy of /bin/true)
}

// needRoot skips a test that gives files to another user. The others run
// unprivileged: their catalog accepts the test's own uid (Config.OwnerUID).
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: chown to another user")
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func pythonManifest() signing.Manifest {
	return signing.Manifest{Name: "PythonLauncher", Languages: []string{"Python"}, Version: "0.1.0", APIVersion: launcher.APIVersion}
}

// newEnv makes a state and plugin folder under t.TempDir() (its ancestor
// /tmp is root-owned and sticky, which the rules accept), trusts publisher
// "acme" and optionally registers a signed copy of /bin/true for Python.
func newEnv(t *testing.T, register bool) *testEnv {
	t.Helper()
	base := t.TempDir()
	e := &testEnv{base: base, state: filepath.Join(base, "state"), plugins: filepath.Join(base, "plugins")}
	var err error
	e.cat, err = Open(Config{StateDir: e.state, PluginDir: e.plugins, OwnerUID: os.Geteuid()}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	e.pub, e.priv, err = signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.TrustAdd("acme", e.pub); err != nil {
		t.Fatal(err)
	}
	e.bin = filepath.Join(e.plugins, "python-launcher")
	e.install(t, e.bin, trueBin, pythonManifest())
	if register {
		if _, err := e.cat.Register(e.bin); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// install copies src to dst (0755) and signs it with the env's key.
func (e *testEnv) install(t *testing.T, dst, src string, m signing.Manifest) {
	t.Helper()
	if err := os.WriteFile(dst, readFile(t, src), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := signing.SignFile(e.priv, dst, m); err != nil {
		t.Fatal(err)
	}
}

func (e *testEnv) auditEvents(t *testing.T) []AuditEvent {
	t.Helper()
	f, err := os.Open(e.cat.AuditLogPath())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []AuditEvent
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev AuditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		out = append(out, ev)
	}
	return out
}

func (e *testEnv) lastAudit(t *testing.T) AuditEvent {
	t.Helper()
	evs := e.auditEvents(t)
	if len(evs) == 0 {
		t.Fatal("audit log empty")
	}
	return evs[len(evs)-1]
}

// runExe executes the verified memfd the way the host will and returns its
// exit code.
func runExe(t *testing.T, exe *os.File) int {
	t.Helper()
	cmd := exec.Command(fmt.Sprintf("/proc/self/fd/%d", exe.Fd()))
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("exec memfd: %v", err)
	}
	return 0
}

func TestCatalog_ResolveReturnsSealedVerifiedBytes(t *testing.T) {
	e := newEnv(t, true)
	l, err := e.cat.Resolve("pYtHoN")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Exe.Close()
	want := readFile(t, trueBin)
	if l.Name != "PythonLauncher" || l.Version != "0.1.0" || l.Publisher != "acme" || l.APIVersion != 1 ||
		l.SHA256 != sha(want) || strings.Join(l.Languages, ",") != "Python" {
		t.Fatalf("launcher: %+v", l)
	}
	var got bytes.Buffer
	if _, err := got.ReadFrom(l.Exe); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatal("memfd does not hold the verified bytes")
	}
	seals, err := unix.FcntlInt(l.Exe.Fd(), unix.F_GET_SEALS, 0)
	if err != nil {
		t.Fatal(err)
	}
	const all = unix.F_SEAL_WRITE | unix.F_SEAL_GROW | unix.F_SEAL_SHRINK | unix.F_SEAL_SEAL
	if seals&all != all {
		t.Fatalf("seals %#x, want %#x", seals, all)
	}
	if _, err := l.Exe.WriteAt([]byte{0}, 0); err == nil {
		t.Fatal("sealed memfd accepted a write")
	}
	if _, err := l.Exe.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	if code := runExe(t, l.Exe); code != 0 {
		t.Fatalf("memfd of /bin/true exited %d", code)
	}
}

// Each refusal at start, for a launcher that was registered while valid.
func TestCatalog_RefusesAtStart(t *testing.T) {
	tests := map[string]struct {
		language string
		mutate   func(t *testing.T, e *testEnv)
		want     error
	}{
		"unsigned": {"Python", func(t *testing.T, e *testEnv) {
			if err := os.Remove(e.bin + signing.SignatureSuffix); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsigned},
		"malformed signature": {"Python", func(t *testing.T, e *testEnv) {
			if err := os.WriteFile(e.bin+signing.SignatureSuffix, []byte("untrusted comment: x\nnot base64\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, ErrBadSignature},
		"signature replayed from another binary": {"Python", func(t *testing.T, e *testEnv) {
			other := filepath.Join(e.base, "other")
			e.install(t, other, falseBin, pythonManifest())
			// Same key, same manifest fields, but over other bytes; the
			// trusted comment's sha256 differs, so only the signature check
			// can catch it once the pin matches.
			if err := os.WriteFile(e.bin+signing.SignatureSuffix, readFile(t, other+signing.SignatureSuffix), 0o644); err != nil {
				t.Fatal(err)
			}
		}, ErrBadSignature},
		"untrusted key": {"Python", func(t *testing.T, e *testEnv) {
			_, stranger, err := signing.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := signing.SignFile(stranger, e.bin, pythonManifest()); err != nil {
				t.Fatal(err)
			}
		}, ErrUntrustedKey},
		"revoked publisher registered before": {"Python", func(t *testing.T, e *testEnv) {
			if _, err := e.cat.TrustRevoke("acme"); err != nil {
				t.Fatal(err)
			}
		}, ErrRevokedKey},
		"binary changed by one byte": {"Python", func(t *testing.T, e *testEnv) {
			b := readFile(t, e.bin)
			b[len(b)/2] ^= 0x01
			if err := os.WriteFile(e.bin, b, 0o755); err != nil {
				t.Fatal(err)
			}
		}, ErrHashMismatch},
		"language not in re-signed manifest": {"Python", func(t *testing.T, e *testEnv) {
			m := pythonManifest()
			m.Languages = []string{"R"}
			if _, err := signing.SignFile(e.priv, e.bin, m); err != nil {
				t.Fatal(err)
			}
		}, ErrLanguageNotInManifest},
		"manifest renamed the launcher": {"Python", func(t *testing.T, e *testEnv) {
			m := pythonManifest()
			m.Name = "Impostor"
			if _, err := signing.SignFile(e.priv, e.bin, m); err != nil {
				t.Fatal(err)
			}
		}, ErrNotRegistered},
		"symlink escaping the plugin dir": {"Python", func(t *testing.T, e *testEnv) {
			outside := filepath.Join(e.base, "outside")
			e.install(t, outside, trueBin, pythonManifest())
			if err := os.Remove(e.bin); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(outside, e.bin); err != nil {
				t.Fatal(err)
			}
		}, ErrOutsidePluginDir},
		"world-writable binary": {"Python", func(t *testing.T, e *testEnv) {
			if err := os.Chmod(e.bin, 0o757); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsafePermissions},
		"group-writable plugin folder": {"Python", func(t *testing.T, e *testEnv) {
			if err := os.Chmod(e.plugins, 0o775); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsafePermissions},
		"sticky world-writable plugin folder": {"Python", func(t *testing.T, e *testEnv) {
			if err := os.Chmod(e.plugins, 0o777|os.ModeSticky); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsafePermissions},
		"world-writable ancestor folder": {"Python", func(t *testing.T, e *testEnv) {
			if err := os.Chmod(e.base, 0o777); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsafePermissions},
		"binary owned by another user": {"Python", func(t *testing.T, e *testEnv) {
			needRoot(t)
			if err := os.Chown(e.bin, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsafePermissions},
		"binary missing": {"Python", func(t *testing.T, e *testEnv) {
			if err := os.Remove(e.bin); err != nil {
				t.Fatal(err)
			}
		}, ErrMissingBinary},
		"no launcher for language": {"R", func(t *testing.T, e *testEnv) {}, ErrNoLauncher},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, true)
			if l, err := e.cat.Resolve(tc.language); err != nil {
				if tc.want != ErrNoLauncher {
					t.Fatalf("before mutation: %v", err)
				}
			} else {
				l.Exe.Close()
			}
			tc.mutate(t, e)
			l, err := e.cat.Resolve(tc.language)
			if err == nil {
				l.Exe.Close()
				t.Fatalf("resolved after %s", name)
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrUntrustedPlugin) {
				t.Fatalf("got %v, want %v and ErrUntrustedPlugin", err, tc.want)
			}
			var r *RefusalError
			if !errors.As(err, &r) || r.Language != tc.language {
				t.Fatalf("not a RefusalError for %s: %#v", tc.language, err)
			}
			if tc.want != ErrNoLauncher && (r.Launcher != "PythonLauncher" || !strings.Contains(err.Error(), "PythonLauncher")) {
				t.Fatalf("refusal does not name the launcher: %v", err)
			}
			ev := e.lastAudit(t)
			if ev.Action != "launcher.start" || ev.Result != ResultRefused || ev.Reason != r.Err.Error() ||
				ev.Details["language"] != tc.language || ev.Time == "" {
				t.Fatalf("audit: %+v", ev)
			}
		})
	}
}

func TestCatalog_RegisterRefuses(t *testing.T) {
	tests := map[string]struct {
		setup func(t *testing.T, e *testEnv) string
		want  error
	}{
		"unsigned": {func(t *testing.T, e *testEnv) string {
			p := filepath.Join(e.plugins, "unsigned")
			if err := os.WriteFile(p, readFile(t, trueBin), 0o755); err != nil {
				t.Fatal(err)
			}
			return p
		}, ErrUnsigned},
		"untrusted key": {func(t *testing.T, e *testEnv) string {
			_, stranger, err := signing.GenerateKey()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := signing.SignFile(stranger, e.bin, pythonManifest()); err != nil {
				t.Fatal(err)
			}
			return e.bin
		}, ErrUntrustedKey},
		"revoked key": {func(t *testing.T, e *testEnv) string {
			if _, err := e.cat.TrustRevoke("acme"); err != nil {
				t.Fatal(err)
			}
			return e.bin
		}, ErrRevokedKey},
		"symlink in plugin dir pointing outside": {func(t *testing.T, e *testEnv) string {
			outside := filepath.Join(e.base, "outside")
			e.install(t, outside, trueBin, pythonManifest())
			link := filepath.Join(e.plugins, "link")
			if err := os.Symlink(outside, link); err != nil {
				t.Fatal(err)
			}
			return link
		}, ErrOutsidePluginDir},
		"binary outside plugin dir": {func(t *testing.T, e *testEnv) string {
			outside := filepath.Join(e.base, "outside")
			e.install(t, outside, trueBin, pythonManifest())
			return outside
		}, ErrOutsidePluginDir},
		"world-writable subfolder": {func(t *testing.T, e *testEnv) string {
			sub := filepath.Join(e.plugins, "sub")
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(sub, 0o777); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(sub, "l")
			e.install(t, p, trueBin, pythonManifest())
			return p
		}, ErrUnsafePermissions},
		"unsupported api version": {func(t *testing.T, e *testEnv) string {
			m := pythonManifest()
			m.APIVersion = launcher.APIVersion + 1
			if _, err := signing.SignFile(e.priv, e.bin, m); err != nil {
				t.Fatal(err)
			}
			return e.bin
		}, ErrUnsupportedAPI},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, false)
			p := tc.setup(t, e)
			_, err := e.cat.Register(p)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrUntrustedPlugin) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if entries, err := e.cat.List(); err != nil || len(entries) != 0 {
				t.Fatalf("catalog after refusal: %v %v", entries, err)
			}
			if ev := e.lastAudit(t); ev.Action != "plugin.register" || ev.Result != ResultRefused || ev.Target != p {
				t.Fatalf("audit: %+v", ev)
			}
		})
	}
}

// The race a path-based re-open would lose: verify, swap the file, start.
func TestCatalog_SwappedAfterVerificationRunsVerifiedBytes(t *testing.T) {
	for _, how := range []string{"overwrite in place", "rename over"} {
		t.Run(how, func(t *testing.T) {
			e := newEnv(t, true)
			l, err := e.cat.Resolve("Python")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Exe.Close()
			falseBytes := readFile(t, falseBin)
			switch how {
			case "overwrite in place":
				if err := os.WriteFile(e.bin, falseBytes, 0o755); err != nil {
					t.Fatal(err)
				}
			case "rename over":
				tmp := filepath.Join(e.plugins, "swap")
				if err := os.WriteFile(tmp, falseBytes, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(tmp, e.bin); err != nil {
					t.Fatal(err)
				}
			}
			// The path now runs /bin/false ...
			if err := exec.Command(e.bin).Run(); err == nil {
				t.Fatal("test setup: swapped path still exits 0")
			}
			// ... but the verified memfd still runs /bin/true.
			if code := runExe(t, l.Exe); code != 0 {
				t.Fatalf("memfd ran the swapped bytes (exit %d)", code)
			}
			if _, err := e.cat.Resolve("Python"); !errors.Is(err, ErrHashMismatch) {
				t.Fatalf("next start: got %v, want ErrHashMismatch", err)
			}
		})
	}
}

func TestCatalog_RegisterPinsAndReplaces(t *testing.T) {
	e := newEnv(t, false)
	entry, err := e.cat.Register(e.bin)
	if err != nil {
		t.Fatal(err)
	}
	if entry.SHA256 != sha(readFile(t, trueBin)) || entry.Publisher != "acme" || entry.KeyID != e.pub.ID() || entry.Path != e.bin {
		t.Fatalf("entry: %+v", entry)
	}
	// A second launcher may not take Python.
	other := filepath.Join(e.plugins, "other")
	m := pythonManifest()
	m.Name = "OtherPython"
	e.install(t, other, falseBin, m)
	if _, err := e.cat.Register(other); !errors.Is(err, ErrLanguageTaken) {
		t.Fatalf("language clash: got %v", err)
	}
	// Re-registering the same name re-pins it.
	e.install(t, e.bin, falseBin, pythonManifest())
	entry2, err := e.cat.Register(e.bin)
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.cat.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].SHA256 != sha(readFile(t, falseBin)) || entry2.SHA256 != list[0].SHA256 {
		t.Fatalf("after re-register: %+v", list)
	}
	if err := e.cat.Remove("PythonLauncher"); err != nil {
		t.Fatal(err)
	}
	if err := e.cat.Remove("PythonLauncher"); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("second remove: got %v", err)
	}
	if _, err := e.cat.Resolve("Python"); !errors.Is(err, ErrNoLauncher) {
		t.Fatalf("after remove: got %v", err)
	}
}

func TestCatalog_RevocationIsKeptAndFinal(t *testing.T) {
	e := newEnv(t, false)
	if _, err := e.cat.TrustRevoke("acme"); err != nil {
		t.Fatal(err)
	}
	pubs, err := e.cat.Publishers()
	if err != nil {
		t.Fatal(err)
	}
	if len(pubs) != 1 || !pubs[0].Revoked || pubs[0].RevokedAt == nil || pubs[0].KeyID != e.pub.ID() {
		t.Fatalf("trust store after revoke: %+v", pubs)
	}
	if _, err := e.cat.TrustAdd("acme", e.pub); !errors.Is(err, ErrPublisherExists) {
		t.Fatalf("re-trusting a revoked key: got %v", err)
	}
	if _, err := e.cat.TrustAdd("other-name", e.pub); !errors.Is(err, ErrPublisherExists) {
		t.Fatalf("re-trusting a revoked key under another name: got %v", err)
	}
	if _, err := e.cat.TrustRevoke("acme"); !errors.Is(err, ErrUnknownPublisher) {
		t.Fatalf("revoking twice: got %v", err)
	}
	// Key rotation: a new key for the same publisher works.
	newPub, _, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.TrustAdd("acme", newPub); err != nil {
		t.Fatal(err)
	}
}

func TestCatalog_AuditRecordsEveryAdminActionAndRefusal(t *testing.T) {
	e := newEnv(t, true) // trust.add, plugin.register
	if _, err := e.cat.Resolve("R"); err == nil {
		t.Fatal("resolved R")
	}
	if err := e.cat.Remove("PythonLauncher"); err != nil {
		t.Fatal(err)
	}
	if err := e.cat.Remove("Nope"); err == nil {
		t.Fatal("removed unknown launcher")
	}
	if _, err := e.cat.TrustRevoke("acme"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range e.auditEvents(t) {
		if ev.UID != os.Getuid() || ev.Time == "" {
			t.Fatalf("event lacks actor or time: %+v", ev)
		}
		got = append(got, ev.Action+":"+ev.Target+":"+ev.Result)
	}
	want := []string{
		"trust.add:acme:ok", "plugin.register:PythonLauncher:ok", "launcher.start::refused",
		"plugin.remove:PythonLauncher:ok", "plugin.remove:Nope:refused", "trust.revoke:acme:ok",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("audit\n got %v\nwant %v", got, want)
	}
	fi, err := os.Stat(e.cat.AuditLogPath())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("audit log mode %v", fi.Mode().Perm())
	}
}

func TestCatalog_RefusesUnsafeStateFiles(t *testing.T) {
	e := newEnv(t, true)
	if err := os.Chmod(filepath.Join(e.state, CatalogFile), 0o666); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.Resolve("Python"); !errors.Is(err, ErrUnsafePermissions) {
		t.Fatalf("writable catalog file: got %v", err)
	}
	if _, err := Open(Config{StateDir: "relative"}, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("relative state dir: got %v", err)
	}
}

// A launcher signed by the real minisign tool (key from `minisign -G -W`,
// manifest via -t) registers and starts.
func TestCatalog_AcceptsMinisignToolSignature(t *testing.T) {
	if _, err := os.Stat(minisignTool); err != nil {
		t.Skipf("minisign tool not installed: %v", err)
	}
	e := newEnv(t, false)
	pubPath, keyPath := filepath.Join(e.base, "tool.pub"), filepath.Join(e.base, "tool.key")
	mustRun(t, minisignTool, "-G", "-W", "-p", pubPath, "-s", keyPath)
	pub, err := signing.ReadPublicKeyFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cat.TrustAdd("toolsmith", pub); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(e.plugins, "r-launcher")
	if err := os.WriteFile(bin, readFile(t, trueBin), 0o755); err != nil {
		t.Fatal(err)
	}
	m := signing.Manifest{Name: "RLauncher", Languages: []string{"R"}, Version: "2.0", APIVersion: 1, SHA256: sha(readFile(t, trueBin))}
	mustRun(t, minisignTool, "-S", "-s", keyPath, "-t", m.String(), "-m", bin)
	if _, err := e.cat.Register(bin); err != nil {
		t.Fatal(err)
	}
	l, err := e.cat.Resolve("r")
	if err != nil {
		t.Fatal(err)
	}
	l.Exe.Close()
	if l.Publisher != "toolsmith" || l.Name != "RLauncher" {
		t.Fatalf("launcher %+v", l)
	}
	// A valid minisign signature whose manifest lies about the hash.
	m.SHA256 = strings.Repeat("0", 64)
	mustRun(t, minisignTool, "-S", "-s", keyPath, "-t", m.String(), "-m", bin)
	if _, err := e.cat.Register(bin); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("lying manifest: got %v", err)
	}
}

func TestDevBootstrap_IdempotentAndRepins(t *testing.T) {
	base := t.TempDir()
	build := filepath.Join(base, "build")
	if err := os.Mkdir(build, 0o755); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(build, "python-launcher")
	if err := os.WriteFile(src, readFile(t, trueBin), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := Config{StateDir: filepath.Join(base, "state"), OwnerUID: os.Geteuid()}
	bins := []DevBinary{{Path: src, Name: "PythonLauncher", Version: "0.1.0", Languages: []string{"Python"}}}
	if err := DevBootstrap(cfg, bins, hclog.NewNullLogger()); err != nil {
		t.Fatal(err)
	}
	c, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(cfg.StateDir, "dev.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("dev key: %v %v", fi, err)
	}
	nAudit := len(readLines(t, c.AuditLogPath()))
	sigBefore := readFile(t, filepath.Join(cfg.StateDir, "plugins", "python-launcher.minisig"))
	if err := DevBootstrap(cfg, bins, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(readLines(t, c.AuditLogPath())); n != nAudit {
		t.Fatalf("second bootstrap changed state: %d audit lines, was %d", n, nAudit)
	}
	if !bytes.Equal(sigBefore, readFile(t, filepath.Join(cfg.StateDir, "plugins", "python-launcher.minisig"))) {
		t.Fatal("second bootstrap re-signed an unchanged binary")
	}
	// The dev signature checks out with the minisign tool too.
	if _, err := os.Stat(minisignTool); err == nil {
		mustRun(t, minisignTool, "-V", "-p", filepath.Join(cfg.StateDir, "dev.pub"), "-m",
			filepath.Join(cfg.StateDir, "plugins", "python-launcher"))
	}
	// Rebuilt launcher: re-signed and re-pinned.
	if err := os.WriteFile(src, readFile(t, falseBin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := DevBootstrap(cfg, bins, nil); err != nil {
		t.Fatal(err)
	}
	l, err := c.Resolve("Python")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Exe.Close()
	if l.SHA256 != sha(readFile(t, falseBin)) || l.Publisher != DevPublisher {
		t.Fatalf("after rebuild: %+v", l)
	}
	if code := runExe(t, l.Exe); code != 1 {
		t.Fatalf("rebuilt launcher exit %d, want 1", code)
	}
	pubs, err := c.Publishers()
	if err != nil || len(pubs) != 1 || pubs[0].Name != DevPublisher {
		t.Fatalf("trust store: %+v %v", pubs, err)
	}
}

func readLines(t *testing.T, p string) []string {
	t.Helper()
	return strings.Split(strings.TrimSpace(string(readFile(t, p))), "\n")
}

func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader("")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// A state file the host cannot read (here: corrupt JSON with safe modes) is
// a host fault: neither called an untrusted launcher nor audited as a refusal.
func TestCatalog_UnreadableStateIsAHostFaultNotARefusal(t *testing.T) {
	e := newEnv(t, true)
	if err := os.WriteFile(filepath.Join(e.state, TrustFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := e.cat.Resolve("Python")
	if !errors.Is(err, ErrHostFault) || errors.Is(err, ErrUntrustedPlugin) {
		t.Fatalf("corrupt trust store: got %v, want a host fault that is not a refusal", err)
	}
	if ev := e.lastAudit(t); ev.Result != ResultError || ev.Action != "launcher.start" {
		t.Errorf("audit event %+v, want result %q", ev, ResultError)
	}
}
