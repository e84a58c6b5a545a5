package grant

import (
	"fmt"
	"slices"
	"strings"

	"github.com/openlaunchpad/launchpad/host/job"
)

// Grants are a host's switch and grant blocks, as of the last (re)load.
// A Grants is never changed once made; a reload makes a new one.
type Grants struct {
	enabled bool
	list    []Grant
}

// New checks every grant's subject and returns the set.
func New(enabled bool, list []Grant) (*Grants, error) {
	for _, g := range list {
		if _, _, err := ParseSubject(g.Subject); err != nil {
			return nil, err
		}
	}
	return &Grants{enabled: enabled, list: slices.Clone(list)}, nil
}

// Enabled reports external_scripts_enabled.
func (g *Grants) Enabled() bool { return g.enabled }

// Set is the union of every grant that matches one caller.
type Set struct {
	Languages, ReadTables, WriteTables, Pools []string
	Admin                                     bool
	// SQLLogins are the distinct sql_login of the matching grants; Check
	// refuses a caller mapped to more than one.
	SQLLogins []string
}

// For unites the grants that match id. Root on the unix socket is always
// admin (it may read the host's state anyway), but it runs only the
// languages granted to it.
func (g *Grants) For(id job.Identity) Set {
	s := Set{Admin: id.Cert == "" && id.UID == 0}
	for i := range g.list {
		gr := &g.list[i]
		if !gr.Matches(id) {
			continue
		}
		s.Languages = union(s.Languages, gr.Languages)
		s.ReadTables = union(s.ReadTables, gr.ReadTables)
		s.WriteTables = union(s.WriteTables, gr.WriteTables)
		s.Pools = union(s.Pools, gr.Pools)
		s.Admin = s.Admin || gr.Admin
		if gr.SQLLogin != "" && !slices.Contains(s.SQLLogins, gr.SQLLogin) {
			s.SQLLogins = append(s.SQLLogins, gr.SQLLogin)
		}
	}
	return s
}

// Pools are the resource pools id's grants name (for the pool classifier).
func (g *Grants) Pools(id job.Identity) []string { return g.For(id).Pools }

// Check decides whether id may run a job in language writing into table
// ("" for none) in resource pool ("" for none: a host without pools) and
// returns what the job may do with data. A caller whose grants name no
// pool may use the default pool only. A refusal wraps ErrPermissionDenied
// and names the caller and what was missing.
func (g *Grants) Check(id job.Identity, language, table, pool string) (*job.Access, error) {
	who := Caller(id)
	if !g.enabled {
		return nil, fmt.Errorf("%w: caller %s: external scripts are disabled on this host (external_scripts_enabled = false)",
			ErrPermissionDenied, who)
	}
	s := g.For(id)
	if !Allows(s.Languages, language) {
		return nil, fmt.Errorf("%w: caller %s has no grant for language %s", ErrPermissionDenied, who, language)
	}
	if table != "" && !Allows(s.WriteTables, table) {
		return nil, fmt.Errorf("%w: caller %s has no grant to write table %s", ErrPermissionDenied, who, table)
	}
	pools := s.Pools
	if len(pools) == 0 {
		pools = []string{"default"}
	}
	if pool != "" && !Allows(pools, pool) {
		return nil, fmt.Errorf("%w: caller %s has no grant for resource pool %s (the classifier's choice for this job)",
			ErrPermissionDenied, who, pool)
	}
	if len(s.SQLLogins) > 1 {
		return nil, fmt.Errorf("%w: caller %s: its grants map it to more than one SQL Server login (sql_login %s)",
			ErrPermissionDenied, who, strings.Join(s.SQLLogins, ", "))
	}
	acc := &job.Access{ReadTables: s.ReadTables, WriteTables: s.WriteTables}
	if len(s.SQLLogins) == 1 {
		acc.Login = s.SQLLogins[0]
	}
	return acc, nil
}

// Allows reports whether list names name, case-insensitively (languages
// and SQL table names are), or holds "*".
func Allows(list []string, name string) bool {
	return slices.ContainsFunc(list, func(v string) bool { return v == "*" || strings.EqualFold(v, name) })
}

// union adds b's names not in a (case-insensitively); a "*" makes it
// just "*".
func union(a, b []string) []string {
	for _, v := range b {
		if v == "*" {
			return []string{"*"}
		}
		if !Allows(a, v) {
			a = append(a, v)
		}
	}
	return a
}
