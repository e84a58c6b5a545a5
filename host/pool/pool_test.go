package pool

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/job"
)

func spec(name string, maxJobs int, timeout time.Duration) Spec {
	s := DefaultSpec(timeout)
	s.Name, s.MaxJobs = name, maxJobs
	return s
}

func TestClassifier_FirstMatchWins(t *testing.T) {
	c, err := NewClassifier([]Rule{
		{Caller: "user:alice", Language: "R", Pool: "alice-r"},
		{Caller: "group:analysts", Pool: "analysts"},
		{Caller: "uid:1001", Pool: "uid"},
		{Caller: "cert:ci-runner", Pool: "ci"},
		{Language: "python", Pool: "py"},
	})
	if err != nil {
		t.Fatal(err)
	}
	alice := &job.Identity{Name: "alice", UID: 1000, Groups: []string{"analysts"}}
	tests := map[string]struct {
		id   *job.Identity
		lang string
		want string
	}{
		"user and language":            {alice, "R", "alice-r"},
		"language is case-insensitive": {alice, "r", "alice-r"},
		"then the group":               {alice, "Python", "analysts"},
		"uid":                          {&job.Identity{Name: "bob", UID: 1001}, "R", "uid"},
		"certificate":                  {&job.Identity{Name: "ci-runner", UID: -1, Cert: "ci-runner"}, "R", "ci"},
		"a cert is not a local user":   {&job.Identity{Name: "alice", UID: -1, Cert: "alice"}, "R", DefaultName},
		"language-only rule":           {&job.Identity{Name: "carol", UID: 1002}, "Python", "py"},
		"nothing matches":              {&job.Identity{Name: "carol", UID: 1002}, "R", DefaultName},
		"in-process caller":            {nil, "Python", "py"},
		"in-process caller, no rule":   {nil, "R", DefaultName},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := c.Classify(tt.id, tt.lang); got != tt.want {
				t.Errorf("Classify = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestValidCaller(t *testing.T) {
	for s, ok := range map[string]bool{
		"user:alice": true, "group:a b": true, "uid:0": true, "cert:x.example": true,
		"uid:x": false, "uid:-1": false, "alice": false, "user:": false, "host:x": false,
	} {
		if err := ValidCaller(s); (err == nil) != ok {
			t.Errorf("ValidCaller(%q) = %v, want ok=%v", s, err, ok)
		}
	}
}

func TestNew_RefusesBadPools(t *testing.T) {
	def := DefaultSpec(time.Second)
	tests := map[string]struct {
		specs []Spec
		rules []Rule
		want  string
	}{
		"no default":       {[]Spec{spec("a", 0, time.Second)}, nil, `no "default" pool`},
		"twice":            {[]Spec{def, def}, nil, "defined twice"},
		"rule to nowhere":  {[]Spec{def}, []Rule{{Pool: "big"}}, `names pool "big"`},
		"bad caller":       {[]Spec{def}, []Rule{{Caller: "who", Pool: DefaultName}}, "caller"},
		"memory over 100%": {[]Spec{{Name: DefaultName, MaxMemoryPercent: 101, MaxCPUPercent: 100, CPUWeight: 1}}, nil, "max_memory_percent"},
		"bad name":         {[]Spec{def, spec("../x", 0, 0)}, nil, "pool name"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := New(tt.specs, tt.rules)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSpec_Limits(t *testing.T) {
	s := Spec{Name: "a", MaxMemoryPercent: 25, MaxCPUPercent: 50, CPUWeight: 300, MaxProcesses: 64}
	got := s.Limits(Capacity{MemoryBytes: 8 << 30, CPUs: 4})
	if got.MemoryBytes != 2<<30 || got.CPUQuotaMillis != 2000 || got.CPUShares != 3072 || got.MaxProcs != 64 {
		t.Errorf("Limits = %+v", got)
	}
	if got := DefaultSpec(0).Limits(Capacity{MemoryBytes: 10 << 30, CPUs: 2}); got.CPUQuotaMillis != 0 || got.MemoryBytes != 2<<30 {
		t.Errorf("default pool limits = %+v, want 20%% of memory and no CPU quota", got)
	}
}

func TestPools_QueueWaitsThenTimesOut(t *testing.T) {
	p, err := New([]Spec{spec(DefaultName, 1, 50*time.Millisecond), spec("other", 1, time.Second)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	release, err := p.Admit(ctx, DefaultName)
	if err != nil {
		t.Fatal(err)
	}
	// A full pool does not hold up another pool.
	r2, err := p.Admit(ctx, "other")
	if err != nil {
		t.Fatalf("other pool: %v", err)
	}
	r2()
	start := time.Now()
	_, err = p.Admit(ctx, DefaultName)
	if !errors.Is(err, job.ErrPoolFull) || !strings.Contains(err.Error(), `pool "default"`) {
		t.Fatalf("err = %v, want ErrPoolFull naming the pool", err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Errorf("gave up after %s, before the queue timeout", waited)
	}
	if f := p.Figures(nil)[0]; f.Running != 1 || f.Queued != 0 {
		t.Errorf("figures %+v, want 1 running, 0 queued", f)
	}
	release()
	release() // twice gives back one slot only
	if f := p.Figures(nil)[0]; f.Running != 0 {
		t.Errorf("running %d after release, want 0", f.Running)
	}
	if _, err := p.Admit(ctx, "nope"); !errors.Is(err, job.ErrUnknownPool) {
		t.Errorf("unknown pool err = %v", err)
	}
}

func TestPools_ReleaseAndReloadAdmitWaiters(t *testing.T) {
	p, err := New([]Spec{spec(DefaultName, 1, 10*time.Second)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, _ := p.Admit(ctx, DefaultName)
	admitted := make(chan func(), 2)
	for range 2 {
		go func() {
			r, err := p.Admit(ctx, DefaultName)
			if err != nil {
				t.Error(err)
			}
			admitted <- r
		}()
	}
	waitQueued(t, p, 2)
	first()
	r := <-admitted
	if f := p.Figures(nil)[0]; f.Running != 1 || f.Queued != 1 {
		t.Errorf("after one release: %+v, want 1 running, 1 queued", f)
	}
	// A reload raising max_jobs lets the last one in at once.
	if err := p.Update([]Spec{spec(DefaultName, 2, 10*time.Second)}, nil); err != nil {
		t.Fatal(err)
	}
	r2 := <-admitted
	r()
	r2()
	if f := p.Figures(nil)[0]; f.Running != 0 || f.Queued != 0 {
		t.Errorf("at the end: %+v", f)
	}
}

func TestPools_CancelLeavesTheQueue(t *testing.T) {
	p, _ := New([]Spec{spec(DefaultName, 1, 10*time.Second)}, nil)
	release, _ := p.Admit(context.Background(), DefaultName)
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { _, err := p.Admit(ctx, DefaultName); done <- err }()
	waitQueued(t, p, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if f := p.Figures(nil)[0]; f.Queued != 0 || f.Running != 1 {
		t.Errorf("figures %+v, want the cancelled job gone from the queue", f)
	}
}

func waitQueued(t *testing.T, p *Pools, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for p.Figures(nil)[0].Queued < n {
		if time.Now().After(deadline) {
			t.Fatalf("never %d queued", n)
		}
		time.Sleep(time.Millisecond)
	}
}
