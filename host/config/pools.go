package config

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/openlaunchpad/launchpad/host/pool"
)

// Pool is an external resource pool: pool "NAME" { … }. Its limits bind
// all of its jobs together, beside each job's own limits { }. pool
// "default" always exists (20% of memory unless redefined).
type Pool struct {
	Name string `hcl:"name,label"`
	// MaxMemoryPercent: percent of the host's memory all of the pool's
	// jobs may hold together. 1..100; default 20 for "default", else 100.
	MaxMemoryPercent *int `hcl:"max_memory_percent,optional"`
	// MaxCPUPercent: the pool's jobs together get at most this percent of
	// all CPUs (a CFS quota). 1..100; default 100 (no cap).
	MaxCPUPercent *int `hcl:"max_cpu_percent,optional"`
	// CPUWeight: the pool's share when pools contend for CPU. 1..10000;
	// default max_cpu_percent, so contending pools split the CPU in the
	// ratio of their max_cpu_percent.
	CPUWeight *int `hcl:"cpu_weight,optional"`
	// MaxProcesses caps the processes and threads of all of the pool's
	// jobs together. At least 8; default none of the pool's own.
	MaxProcesses *int64 `hcl:"max_processes,optional"`
	// MaxJobs: most of the pool's jobs that run at once. Default none of
	// the pool's own (sandbox { workers } still bounds them).
	MaxJobs *int `hcl:"max_jobs,optional"`
	// QueueTimeout: how long a job waits for one of the pool's max_jobs
	// slots before it fails with a pool limit error. Default
	// sandbox { queue_timeout }.
	QueueTimeout string `hcl:"queue_timeout,optional"`
}

// Classifier places jobs in pools: classifier { rule { … } … }, the
// first matching rule wins, else pool "default".
type Classifier struct {
	Rules []ClassifierRule `hcl:"rule,block"`
}

// ClassifierRule is one rule: caller and language (each optional, any
// when left out) and the pool.
type ClassifierRule struct {
	Caller   string `hcl:"caller,optional"`
	Language string `hcl:"language,optional"`
	Pool     string `hcl:"pool"`
}

// PoolSpecs are the configured pools, the default one included
// (Normalize made them).
func (c *Config) PoolSpecs() []pool.Spec { return c.pools }

// ClassifierRules are the classifier's rules in order.
func (c *Config) ClassifierRules() []pool.Rule {
	if c.Classifier == nil {
		return nil
	}
	out := make([]pool.Rule, 0, len(c.Classifier.Rules))
	for _, r := range c.Classifier.Rules {
		out = append(out, pool.Rule{Caller: r.Caller, Language: r.Language, Pool: r.Pool})
	}
	return out
}

// makePools checks the pool and classifier blocks and makes the specs.
func (c *Config) makePools(queueTimeout time.Duration) ([]pool.Spec, hcl.Diagnostics) {
	var d hcl.Diagnostics
	var specs []pool.Spec
	seen := map[string]bool{}
	for _, p := range c.Pools {
		key := "pool." + p.Name
		if seen[p.Name] {
			d = append(d, c.Problem(key, "pool %q is defined twice", p.Name))
			continue
		}
		seen[p.Name] = true
		s, diags := c.poolSpec(p, key, queueTimeout)
		d = append(d, diags...)
		specs = append(specs, s)
	}
	specs = pool.WithDefault(specs, pool.DefaultSpec(queueTimeout))
	if c.Classifier != nil {
		for i, r := range c.Classifier.Rules {
			key := fmt.Sprintf("classifier.rule[%d]", i)
			if r.Caller != "" {
				if err := pool.ValidCaller(r.Caller); err != nil {
					d = append(d, c.Problem(key+".caller", "%v", err))
				}
			}
			if r.Pool != pool.DefaultName && !seen[r.Pool] {
				d = append(d, c.Problem(key+".pool", "%q: no such pool (define pool %q { } or use \"default\")", r.Pool, r.Pool))
			}
		}
	}
	return specs, d
}

// poolSpec fills a pool's defaults and checks its values.
func (c *Config) poolSpec(p Pool, key string, queueTimeout time.Duration) (pool.Spec, hcl.Diagnostics) {
	var d hcl.Diagnostics
	s := pool.Spec{Name: p.Name, MaxMemoryPercent: 100, MaxCPUPercent: pool.DefaultMaxCPUPercent, QueueTimeout: queueTimeout}
	if p.Name == pool.DefaultName {
		s.MaxMemoryPercent = pool.DefaultMaxMemoryPercent
	}
	if err := pool.ValidName(p.Name); err != nil {
		d = append(d, c.Problem(key, "%v", err))
	}
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&s.MaxMemoryPercent, p.MaxMemoryPercent)
	set(&s.MaxCPUPercent, p.MaxCPUPercent)
	s.CPUWeight = s.MaxCPUPercent
	set(&s.CPUWeight, p.CPUWeight)
	set(&s.MaxJobs, p.MaxJobs)
	if p.MaxProcesses != nil {
		s.MaxProcesses = *p.MaxProcesses
	}
	if t, err := duration(p.QueueTimeout, queueTimeout, 0); err != nil {
		d = append(d, c.Problem(key+".queue_timeout", "%q: %v", p.QueueTimeout, err))
	} else {
		s.QueueTimeout = t
	}
	if err := s.Validate(); err != nil && len(d) == 0 {
		d = append(d, c.Problem(key+"."+settingOf(err.Error()), "%v", err))
	}
	return s, d
}

// settingOf is the setting a pool.Spec error starts with.
func settingOf(msg string) string {
	for i, r := range msg {
		if r == ' ' {
			return msg[:i]
		}
	}
	return msg
}
