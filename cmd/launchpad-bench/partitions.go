package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/host/sqltype"
)

// targetParallel is issue 9 item 7's target: a CPU-bound partitioned job
// with @parallel = 1 at least this much faster than without, on 2 cores.
const targetParallel = 1.7

// partitionScript is CPU-bound pure Python: work iterations per partition,
// whatever its rows.
const partitionScript = `import pandas as pd
s = 0
for i in range(work):
    s += i & 7
OutputDataSet = pd.DataFrame({'g': [int(InputDataSet['g'][0])], 'rows': [len(InputDataSet)], 's': [s]})`

// partitionCases are the partitioned job run without and with parallel,
// interleaved in the same run so that the machine's load hits both alike.
func partitionCases(o *options, bh *benchHost) []*measurement {
	var ms []*measurement
	for _, parallel := range []bool{false, true} {
		name, info := "partitions serial", "one sandbox, the script once per partition"
		if parallel {
			name, info = "partitions parallel", "a sandbox per partition, at most one per CPU at once"
		}
		ms = append(ms, &measurement{name: name, rows: int64(o.partitions), info: info,
			run: func(ctx context.Context) (time.Duration, int64, error) {
				return bh.runPartitions(ctx, o.partitions, o.partitionWork, parallel)
			}})
	}
	return ms
}

// runPartitions runs partitionScript over parts partitions of 1000 rows
// each and checks that every partition answered.
func (bh *benchHost) runPartitions(ctx context.Context, parts int, work int64, parallel bool) (time.Duration, int64, error) {
	decl, err := sqltype.ParseParams("@work bigint")
	if err != nil {
		return 0, 0, err
	}
	q := fmt.Sprintf("WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < %d) SELECT i %% %d AS g, i FROM s",
		parts*1000-1, parts)
	sink := &countSink{}
	start := time.Now()
	_, err = bh.h.Runner().Run(ctx, &job.Request{Language: "Python", Script: partitionScript, InputQuery: q,
		Params: decl, ParamValues: map[string]string{"work": strconv.FormatInt(work, 10)},
		PartitionBy: []string{"g"}, Parallel: parallel}, sink)
	wall := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("partitioned job: %w (messages: %s)", err, sink.messages())
	}
	if got := sink.rows.Load(); got != int64(parts) {
		return 0, 0, fmt.Errorf("%w: partitioned job returned %d rows for %d partitions", errShortResult, got, parts)
	}
	return wall, 0, nil
}

// checkParallel reports the speed-up of parallel partitions (medians).
func checkParallel(out io.Writer, o *options, ms []*measurement) {
	serial, par := find(ms, "partitions serial", int64(o.partitions)), find(ms, "partitions parallel", int64(o.partitions))
	if serial == nil || par == nil {
		fmt.Fprintln(out, "  [skip] parallel partitions speed-up: needs the partitions case")
		return
	}
	x := serial.median().Seconds() / par.median().Seconds()
	fmt.Fprintf(out, "  [%s] parallel partitions ≥ %.1f× faster than serial (%d CPU-bound partitions, work %d): median %.3fs vs %.3fs = %.2f× (load average now %s)\n",
		verdict(x >= targetParallel), targetParallel, o.partitions, o.partitionWork, serial.median().Seconds(), par.median().Seconds(), x, loadAverage())
}
