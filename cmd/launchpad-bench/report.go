package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// report prints the table and the target checks.
func report(out io.Writer, o *options, ms []*measurement) {
	fixed := time.Duration(0)
	if m := find(ms, "launchpad empty job", 0); m != nil {
		fixed = m.median()
	}
	fmt.Fprintf(out, "\nMB = 10^6 bytes of BXL column buffers (the same logical data for every case); "+
		"net = median minus the empty job's %.3fs (Launchpad start-up), comparable with the baselines, "+
		"whose clocks start after python3 has imported numpy/pandas.\n\n", fixed.Seconds())
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tN\tmedian s\trows/s\tMB/s\tnet rows/s\tnet MB/s\thost peak RSS MiB\t")
	for _, m := range ms {
		d := m.median()
		row := fmt.Sprintf("%s\t%d\t%.3f\t%s\t%s\t", m.name, m.rows, d.Seconds(), rate(float64(m.rows), d), mbps(m.dataBytes(), d))
		if m.shape == "" { // not a data case: N counts partitions
			row = fmt.Sprintf("%s\t%d\t%.3f\t-\t-\t", m.name, m.rows, d.Seconds())
		}
		if m.net {
			nd := netOf(d, fixed)
			if e := find(ms, m.base, 0); e != nil {
				nd = netOf(d, e.median())
			}
			row += fmt.Sprintf("%s\t%s\t", rate(float64(m.rows), nd), mbps(m.dataBytes(), nd))
		} else {
			row += "\t\t"
		}
		if len(m.hwm) > 0 {
			row += fmt.Sprintf("%.0f\t", float64(slices.Max(m.hwm))/(1<<20))
		} else {
			row += "\t"
		}
		fmt.Fprintln(tw, row+"  "+m.info)
	}
	tw.Flush()
	for _, m := range ms {
		if m.retries > 0 {
			fmt.Fprintf(out, "note: %s N=%d was retried %d time(s) after its launcher was killed from outside\n", m.name, m.rows, m.retries)
		}
	}

	fmt.Fprintln(out, "\ntargets:")
	checkLimit(out, o, ms)
	checkCSV(out, o, ms)
	checkRSS(out, o, ms)
	reportR(out, o, ms)
	checkParallel(out, o, ms)
}

// reportR compares the R identity job with R's own CSV round trip. No target
// is set for R; the ratio is information.
func reportR(out io.Writer, o *options, ms []*measurement) {
	fixed := find(ms, "r launchpad empty job", 0)
	for _, n := range o.rRows {
		for _, shape := range []string{shapeNumeric, shapeMixed} {
			lp, csv := find(ms, "r launchpad "+shape, n), find(ms, "r (b) csv pipe "+shape, n)
			if lp == nil || csv == nil || fixed == nil {
				continue
			}
			net := netOf(lp.median(), fixed.median())
			fmt.Fprintf(out, "  [info] R %s at N=%d: Launchpad %.3fs (%.3fs without Rscript start-up) vs read.csv/write.csv %.3fs = %.1f× (%.1f× net)\n",
				shape, n, lp.median().Seconds(), net.Seconds(), csv.median().Seconds(),
				csv.median().Seconds()/lp.median().Seconds(), csv.median().Seconds()/net.Seconds())
		}
	}
}

// marginal is the rows/s of the extra rows between the smallest and the
// largest N: start-up and other fixed costs cancel out, which a subtraction
// of the (noisy) empty job does not do reliably on this machine.
func marginal(ms []*measurement, name string, o *options) (float64, bool) {
	lo, hi := find(ms, name, o.rows[0]), find(ms, name, o.rows[len(o.rows)-1])
	if lo == nil || hi == nil || lo == hi {
		return 0, false
	}
	dt := hi.median() - lo.median()
	if dt <= 0 {
		return 0, false
	}
	return float64(hi.rows-lo.rows) / dt.Seconds(), true
}

func checkLimit(out io.Writer, o *options, ms []*measurement) {
	lp, ok1 := marginal(ms, "launchpad numeric", o)
	rt, ok2 := marginal(ms, "(a) numpy round-trip numeric", o)
	in, ok3 := marginal(ms, "(a) numpy one-way numeric", o)
	if !ok1 || !ok2 || !ok3 {
		fmt.Fprintln(out, "  [skip] Launchpad numeric ≥ 40% of (a): needs the launchpad and numpy cases at two N")
		return
	}
	fmt.Fprintf(out, "  [%s] Launchpad numeric ≥ 40%% of (a) round-trip numeric (marginal rows/s, N %d→%d): "+
		"%.1fM vs %.1fM rows/s = %.0f%% (against the one-way transfer, %.1fM rows/s: %.0f%%)\n",
		verdict(lp/rt >= targetOfLimit), o.rows[0], o.rows[len(o.rows)-1], lp/1e6, rt/1e6, 100*lp/rt, in/1e6, 100*lp/in)
	if lpm, ok := marginal(ms, "launchpad mixed", o); ok {
		if str, ok := marginal(ms, "(a) numpy round-trip mixed+str", o); ok {
			fmt.Fprintf(out, "  [info] Launchpad mixed vs (a) mixed with Python str objects (marginal): %.2fM vs %.2fM rows/s = %.0f%%\n",
				lpm/1e6, str/1e6, 100*lpm/str)
		}
	}
}

func checkCSV(out io.Writer, o *options, ms []*measurement) {
	done := false
	for _, shape := range []string{shapeMixed, shapeNumeric} {
		lp, ok := marginal(ms, "launchpad "+shape, o)
		for _, n := range o.csvRows {
			csv := find(ms, "(b) csv pipe "+shape, n)
			if csv == nil || !ok {
				continue
			}
			done = true
			csvRate := float64(n) / csv.median().Seconds()
			x := lp / csvRate
			e2e := ""
			if l := find(ms, "launchpad "+shape, n); l != nil {
				e2e = fmt.Sprintf("; end to end at N=%d, Launchpad's start-up included: %.1f×", n, csv.median().Seconds()/l.median().Seconds())
			}
			fmt.Fprintf(out, "  [%s] Launchpad %s ≥ 10× faster than (b) CSV at N=%d: marginal %.2fM vs %.2fM rows/s = %.1f×%s\n",
				verdict(x >= targetOverCSV), shape, n, lp/1e6, csvRate/1e6, x, e2e)
		}
	}
	if !done {
		fmt.Fprintln(out, "  [skip] Launchpad ≥ 10× (b): needs the launchpad cases at two N and the csv case")
	}
}

func checkRSS(out io.Writer, o *options, ms []*measurement) {
	lo, hi := o.rows[0], o.rows[len(o.rows)-1]
	done := false
	for _, name := range []string{"launchpad numeric", "launchpad mixed"} {
		a, b := find(ms, name, lo), find(ms, name, hi)
		if a == nil || b == nil || lo == hi || len(a.hwm) == 0 || len(b.hwm) == 0 {
			continue
		}
		done = true
		ra, rb := slices.Max(a.hwm), slices.Max(b.hwm)
		ok := float64(rb) <= float64(ra)*rssSlackFactor+rssSlackBytes
		fmt.Fprintf(out, "  [%s] host peak RSS does not grow with N (%s): %.0f MiB at N=%d, %.0f MiB at N=%d (%+.0f MiB)\n",
			verdict(ok), name, mib(ra), lo, mib(rb), hi, mib(rb-ra))
	}
	if !done {
		fmt.Fprintln(out, "  [skip] host peak RSS: needs launchpad runs at two row counts")
	}
}

func find(ms []*measurement, name string, rows int64) *measurement {
	for _, m := range ms {
		if m.name == name && m.rows == rows && len(m.times) > 0 {
			return m
		}
	}
	return nil
}

// netOf is d without the fixed cost, never below a millisecond.
func netOf(d, fixed time.Duration) time.Duration { return max(d-fixed, time.Millisecond) }

func rate(n float64, d time.Duration) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fM", n/d.Seconds()/1e6)
}

func mbps(b int64, d time.Duration) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(b)/d.Seconds()/1e6)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}
