package pool

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openlaunchpad/launchpad/host/job"
)

// Rule places the jobs of a caller and language in a pool: classifier {
// rule { caller = "group:analysts"  language = "R"  pool = "big" } }.
// An empty Caller or Language matches every caller or language.
type Rule struct {
	// Caller is "user:NAME", "group:NAME", "uid:N" or "cert:COMMON-NAME".
	Caller   string
	Language string
	Pool     string
}

// Classifier picks a job's pool: the first rule that matches, else the
// default pool.
type Classifier struct{ rules []Rule }

// NewClassifier checks the rules' callers.
func NewClassifier(rules []Rule) (*Classifier, error) {
	for i, r := range rules {
		if err := ValidCaller(r.Caller); r.Caller != "" && err != nil {
			return nil, fmt.Errorf("rule %d: %w", i+1, err)
		}
		if err := ValidName(r.Pool); err != nil {
			return nil, fmt.Errorf("rule %d: %w", i+1, err)
		}
	}
	return &Classifier{rules: slices.Clone(rules)}, nil
}

// Classify returns the pool of a job of caller id in language. A job
// without an identity (an in-process caller) matches only rules that name
// no caller.
func (c *Classifier) Classify(id *job.Identity, language string) string {
	if c == nil {
		return DefaultName
	}
	for _, r := range c.rules {
		if (r.Language == "" || strings.EqualFold(r.Language, language)) && (r.Caller == "" || id != nil && matchCaller(r.Caller, id)) {
			return r.Pool
		}
	}
	return DefaultName
}

// ValidCaller checks a rule's caller: "user:NAME", "group:NAME", "uid:N"
// or "cert:COMMON-NAME".
func ValidCaller(s string) error {
	kind, name, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return fmt.Errorf("caller %q: want user:NAME, group:NAME, uid:N or cert:COMMON-NAME", s)
	}
	switch kind {
	case "user", "group", "cert":
		return nil
	case "uid":
		if n, err := strconv.Atoi(name); err != nil || n < 0 {
			return fmt.Errorf("caller %q: the uid is not a number", s)
		}
		return nil
	}
	return fmt.Errorf("caller %q: want user:NAME, group:NAME, uid:N or cert:COMMON-NAME", s)
}

// matchCaller reports whether caller (checked by ValidCaller) names id.
// user, group and uid name local users (on the unix socket), cert a
// client certificate's common name.
func matchCaller(caller string, id *job.Identity) bool {
	kind, name, _ := strings.Cut(caller, ":")
	local := id.Cert == ""
	switch kind {
	case "user":
		return local && id.Name == name
	case "group":
		return local && slices.Contains(id.Groups, name)
	case "uid":
		n, err := strconv.Atoi(name)
		return local && err == nil && id.UID == n
	case "cert":
		return !local && id.Cert == name
	}
	return false
}
