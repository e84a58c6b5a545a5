package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/openlaunchpad/launchpad/host/job"
)

// A launcher that fails verification counts under its language; a
// language no launcher has counts under "unknown", however the caller
// spells it, so callers cannot grow the label sets.
func TestMetrics_CountsRefusalsWithBoundedLabels(t *testing.T) {
	m := New(7)
	r := job.NewRunner(job.Config{Observers: []job.Observer{m}, Resolve: func(lang string) (*job.Launcher, error) {
		if lang == "Python" {
			return nil, errors.New("signature does not verify")
		}
		return nil, fmt.Errorf("%w: none", job.ErrUnknownLanguage)
	}})
	for i, lang := range []string{"Python", "Python", "made-up-1", "made-up-2"} {
		r.Run(context.Background(), &job.Request{ID: fmt.Sprintf("j%d", i), Language: lang, Script: "x"}, nil)
	}
	srv, err := Listen("127.0.0.1:0", m, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()
	resp, err := http.Get("http://" + srv.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, name := range []string{"launchpad_jobs_failed_total", "launchpad_launcher_verification_failures_total"} {
		for _, mt := range fams[name].GetMetric() {
			key := name
			for _, l := range mt.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			got[key] = mt.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"launchpad_jobs_failed_total code=untrusted_launcher language=python": 2,
		"launchpad_jobs_failed_total code=unknown_language language=unknown":  2,
		"launchpad_launcher_verification_failures_total language=python":      2,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counters:\n got %v\nwant %v", got, want)
	}
	if g := fams["launchpad_workers"].GetMetric()[0].GetGauge().GetValue(); g != 7 {
		t.Errorf("workers = %v", g)
	}
	if g := fams["launchpad_jobs_queued"].GetMetric()[0].GetGauge().GetValue(); g != 0 {
		t.Errorf("queued = %v after every job ended", g)
	}
}
