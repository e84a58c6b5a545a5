package clientcmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/host/api/proto"
)

// poolJSON is one pool in `jobs --pools --format json`.
type poolJSON struct {
	Name             string  `json:"name"`
	Running          int32   `json:"running"`
	Queued           int32   `json:"queued"`
	MaxJobs          int32   `json:"max_jobs"`
	MemoryBytes      int64   `json:"memory_bytes"`
	MemoryLimitBytes int64   `json:"memory_limit_bytes"`
	CPUSeconds       float64 `json:"cpu_seconds"`
	MaxCPUPercent    int32   `json:"max_cpu_percent"`
	CPUWeight        int32   `json:"cpu_weight"`
}

func writePoolsJSON(w io.Writer, pools []*proto.PoolInfo) error {
	out := make([]poolJSON, 0, len(pools))
	for _, p := range pools {
		out = append(out, poolJSON{Name: p.GetName(), Running: p.GetRunning(), Queued: p.GetQueued(),
			MaxJobs: p.GetMaxJobs(), MemoryBytes: p.GetMemoryBytes(), MemoryLimitBytes: p.GetMemoryLimitBytes(),
			CPUSeconds: p.GetCpuSeconds(), MaxCPUPercent: p.GetMaxCpuPercent(), CPUWeight: p.GetCpuWeight()})
	}
	return cli.WriteJSON(w, out)
}

// writePoolsTable writes one line per resource pool: its jobs, memory in
// use of its limit, CPU used and its CPU settings.
func writePoolsTable(w io.Writer, pools []*proto.PoolInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "POOL\tRUNNING\tQUEUED\tMAX JOBS\tMEMORY\tCPU\tMAX CPU\tCPU WEIGHT")
	for _, p := range pools {
		maxJobs, mem, cpu := "-", "-", "-"
		if p.GetMaxJobs() > 0 {
			maxJobs = strconv.Itoa(int(p.GetMaxJobs()))
		}
		if p.GetMemoryLimitBytes() > 0 { // only with a job object
			mem = bytesCell(p.GetMemoryBytes()) + " / " + bytesCell(p.GetMemoryLimitBytes())
			cpu = (time.Duration(p.GetCpuSeconds() * float64(time.Second))).Round(time.Millisecond).String()
		}
		cells := []string{p.GetName(), strconv.Itoa(int(p.GetRunning())), strconv.Itoa(int(p.GetQueued())), maxJobs,
			mem, cpu, fmt.Sprintf("%d%%", p.GetMaxCpuPercent()), strconv.Itoa(int(p.GetCpuWeight()))}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
