package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// auditEvents reads a state folder's audit log (JSON lines).
func auditEvents(t *testing.T, state string) []map[string]any {
	t.Helper()
	f, err := os.Open(filepath.Join(state, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit log line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// refusedWith reports whether the audit log holds a refusal of target whose
// reason contains reason.
func refusedWith(evs []map[string]any, target, reason string) bool {
	for _, ev := range evs {
		if ev["result"] == "refused" && ev["target"] == target && strings.Contains(ev["reason"].(string), reason) {
			return true
		}
	}
	return false
}

// Issue 3 through the host: a registered launcher changed by one byte is
// refused at start with the job id, a restored one runs again, and a
// revoked publisher's launcher is refused; the audit log records each
// refusal. The host here has its own plugin folder.
func TestTrust_HostRefusesTamperedAndRevokedLaunchers(t *testing.T) {
	requireRoot(t)
	base, workers := extraUIDBase(1), 2
	// No warm runtimes: the R one would rightly outlive the Python
	// launcher's refusal and spoil the leftover counts below.
	h := startExtraHost(t, fmt.Sprintf("sandbox {\n  workers  = %d\n  uid_base = %d\n}\n"+
		"launcher \"PythonLauncher\" {\n  warm = 0\n}\nlauncher \"RLauncher\" {\n  warm = 0\n}\n", workers, base))
	if err := healthyJob(t, h); err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(h.state, "plugins", "launchpad-python") // dev registers its own copy
	orig, err := os.ReadFile(plugin)
	if err != nil {
		t.Fatal(err)
	}
	// Had the script run, its message would reach the caller.
	const mark = "PLUGIN-RAN"
	script := "print('PLUGIN' + '-RAN')"

	// One byte, in place (same inode, owner and mode): only the hash differs.
	tampered := append([]byte(nil), orig...)
	tampered[len(tampered)/2] ^= 0x01
	if err := os.WriteFile(plugin, tampered, 0o755); err != nil {
		t.Fatal(err)
	}
	r := h.exec(t, "--language", "Python", "--script", script)
	mustFail(t, r, "untrusted launcher", "PythonLauncher", "sha256 mismatch")
	if strings.Contains(r.stderr, mark) {
		t.Error("the tampered launcher's job ran its script")
	}
	t.Logf("tampered: %s", lastLine(r.stderr))
	if ents, _ := os.ReadDir(filepath.Join(h.state, "jobs")); len(ents) != 0 {
		t.Errorf("a refused job left %d working folders", len(ents))
	}
	if left := uidRangeProcesses(base, workers); len(left) != 0 {
		t.Errorf("a refused launcher left processes: %v", left)
	}

	// Restored byte for byte: the pinned hash matches again.
	if err := os.WriteFile(plugin, orig, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := healthyJob(t, h); err != nil {
		t.Fatalf("restored launcher refused: %v", err)
	}

	// Revoking the dev publisher refuses its launcher, registered before.
	out, err := exec.Command(h.bin, "trust", "revoke", "dev", "--state", h.state).CombinedOutput()
	if err != nil {
		t.Fatalf("trust revoke dev: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "revoked key") {
		t.Errorf("trust revoke said %q", out)
	}
	r = h.exec(t, "--language", "Python", "--script", script)
	mustFail(t, r, "untrusted launcher", "PythonLauncher", "revoked")
	if strings.Contains(r.stderr, mark) {
		t.Error("a revoked publisher's launcher ran its script")
	}
	t.Logf("revoked: %s", lastLine(r.stderr))

	evs := auditEvents(t, h.state)
	if !refusedWith(evs, "PythonLauncher", "sha256 mismatch") {
		t.Errorf("the audit log lacks the tampered launcher's refusal:\n%v", evs)
	}
	if !refusedWith(evs, "PythonLauncher", "revoked") {
		t.Errorf("the audit log lacks the revoked launcher's refusal:\n%v", evs)
	}
	revoked := false
	for _, ev := range evs {
		if ev["action"] == "trust.revoke" && ev["target"] == "dev" && ev["result"] == "ok" {
			revoked = true
		}
	}
	if !revoked {
		t.Errorf("the audit log lacks the revocation:\n%v", evs)
	}
}
