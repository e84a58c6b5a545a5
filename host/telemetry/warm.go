package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openlaunchpad/launchpad/host/job"
)

// warmCollector reports each launcher's warm runtimes as they are when
// scraped.
type warmCollector struct {
	status                                 func() []job.WarmStatus
	target, ready, preparing, memory, held *prometheus.Desc
	served                                 *prometheus.Desc
}

// WatchWarm adds the warm runtime figures, read from status at each scrape.
func (m *Metrics) WatchWarm(status func() []job.WarmStatus) {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("launchpad_warm_"+name, help, []string{"launcher"}, nil)
	}
	m.reg.MustRegister(&warmCollector{
		status:    status,
		target:    desc("target", "Warm runtimes asked for (launcher { warm = N })."),
		ready:     desc("ready", "Warm runtimes ready for a job."),
		preparing: desc("preparing", "Warm runtimes being prepared."),
		memory:    desc("memory_bytes", "Memory the ready warm runtimes hold."),
		held:      desc("workers", "Worker accounts held by ready and preparing warm runtimes."),
		served:    desc("served_total", "Jobs that started on a warm runtime."),
	})
}

func (c *warmCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.target, c.ready, c.preparing, c.memory, c.held, c.served} {
		ch <- d
	}
}

func (c *warmCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.status() {
		gauge := func(d *prometheus.Desc, v float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, s.Launcher)
		}
		gauge(c.target, float64(s.Target))
		gauge(c.ready, float64(s.Ready))
		gauge(c.preparing, float64(s.Preparing))
		gauge(c.memory, float64(s.MemoryBytes))
		gauge(c.held, float64(s.Workers))
		ch <- prometheus.MustNewConstMetric(c.served, prometheus.CounterValue, float64(s.Served), s.Launcher)
	}
}
