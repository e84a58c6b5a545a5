// Package telemetry serves a host's Prometheus metrics (telemetry { address
// } in the configuration): jobs started and failed by language and code,
// run time and queue wait histograms, active jobs, worker use, bytes and
// rows in and out, launcher verification failures. It counts jobs as a
// job.Observer; language labels are only languages the catalog knows.
package telemetry
