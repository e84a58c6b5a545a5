package e2e

import (
	"fmt"
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

// limits { max_file_size } reaches the job as its RLIMIT_FSIZE: a write
// past it fails in the job, while a host without the setting sets none.
func TestOps_MaxFileSizeReachesTheJob(t *testing.T) {
	requireRoot(t)
	h := startSharedHost(t, fmt.Sprintf("limits {\n  max_file_size = \"2MiB\"\n}\nsandbox {\n  uid_base = %d\n  workers = 2\n}\n",
		extraUIDBase(23)))
	for _, c := range []struct {
		name      string
		h         *host
		soft, err string
	}{
		{"Configured", h, fmt.Sprint(2 << 20), `"File too large"`},
		{"Unset", theHost, "-1", `""`}, // RLIM_INFINITY
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
}
