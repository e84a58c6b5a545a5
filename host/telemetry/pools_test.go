package telemetry

import (
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/openlaunchpad/launchpad/host/pool"
)

func TestMetrics_PoolFigures(t *testing.T) {
	m := New(4)
	m.WatchPools(func() []pool.Figures {
		return []pool.Figures{
			{Spec: pool.Spec{Name: "big", MaxJobs: 4, MaxCPUPercent: 75, CPUWeight: 75}, Running: 3, Queued: 2,
				MemoryBytes: 100 << 20, MemoryLimitBytes: 1 << 30, CPUSeconds: 12.5},
			{Spec: pool.Spec{Name: "default", MaxCPUPercent: 100, CPUWeight: 100}, Running: 1},
		}
	})
	for name, want := range map[string]float64{
		"launchpad_pool_jobs_running": 3, "launchpad_pool_jobs_queued": 2, "launchpad_pool_memory_bytes": 100 << 20,
		"launchpad_pool_memory_limit_bytes": 1 << 30, "launchpad_pool_cpu_seconds_total": 12.5, "launchpad_pool_cpu_weight": 75,
	} {
		fams, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		got, found := 0.0, false
		for _, f := range fams {
			if f.GetName() != name {
				continue
			}
			for _, mt := range f.GetMetric() {
				if mt.GetLabel()[0].GetValue() == "big" {
					found = true
					got = mt.GetGauge().GetValue() + mt.GetCounter().GetValue()
				}
			}
		}
		if !found || got != want {
			t.Errorf("%s{pool=\"big\"} = %v (found %v), want %v", name, got, found, want)
		}
		if n := countSeries(fams, name); n != 2 {
			t.Errorf("%s has %d series, want one per pool (2)", name, n)
		}
	}
}

func countSeries(fams []*dto.MetricFamily, name string) int {
	for _, f := range fams {
		if f.GetName() == name {
			return len(f.GetMetric())
		}
	}
	return 0
}
