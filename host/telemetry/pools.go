package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openlaunchpad/launchpad/host/pool"
)

// poolCollector reads every resource pool's figures at scrape time.
type poolCollector struct {
	figures func() []pool.Figures
	descs   map[string]*prometheus.Desc
}

var poolMetrics = []struct{ name, help string }{
	{"pool_jobs_running", "Jobs of the pool running now."},
	{"pool_jobs_queued", "Jobs waiting in the pool's queue for one of its max_jobs slots."},
	{"pool_max_jobs", "The pool's max_jobs (0: no cap of its own)."},
	{"pool_memory_bytes", "Memory the pool's jobs hold now, together."},
	{"pool_memory_limit_bytes", "The pool's memory limit in bytes (max_memory_percent of the host's memory)."},
	{"pool_cpu_seconds_total", "CPU time the pool's jobs used, together."},
	{"pool_max_cpu_percent", "The pool's max_cpu_percent (100: no cap)."},
	{"pool_cpu_weight", "The pool's cpu_weight."},
}

// WatchPools adds the pools' figures (launchpad_pool_*{pool="NAME"}),
// read from figures at each scrape.
func (m *Metrics) WatchPools(figures func() []pool.Figures) {
	c := &poolCollector{figures: figures, descs: map[string]*prometheus.Desc{}}
	for _, pm := range poolMetrics {
		c.descs[pm.name] = prometheus.NewDesc("launchpad_"+pm.name, pm.help, []string{"pool"}, nil)
	}
	m.reg.MustRegister(c)
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, f := range c.figures() {
		for name, v := range map[string]float64{
			"pool_jobs_running": float64(f.Running), "pool_jobs_queued": float64(f.Queued),
			"pool_max_jobs": float64(f.MaxJobs), "pool_memory_bytes": float64(f.MemoryBytes),
			"pool_memory_limit_bytes": float64(f.MemoryLimitBytes), "pool_cpu_seconds_total": f.CPUSeconds,
			"pool_max_cpu_percent": float64(f.MaxCPUPercent), "pool_cpu_weight": float64(f.CPUWeight),
		} {
			kind := prometheus.GaugeValue
			if name == "pool_cpu_seconds_total" {
				kind = prometheus.CounterValue
			}
			ch <- prometheus.MustNewConstMetric(c.descs[name], kind, v, f.Name)
		}
	}
}
