package telemetry

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/openlaunchpad/launchpad/host/job"
)

// Metrics counts jobs. It is a job.Observer.
type Metrics struct {
	reg *prometheus.Registry

	started, ended    *prometheus.CounterVec
	failed            *prometheus.CounterVec
	verifyFailures    *prometheus.CounterVec
	duration          *prometheus.HistogramVec
	queueWait         prometheus.Histogram
	queued, active    prometheus.Gauge
	workers           prometheus.Gauge
	bytesIn, bytesOut *prometheus.CounterVec
	rowsIn, rowsOut   *prometheus.CounterVec
	starts            *prometheus.CounterVec
}

var _ job.Observer = (*Metrics)(nil)

// jobBuckets spread from 50 ms (a warm trivial job) to an hour.
var jobBuckets = []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// New returns the metrics of a host with workers worker accounts, in a
// registry of their own with the Go runtime's and process's collectors.
func New(workers int) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "launchpad", Name: name, Help: help}, labels)
	}
	gauge := func(name, help string) prometheus.Gauge {
		return prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "launchpad", Name: name, Help: help})
	}
	m.started = counter("jobs_started_total", "Jobs that got a worker and a verified launcher.", "language")
	m.ended = counter("jobs_ended_total", "Jobs ended, by language and state (succeeded, failed, cancelled).", "language", "state")
	m.failed = counter("jobs_failed_total", "Jobs that failed or were cancelled, by language and error code.", "language", "code")
	m.verifyFailures = counter("launcher_verification_failures_total",
		"Jobs refused because their launcher failed verification (untrusted, tampered, revoked).", "language")
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "launchpad", Name: "job_duration_seconds",
		Help: "Run time of jobs that got a worker, start to end.", Buckets: jobBuckets}, []string{"language", "state"})
	m.queueWait = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "launchpad", Name: "job_queue_wait_seconds",
		Help: "Time jobs waited for their launcher and a free worker account.", Buckets: jobBuckets})
	m.queued = gauge("jobs_queued", "Jobs waiting for a worker account.")
	m.active = gauge("jobs_active", "Jobs running (holding a worker account).")
	m.workers = gauge("workers", "Worker accounts of the host: the most jobs that run at once.")
	m.workers.Set(float64(workers))
	m.bytesIn = counter("job_input_bytes_total", "BXL bytes of input rows sent to jobs.", "language")
	m.bytesOut = counter("job_output_bytes_total", "BXL bytes of output (result sets and OUTPUT params) read from jobs.", "language")
	m.rowsIn = counter("job_input_rows_total", "Input rows sent to jobs.", "language")
	m.rowsOut = counter("job_output_rows_total", "Output rows read from jobs.", "language")
	m.starts = counter("job_starts_total", "Jobs whose launcher started, by how: warm (a prepared runtime) or cold.", "language", "start")
	m.reg.MustRegister(m.started, m.ended, m.failed, m.verifyFailures, m.duration, m.queueWait, m.queued,
		m.active, m.workers, m.bytesIn, m.bytesOut, m.rowsIn, m.rowsOut, m.starts,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where the metrics are registered (the handler serves it).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// JobQueued counts a waiting job.
func (m *Metrics) JobQueued(*job.Live) { m.queued.Inc() }

// JobRunning moves a job from waiting to running.
func (m *Metrics) JobRunning(l *job.Live) {
	in := l.Record()
	m.queued.Dec()
	m.active.Inc()
	m.started.WithLabelValues(in.LanguageLabel()).Inc()
	m.queueWait.Observe(float64(in.QueueWaitMs) / 1000)
}

// JobEnded counts how a job ended and what it moved.
func (m *Metrics) JobEnded(l *job.Live) {
	in := l.Record()
	lang := in.LanguageLabel()
	if in.Started.IsZero() {
		m.queued.Dec()
		m.queueWait.Observe(float64(in.QueueWaitMs) / 1000)
	} else {
		m.active.Dec()
		m.duration.WithLabelValues(lang, in.State).Observe(float64(in.ElapsedMs) / 1000)
	}
	m.ended.WithLabelValues(lang, in.State).Inc()
	if in.Start != "" {
		m.starts.WithLabelValues(lang, in.Start).Inc()
	}
	if e := l.Error(); e != nil {
		m.failed.WithLabelValues(lang, codeLabel(e.Code)).Inc()
		if e.Code == job.CodeUntrustedLauncher {
			m.verifyFailures.WithLabelValues(lang).Inc()
		}
	}
	m.bytesIn.WithLabelValues(lang).Add(float64(in.BytesIn))
	m.rowsIn.WithLabelValues(lang).Add(float64(in.RowsIn))
	m.bytesOut.WithLabelValues(lang).Add(float64(in.BytesOut))
	m.rowsOut.WithLabelValues(lang).Add(float64(in.RowsOut))
}

// codeLabel is a job code as a label value: "script_error", "cancelled".
func codeLabel(c job.Code) string { return strings.ReplaceAll(c.String(), " ", "_") }
