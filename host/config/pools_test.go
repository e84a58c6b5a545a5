package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openlaunchpad/launchpad/host/pool"
)

func TestLoad_Pools(t *testing.T) {
	c, err := Load(write(t, `
sandbox { queue_timeout = "45s" }
pool "big" {
  max_memory_percent = 50
  max_cpu_percent    = 75
  max_processes      = 500
  max_jobs           = 4
  queue_timeout      = "30s"
}
pool "small" {
  max_memory_percent = 10
  cpu_weight         = 300
}
classifier {
  rule {
    caller   = "group:analysts"
    language = "R"
    pool     = "big"
  }
  rule {
    caller = "cert:ci"
    pool   = "small"
  }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []pool.Spec{
		{Name: "big", MaxMemoryPercent: 50, MaxCPUPercent: 75, CPUWeight: 75, MaxProcesses: 500, MaxJobs: 4, QueueTimeout: 30 * time.Second},
		{Name: "small", MaxMemoryPercent: 10, MaxCPUPercent: 100, CPUWeight: 300, QueueTimeout: 45 * time.Second},
		{Name: "default", MaxMemoryPercent: 20, MaxCPUPercent: 100, CPUWeight: 100, QueueTimeout: 45 * time.Second},
	}
	if got := c.PoolSpecs(); !reflect.DeepEqual(got, want) {
		t.Errorf("pools\n got %+v\nwant %+v", got, want)
	}
	rules := []pool.Rule{{Caller: "group:analysts", Language: "R", Pool: "big"}, {Caller: "cert:ci", Pool: "small"}}
	if got := c.ClassifierRules(); !reflect.DeepEqual(got, rules) {
		t.Errorf("rules %+v, want %+v", got, rules)
	}
}

func TestLoad_DefaultPoolAlwaysExists(t *testing.T) {
	c, err := Load(write(t, "pool \"default\" {\n  max_memory_percent = 35\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.PoolSpecs(); len(got) != 1 || got[0].Name != "default" || got[0].MaxMemoryPercent != 35 {
		t.Errorf("pools %+v, want the operator's default pool only", got)
	}
	c, err = Load(write(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.PoolSpecs(); len(got) != 1 || got[0].MaxMemoryPercent != pool.DefaultMaxMemoryPercent {
		t.Errorf("pools %+v, want the built-in default pool", got)
	}
}

func TestLoad_BadPoolsNameFileLineAndSetting(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"MemoryPercent", "pool \"a\" {\n  max_memory_percent = 0\n}", ":2: pool.a.max_memory_percent: max_memory_percent 0: want 1..100"},
		{"CPUPercent", "pool \"a\" {\n  max_cpu_percent = 150\n}", ":2: pool.a.max_cpu_percent"},
		{"Weight", "pool \"a\" {\n  cpu_weight = 0\n}", ":2: pool.a.cpu_weight"},
		{"Processes", "pool \"a\" {\n  max_processes = 3\n}", ":2: pool.a.max_processes"},
		{"Jobs", "pool \"a\" {\n  max_jobs = -1\n}", ":2: pool.a.max_jobs"},
		{"QueueTimeout", "pool \"a\" {\n  queue_timeout = \"later\"\n}", ":2: pool.a.queue_timeout"},
		{"Name", "pool \"a b\" {\n}", ":1: pool.a b: pool name \"a b\""},
		{"Twice", "pool \"a\" {\n}\npool \"a\" {\n}", ":3: pool.a: pool \"a\" is defined twice"},
		{"RulePool", "classifier {\n  rule {\n    pool = \"x\"\n  }\n  rule {\n    pool = \"nowhere\"\n  }\n}",
			":6: classifier.rule[1].pool: \"nowhere\": no such pool"},
		{"RuleCaller", "classifier {\n  rule {\n    caller = \"alice\"\n    pool = \"default\"\n  }\n}", ":3: classifier.rule[0].caller: caller \"alice\""},
		{"RuleNoPool", "classifier {\n  rule {\n    language = \"R\"\n  }\n}", ":2: Missing required argument: The argument \"pool\" is required"},
		{"Unknown", "pool \"a\" {\n  max_memory = 3\n}", ":2: pool.a.max_memory: Unsupported argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := write(t, tc.body)
			_, err := Load(file)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), file+tc.want) {
				t.Errorf("error %v\ndoes not name %q", err, file+tc.want)
			}
		})
	}
}

// The example in docs/operations.md is a configuration the host takes.
func TestOperationsPoolsExample_Parses(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Resource pools and the classifier")
	_, rest, ok2 := strings.Cut(rest, "```hcl\n")
	block, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("docs/operations.md has no pools section with an hcl block")
	}
	c, err := Load(write(t, block))
	if err != nil {
		t.Fatalf("the example is refused: %v\n%s", err, block)
	}
	if s := c.PoolSpecs(); len(s) != 2 || s[0].Name != "big" || s[0].CPUWeight != 300 || len(c.ClassifierRules()) != 2 {
		t.Errorf("example read as %+v, rules %+v", s, c.ClassifierRules())
	}
}
