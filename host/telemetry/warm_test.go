package telemetry

import (
	"testing"

	"github.com/openlaunchpad/launchpad/host/job"
)

// Each launcher's warm figures are read at scrape time, labelled by launcher.
func TestMetrics_WarmRuntimes(t *testing.T) {
	m := New(4)
	ready := 1
	m.WatchWarm(func() []job.WarmStatus {
		return []job.WarmStatus{{Launcher: "PythonLauncher", Target: 2, Ready: ready, MemoryBytes: 5 << 20, Workers: 2, Served: 7}}
	})
	want := map[string]float64{"launchpad_warm_target": 2, "launchpad_warm_ready": 1,
		"launchpad_warm_memory_bytes": 5 << 20, "launchpad_warm_workers": 2, "launchpad_warm_served_total": 7}
	check := func() {
		t.Helper()
		fams, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range fams {
			for _, mt := range f.GetMetric() {
				if len(mt.GetLabel()) != 1 || mt.GetLabel()[0].GetValue() != "PythonLauncher" {
					continue
				}
				v := mt.GetGauge().GetValue() + mt.GetCounter().GetValue()
				got[f.GetName()] = v
			}
		}
		for name, v := range want {
			if got[name] != v {
				t.Errorf("%s = %v, want %v", name, got[name], v)
			}
		}
	}
	check()
	ready, want["launchpad_warm_ready"] = 2, 2
	check()
}
