package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/host/sandbox/confine"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// Targets of issue 2, item 8.
const (
	targetOfLimit  = 0.40 // Launchpad numeric ≥ 40% of baseline (a) numeric
	targetOverCSV  = 10.0 // Launchpad ≥ 10× baseline (b)
	rssSlackBytes  = 16 << 20
	rssSlackFactor = 1.10
)

// maxRetries is how often a Launchpad job killed from outside is retried.
const maxRetries = 2

// retryable reports whether a job failed because its launcher was killed
// from outside (a launcher fault), not because of the data path.
func retryable(err error) bool {
	var jerr *job.Error
	return errors.As(err, &jerr) && jerr.Code == job.CodeLauncherFault
}

// errUsage means bad flags.
var errUsage = errors.New("usage")

type options struct {
	rows       []int64
	csvRows    []int64
	sqliteRows int64
	reps       int
	plugins    string
	python     string
	rscript    string
	rRows      []int64
	runtime    string
	isolation  string
	cases      map[string]bool
	cpuProfile string
	logLevel   string
	// partitions and partitionWork shape the parallel partitions case.
	partitions    int
	partitionWork int64
}

func main() {
	// The host starts every job's satellite as `<this binary> sandbox-init`
	// (os.Executable), as it does with the launchpad binary.
	if len(os.Args) > 1 && os.Args[1] == "sandbox-init" {
		os.Exit(confine.Main(os.Args[2:]))
	}
	opts, err := parseFlags(os.Args[1:])
	if errors.Is(err, errUsage) {
		os.Exit(2)
	}
	if err == nil {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err = run(ctx, opts, os.Stdout)
		stop()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "launchpad-bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*options, error) {
	fs := flag.NewFlagSet("launchpad-bench", flag.ContinueOnError)
	rows := fs.String("rows", "1000000,10000000", "row counts of the Launchpad and numpy runs")
	csvRows := fs.String("csv-rows", "1000000", "row counts of the CSV baseline (slow: ~several s per million rows)")
	sqliteRows := fs.Int64("sqlite-rows", 1000000, "rows of the identity job over the SQLite instance (0: skip)")
	reps := fs.Int("reps", 5, "repetitions of each case (medians are reported; 2 noisy cores need 5)")
	plugins := fs.String("plugins", "bin/plugins", "folder of the built launchers (make build)")
	python := fs.String("python", "/usr/bin/python3", "python3 with numpy and pandas, for the baselines and the launcher")
	rt := fs.String("runtime", "/usr/bin/python3", "the PythonLauncher's interpreter (a profiling wrapper, say)")
	rscript := fs.String("rscript", "/usr/bin/Rscript", "Rscript, for the R baseline (the RLauncher uses its default)")
	rRows := fs.String("r-rows", "1000000", "row counts of the R cases")
	isolation := fs.String("isolation", "", `host isolation: "full" or "none" (default: full as root, else none)`)
	cases := fs.String("cases", "launchpad,numpy,csv,sqlite,r,partitions", "cases to run (also: warm, job starts through `launchpad exec` against a dev host)")
	partitions := fs.Int("partitions", runtime.NumCPU(), "partitions of the parallel partitions case")
	partitionWork := fs.Int64("partition-work", 100_000_000, "loop iterations of each partition's CPU-bound script")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of this process (the host side) to this file")
	logLevel := fs.String("log-level", "warn", "host log level")
	if err := fs.Parse(args); err != nil {
		return nil, errUsage
	}
	o := &options{sqliteRows: *sqliteRows, reps: *reps, python: *python, rscript: *rscript, runtime: *rt, isolation: *isolation,
		cpuProfile: *cpuProfile, logLevel: *logLevel, cases: map[string]bool{}, partitions: *partitions, partitionWork: *partitionWork}
	var err error
	if o.rows, err = parseCounts(*rows); err != nil {
		return nil, err
	}
	if o.csvRows, err = parseCounts(*csvRows); err != nil {
		return nil, err
	}
	if o.rRows, err = parseCounts(*rRows); err != nil {
		return nil, err
	}
	if o.partitions < 1 || o.partitionWork < 0 {
		return nil, fmt.Errorf("-partitions must be at least 1 and -partition-work not negative")
	}
	if o.reps < 1 {
		return nil, fmt.Errorf("-reps must be at least 1")
	}
	if o.plugins, err = filepath.Abs(*plugins); err != nil {
		return nil, err
	}
	for _, c := range strings.Split(*cases, ",") {
		switch c = strings.TrimSpace(c); c {
		case "launchpad", "numpy", "csv", "sqlite", "r", "partitions", "warm":
			o.cases[c] = true
		case "":
		default:
			return nil, fmt.Errorf("unknown case %q", c)
		}
	}
	if o.isolation == "" {
		o.isolation = "none"
		if os.Geteuid() == 0 {
			o.isolation = "full"
		}
	}
	return o, nil
}

func parseCounts(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad row count %q", f)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// measurement is one case, all its repetitions.
type measurement struct {
	name    string
	shape   string
	rows    int64
	info    string // a note for the table
	times   []time.Duration
	hwm     []int64 // host peak RSS per repetition (Launchpad cases)
	retries int
	net     bool   // subtract the Launchpad fixed cost for the "net" column
	base    string // the empty-job case holding that fixed cost
	run     func(ctx context.Context) (time.Duration, int64, error)
}

func (m *measurement) median() time.Duration {
	s := slices.Clone(m.times)
	slices.Sort(s)
	return s[len(s)/2]
}

// dataBytes is the size every case is measured against: the BXL buffer bytes
// of the input (the same logical data for the CSV case).
func (m *measurement) dataBytes() int64 { return m.rows * int64(rowBytes(m.shape)) }

func run(ctx context.Context, o *options, out io.Writer) error {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if o.cases["warm"] && len(o.cases) == 1 {
		return runWarm(ctx, o, out)
	}
	log := hclog.New(&hclog.LoggerOptions{Name: "bench", Level: hclog.LevelFromString(o.logLevel), Output: os.Stderr})
	var bh *benchHost
	if o.cases["launchpad"] || o.cases["sqlite"] || o.cases["r"] || o.cases["partitions"] {
		var err error
		if bh, err = startHost(ctx, o.plugins, o.isolation, o.runtime, log); err != nil {
			return err
		}
		defer bh.Close()
	}
	ms := plan(o, bh)
	fmt.Fprintf(out, "launchpad-bench: %d reps, GOMAXPROCS %d, host isolation %q, python %s, load average at start %s\n",
		o.reps, runtime.GOMAXPROCS(0), o.isolation, o.python, loadAverage())
	// Repetitions are interleaved so that noise from other work on the
	// machine spreads over all cases rather than hitting one.
	for rep := range o.reps {
		for _, m := range ms {
			if err := ctx.Err(); err != nil {
				return err
			}
			d, hwm, err := m.run(ctx)
			for try := 1; err != nil && retryable(err) && try <= maxRetries; try++ {
				// Another host starting on this machine sweeps every job
				// cgroup under the shared parent, killing our job (see
				// docs/bench.md); that says nothing about the data path.
				fmt.Fprintf(os.Stderr, "retry %d of %s N=%d after: %v\n", try, m.name, m.rows, err)
				m.retries++
				d, hwm, err = m.run(ctx)
			}
			if err != nil {
				return fmt.Errorf("%s N=%d: %w", m.name, m.rows, err)
			}
			m.times = append(m.times, d)
			if hwm > 0 {
				m.hwm = append(m.hwm, hwm)
			}
			fmt.Fprintf(os.Stderr, "rep %d/%d %-28s N=%-9d %8.3fs\n", rep+1, o.reps, m.name, m.rows, d.Seconds())
		}
	}
	report(out, o, ms)
	if o.cases["warm"] {
		return runWarm(ctx, o, out)
	}
	return nil
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures: other work
// on the machine shows in every wall-clock figure, parallel ones most.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

// plan lists the cases to measure.
func plan(o *options, bh *benchHost) []*measurement {
	var ms []*measurement
	job := func(language, name, shape string, rows int64, query, info string, net bool) *measurement {
		base := "launchpad empty job"
		if language == "R" {
			base = "r launchpad empty job"
		}
		return &measurement{name: name, shape: shape, rows: rows, info: info, net: net, base: base,
			run: func(ctx context.Context) (time.Duration, int64, error) {
				r, err := bh.runIdentity(ctx, language, query, rows)
				return r.wall, r.hwm, err
			}}
	}
	lp := func(name, shape string, rows int64, query, info string, net bool) *measurement {
		return job("Python", name, shape, rows, query, info, net)
	}
	if o.cases["launchpad"] {
		ms = append(ms, lp("launchpad empty job", shapeNumeric, 0, synthQuery(shapeNumeric, 0),
			"fixed cost: launcher + python3 + pandas start", false))
		for _, n := range o.rows {
			ms = append(ms,
				lp("launchpad numeric", shapeNumeric, n, synthQuery(shapeNumeric, n), "int64, float64", true),
				lp("launchpad mixed", shapeMixed, n, synthQuery(shapeMixed, n), "int64, float64, 16-byte str", true))
		}
	}
	if o.cases["sqlite"] && o.sqliteRows > 0 {
		q := fmt.Sprintf("WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < %d) "+
			"SELECT i AS id, i / 2.0 AS x, printf('s%%015d', i) AS s FROM s", o.sqliteRows-1)
		ms = append(ms, lp("launchpad mixed via sqlite", shapeMixed, o.sqliteRows, q, "SQLite WITH RECURSIVE source", true))
	}
	if o.cases["numpy"] {
		np := func(name, shape string, rows int64, rt, strs bool, info string) *measurement {
			return &measurement{name: name, shape: shape, rows: rows, info: info,
				run: func(context.Context) (time.Duration, int64, error) {
					d, err := numpyBaseline(o.python, shape, rows, bxl.DefaultBatchBytes, rt, strs)
					return d, 0, err
				}}
		}
		for _, n := range o.rows {
			ms = append(ms,
				np("(a) numpy one-way numeric", shapeNumeric, n, false, false, "socketpair → numpy, in only"),
				np("(a) numpy round-trip numeric", shapeNumeric, n, true, false, "in + back, like the identity job"),
				np("(a) numpy round-trip mixed", shapeMixed, n, true, false, "strings kept as raw buffers"),
				np("(a) numpy round-trip mixed+str", shapeMixed, n, true, true, "strings → Python str objects → back"))
		}
	}
	if o.cases["csv"] {
		for _, n := range o.csvRows {
			for _, shape := range []string{shapeNumeric, shapeMixed} {
				ms = append(ms, &measurement{name: "(b) csv pipe " + shape, shape: shape, rows: n,
					info: "pandas read_csv + to_csv",
					run: func(context.Context) (time.Duration, int64, error) {
						d, _, err := csvBaseline([]string{o.python, "-c", csvBaselinePy}, shape, n)
						return d, 0, err
					}})
			}
		}
	}
	if o.cases["partitions"] {
		ms = append(ms, partitionCases(o, bh)...)
	}
	if o.cases["r"] {
		ms = append(ms, job("R", "r launchpad empty job", shapeNumeric, 0, synthQuery(shapeNumeric, 0),
			"fixed cost: launcher + Rscript start", false))
		for _, n := range o.rRows {
			for _, shape := range []string{shapeNumeric, shapeMixed} {
				ms = append(ms, job("R", "r launchpad "+shape, shape, n, synthQuery(shape, n), "RLauncher identity", true),
					&measurement{name: "r (b) csv pipe " + shape, shape: shape, rows: n, info: "read.csv + write.csv",
						run: func(context.Context) (time.Duration, int64, error) {
							d, _, err := csvBaseline([]string{o.rscript, "--vanilla", "-e", csvBaselineR}, shape, n)
							return d, 0, err
						}})
			}
		}
	}
	return ms
}
