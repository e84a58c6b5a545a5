package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fileSizeScript reports the job's RLIMIT_FSIZE and what writing 3 MiB
// into its /tmp does (Python ignores SIGXFSZ, so a write past the limit
// raises "File too large").
const fileSizeScript = `import resource
import pandas as pd
soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
err = ''
try:
    with open('/tmp/big.bin', 'wb') as f:
        f.write(b'x' * (3 << 20))
except OSError as e:
    err = e.strerror
OutputDataSet = pd.DataFrame({'soft': [soft], 'err': [err]})`

// limits { max_file_size, cpu_shares } reach the job: its RLIMIT_FSIZE
// (a write past it fails in the job, while a host without the setting sets
// none) and its cgroup's CPU weight.
func TestOps_ConfiguredLimitsReachTheJob(t *testing.T) {
	requireRoot(t)
	uidBase := extraUIDBase(9)
	h := startSharedHost(t, fmt.Sprintf("limits {\n  max_file_size = \"2MiB\"\n  cpu_shares = 512\n}\n"+
		"sandbox {\n  uid_base = %d\n  workers = 2\n}\n", uidBase))
	for _, c := range []struct {
		name      string
		h         *host
		soft, err string
	}{
		{"MaxFileSize", h, fmt.Sprint(2 << 20), `"File too large"`},
		{"MaxFileSizeUnset", theHost, "-1", `""`}, // RLIM_INFINITY
	} {
		t.Run(c.name, func(t *testing.T) {
			r := c.h.exec(t, "--language", "Python", "--script", fileSizeScript, "--format", "json")
			if r.code != 0 {
				t.Fatalf("exit %d\nstderr: %s", r.code, tail(r.stderr, 3000))
			}
			jr, err := decodeJSON(r.stdout)
			if err != nil {
				t.Fatal(err)
			}
			if soft, e := jr.cell(t, 0, "soft"), jr.cell(t, 0, "err"); soft != c.soft || e != c.err {
				t.Errorf("RLIMIT_FSIZE %s, write error %s; want %s, %s", soft, e, c.soft, c.err)
			}
		})
	}
	t.Run("CPUShares", func(t *testing.T) { cpuSharesReachTheJob(t, h, uidBase) })
}

// cpuSharesReachTheJob reads a running job's CPU weight from its cgroup
// (v1 cpu.shares, or v2 cpu.weight = 1 + (512-2)*9999/262142), then
// cancels it.
func cpuSharesReachTheJob(t *testing.T, h *host, uidBase int) {
	const id = "lim-shares"
	done := make(chan result, 1)
	go func() {
		// Cold: a warm job's cgroup is named after its prepared sandbox.
		done <- h.exec(t, "--language", "Python", "--job-id", id, "--start", "cold", "--script", "import time\ntime.sleep(120)")
	}()
	parent := fmt.Sprintf("launchpad-%d/pool-default/job-%s", uidBase, id)
	files := map[string]string{
		filepath.Join("/sys/fs/cgroup/cpu", parent, "cpu.shares"): "512",
		filepath.Join("/sys/fs/cgroup", parent, "cpu.weight"):     "20",
	}
	waitJobState(t, h, id, "running") // its cgroup exists from before the start
	got, file := "", ""
	for f := range files {
		if b, err := os.ReadFile(f); err == nil {
			got, file = strings.TrimSpace(string(b)), f
		}
	}
	if out, errs, err := h.admin(t, "cancel", id); err != nil {
		t.Errorf("cancel: %v\n%s%s", err, out, errs)
	}
	if r := <-done; r.code != 1 || !strings.Contains(r.stderr, "cancel") {
		t.Errorf("sleeping job: exit %d, stderr %s; want cancelled", r.code, tail(r.stderr, 2000))
	}
	if got == "" {
		t.Fatalf("no CPU weight file of job %s appeared (looked for %v)", id, files)
	}
	if got != files[file] {
		t.Errorf("%s = %s, want %s", file, got, files[file])
	}
}
