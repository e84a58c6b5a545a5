package catalog

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
)

// A launcher is hashed once per registration: later starts only check the
// trust state, and a change to its files makes the next start verify again.
func TestCatalog_VerifiesOncePerRegistration(t *testing.T) {
	e := newEnv(t, true)
	var log bytes.Buffer
	e.cat.logger = hclog.New(&hclog.LoggerOptions{Output: &log, Level: hclog.Info})
	verifications := func() int { return strings.Count(log.String(), "launcher verified and sealed") }
	for i := 0; i < 3; i++ {
		l, err := e.cat.Resolve("Python")
		if err != nil {
			t.Fatal(err)
		}
		if code := runExe(t, l.Exe); code != 0 {
			t.Fatalf("start %d: cached launcher exited %d", i, code)
		}
		l.Exe.Close()
	}
	if n := verifications(); n != 1 {
		t.Fatalf("3 starts verified %d times, want once", n)
	}
	// Same bytes, same mode: only the ctime changes, and that is enough.
	if err := os.Chmod(e.bin, 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := e.cat.Resolve("Python")
	if err != nil {
		t.Fatal(err)
	}
	l.Exe.Close()
	if n := verifications(); n != 2 {
		t.Fatalf("a touched binary was not verified again (%d verifications)", n)
	}
}

// Admits follows the trust state quietly: revocation, re-registration and
// a changed file each end it, and none writes an audit record.
func TestCatalog_AdmitsFollowsTrustState(t *testing.T) {
	for name, change := range map[string]func(t *testing.T, e *testEnv){
		"revoked": func(t *testing.T, e *testEnv) {
			if _, err := e.cat.TrustRevoke("acme"); err != nil {
				t.Fatal(err)
			}
		},
		"registered again": func(t *testing.T, e *testEnv) {
			if _, err := e.cat.Register(e.bin); err != nil {
				t.Fatal(err)
			}
		},
		"removed": func(t *testing.T, e *testEnv) {
			if err := e.cat.Remove("PythonLauncher"); err != nil {
				t.Fatal(err)
			}
		},
		"binary touched": func(t *testing.T, e *testEnv) {
			if err := os.Chmod(e.bin, 0o755); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, true)
			l, err := e.cat.Resolve("Python")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Exe.Close()
			if err := e.cat.Admits(l); err != nil {
				t.Fatalf("fresh launcher not admitted: %v", err)
			}
			change(t, e)
			audits := len(e.auditEvents(t))
			if err := e.cat.Admits(l); err == nil {
				t.Fatalf("still admitted after %s", name)
			}
			if n := len(e.auditEvents(t)); n != audits {
				t.Fatalf("Admits wrote %d audit records", n-audits)
			}
		})
	}
}
