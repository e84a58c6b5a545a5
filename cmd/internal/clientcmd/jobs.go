package clientcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/openlaunchpad/launchpad/client"
	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/internal/untrusted"
)

// defaultAddress is the host API of a packaged host; LAUNCHPAD_ADDR
// overrides it.
func defaultAddress() string {
	if a := os.Getenv("LAUNCHPAD_ADDR"); a != "" {
		return a
	}
	return "unix:///var/lib/launchpad/launchpad.sock"
}

// rpcTimeout bounds the admin calls jobs and cancel make.
const rpcTimeout = 30 * time.Second

// callHost dials the host at address and makes one admin call, fn, within
// rpcTimeout.
func callHost(address string, tlsFiles *client.TLSFiles, fn func(context.Context, *client.Client) error) error {
	c, err := client.Dial(address, client.WithTLS(*tlsFiles))
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	if err := fn(ctx, c); err != nil {
		return fmt.Errorf("host at %s: %w", address, hostError(address, err))
	}
	return nil
}

// Jobs is `launchpad jobs`: running and recent jobs, resource pools or
// warm runtimes.
func Jobs(args []string) error {
	fs := cli.NewFlagSet("jobs", "launchpad jobs [--address unix://PATH|tls://HOST:PORT [--cert F --key F --ca F]] [--format table|json] [--limit N] [--warm]")
	address := fs.String("address", defaultAddress(), addressUsage)
	tlsFiles := tlsFlags(fs)
	format := fs.String("format", "table", "output format: table or json")
	limit := fs.Int("limit", 50, "most ended jobs to list, newest first (0: all the host keeps)")
	warm := fs.Bool("warm", false, "list the warm runtimes of each launcher instead of jobs")
	onlyPools := fs.Bool("pools", false, "list the resource pools only")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return cli.ErrHelp
	} else if err != nil || fs.NArg() != 0 {
		return cli.ErrUsage
	}
	if *format != "table" && *format != "json" {
		return fmt.Errorf("%w: --format %q: want table or json", cli.ErrUsage, *format)
	}
	if *limit < 0 {
		return fmt.Errorf("%w: --limit must not be negative", cli.ErrUsage)
	}
	if *warm {
		return listWarm(*address, tlsFiles, *format)
	}
	var jobs []*proto.JobInfo
	var pools []*proto.PoolInfo
	if err := callHost(*address, tlsFiles, func(ctx context.Context, c *client.Client) (err error) {
		jobs, pools, err = c.ListJobsAndPools(ctx, *limit)
		return err
	}); err != nil {
		return err
	}
	return writeJobs(os.Stdout, *format, *onlyPools, jobs, pools)
}

// writeJobs writes the jobs, then (in a table) the pools, or the pools
// alone.
func writeJobs(w io.Writer, format string, onlyPools bool, jobs []*proto.JobInfo, pools []*proto.PoolInfo) error {
	switch {
	case onlyPools && format == "json":
		return writePoolsJSON(w, pools)
	case onlyPools:
		return writePoolsTable(w, pools)
	case format == "json":
		return writeJobsJSON(w, jobs)
	}
	if err := writeJobsTable(w, jobs, time.Now()); err != nil || len(pools) == 0 {
		return err
	}
	fmt.Fprintln(w)
	return writePoolsTable(w, pools)
}

// jobJSON is one job in `jobs --format json`: the API's fields, times as
// RFC 3339, absent values (exit code, output of a running job) as null.
// It repeats host/job.Info's fields on purpose: the CLI reads the API's
// proto.JobInfo, and this struct is the JSON contract of the command (nulls,
// string times), which must not move when Info does.
type jobJSON struct {
	ID              string  `json:"id"`
	Caller          string  `json:"caller"`
	Language        string  `json:"language"`
	Pool            string  `json:"pool"`
	Launcher        string  `json:"launcher"`
	LauncherVersion string  `json:"launcher_version"`
	State           string  `json:"state"`
	Submitted       string  `json:"submitted"`
	Started         *string `json:"started"`
	Ended           *string `json:"ended"`
	QueueWaitMs     int64   `json:"queue_wait_ms"`
	ElapsedMs       int64   `json:"elapsed_ms"`
	CPUUserMs       int64   `json:"cpu_user_ms"`
	CPUSystemMs     int64   `json:"cpu_system_ms"`
	PeakMemoryBytes int64   `json:"peak_memory_bytes"`
	RowsIn          uint64  `json:"rows_in"`
	BytesIn         uint64  `json:"bytes_in"`
	RowsOut         *uint64 `json:"rows_out"`
	BytesOut        *uint64 `json:"bytes_out"`
	ExitCode        *int32  `json:"exit_code"`
	ExitSignal      string  `json:"exit_signal,omitempty"`
	ErrorCode       string  `json:"error_code,omitempty"`
	Error           string  `json:"error,omitempty"`
	ScriptSHA256    string  `json:"script_sha256"`
	// Start is "warm" or "cold"; Stages where the time went.
	Start  string      `json:"start,omitempty"`
	Stages []stageJSON `json:"stages,omitempty"`
}

type stageJSON struct {
	Name string  `json:"name"`
	Ms   float64 `json:"ms"`
}

func writeJobsJSON(w io.Writer, jobs []*proto.JobInfo) error {
	out := make([]jobJSON, 0, len(jobs))
	for _, j := range jobs {
		r := jobJSON{
			ID: j.GetJobId(), Caller: j.GetCaller(), Language: j.GetLanguage(), Pool: j.GetPool(), Launcher: j.GetLauncher(),
			LauncherVersion: j.GetLauncherVersion(), State: j.GetState(), Submitted: rfc3339(j.GetSubmittedUnixMs()),
			QueueWaitMs: j.GetQueueWaitMs(), ElapsedMs: j.GetElapsedMs(), CPUUserMs: j.GetCpuUserMs(),
			CPUSystemMs: j.GetCpuSystemMs(), PeakMemoryBytes: j.GetPeakMemoryBytes(), RowsIn: j.GetRowsIn(),
			BytesIn: j.GetBytesIn(), ExitSignal: j.GetExitSignal(), Error: j.GetError(), ScriptSHA256: j.GetScriptSha256(),
			Start: j.GetStart(),
		}
		for _, st := range j.GetStages() {
			r.Stages = append(r.Stages, stageJSON{Name: st.GetName(), Ms: st.GetMs()})
		}
		if ms := j.GetStartedUnixMs(); ms != 0 {
			s := rfc3339(ms)
			r.Started = &s
		}
		if ms := j.GetEndedUnixMs(); ms != 0 {
			s := rfc3339(ms)
			r.Ended = &s
		}
		if j.GetOutputKnown() {
			rows, bytes := j.GetRowsOut(), j.GetBytesOut()
			r.RowsOut, r.BytesOut = &rows, &bytes
		}
		if j.GetHasExitCode() {
			c := j.GetExitCode()
			r.ExitCode = &c
		}
		if c := j.GetErrorCode(); c != proto.ErrorCode_ERROR_CODE_UNSPECIFIED {
			r.ErrorCode = codeName(c)
		}
		out = append(out, r)
	}
	return cli.WriteJSON(w, out)
}

func rfc3339(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }

// codeName is an error code as the API names it, without its prefix:
// "script", "cancelled", "limit_exceeded".
func codeName(c proto.ErrorCode) string {
	return strings.ToLower(strings.TrimPrefix(c.String(), "ERROR_CODE_"))
}

// writeJobsTable writes one line per job. Callers choose job ids and
// languages, and runtimes write errors: every cell is escaped.
func writeJobsTable(w io.Writer, jobs []*proto.JobInfo, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCALLER\tLANGUAGE\tLAUNCHER\tSTATE\tSTARTED\tELAPSED\tCPU\tPEAK MEM\tROWS IN\tROWS OUT\tEXIT\tERROR")
	for _, j := range jobs {
		cells := []string{
			j.GetJobId(), dash(j.GetCaller()), j.GetLanguage(), launcherCell(j), j.GetState(),
			startedCell(j, now), "-", "-", "-", "-", rowsOutCell(j), exitCell(j), errorCell(j),
		}
		if j.GetStartedUnixMs() != 0 { // usage exists only for a job that got a worker
			cells[6], cells[7] = durationCell(j.GetElapsedMs()), durationCell(j.GetCpuUserMs()+j.GetCpuSystemMs())
			cells[8], cells[9] = bytesCell(j.GetPeakMemoryBytes()), strconv.FormatUint(j.GetRowsIn(), 10)
		}
		for i, c := range cells {
			cells[i] = untrusted.String(c, 80)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func launcherCell(j *proto.JobInfo) string {
	if j.GetLauncher() == "" {
		return "-"
	}
	return j.GetLauncher() + " " + j.GetLauncherVersion()
}

// startedCell is the local time a job got its worker, with the date when
// it was not today; "-" while it waits.
func startedCell(j *proto.JobInfo, now time.Time) string {
	ms := j.GetStartedUnixMs()
	if ms == 0 {
		return "-"
	}
	t := time.UnixMilli(ms).Local()
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}

func durationCell(ms int64) string {
	return (time.Duration(ms) * time.Millisecond).Round(time.Millisecond).String()
}

func bytesCell(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return strconv.FormatInt(n, 10) + "B"
}

func rowsOutCell(j *proto.JobInfo) string {
	if !j.GetOutputKnown() {
		return "-"
	}
	return strconv.FormatUint(j.GetRowsOut(), 10)
}

func exitCell(j *proto.JobInfo) string {
	switch {
	case j.GetHasExitCode():
		return strconv.Itoa(int(j.GetExitCode()))
	case j.GetExitSignal() != "":
		return j.GetExitSignal()
	}
	return "-"
}

func errorCell(j *proto.JobInfo) string {
	if j.GetErrorCode() == proto.ErrorCode_ERROR_CODE_UNSPECIFIED {
		return ""
	}
	return codeName(j.GetErrorCode())
}
