package grant

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/job"
)

var (
	alice = job.Identity{Name: "alice", UID: 1001, Groups: []string{"alice", "analysts"}}
	bob   = job.Identity{Name: "bob", UID: 1002, Groups: []string{"bob"}}
	root  = job.Identity{Name: "root", UID: 0, Groups: []string{"root"}}
	// A certificate whose CN is an account's name is not that account.
	certAlice = job.Identity{Name: "alice", UID: -1, Cert: "alice"}
)

func TestParseSubject_RefusesWhatNamesNoOne(t *testing.T) {
	for _, bad := range []string{"", "alice", "user:", "role:x", "uid:-1", "uid:abc", "uid:01", "group: x", "USER:alice"} {
		if _, _, err := ParseSubject(bad); !errors.Is(err, ErrBadSubject) {
			t.Errorf("ParseSubject(%q) = %v, want ErrBadSubject", bad, err)
		}
	}
	for s, want := range map[string][2]string{"user:alice": {"user", "alice"}, "uid:0": {"uid", "0"},
		"cert:host.example.com": {"cert", "host.example.com"}, "group:a:b": {"group", "a:b"}} {
		k, n, err := ParseSubject(s)
		if err != nil || k != want[0] || n != want[1] {
			t.Errorf("ParseSubject(%q) = %q, %q, %v", s, k, n, err)
		}
	}
}

func TestGrant_MatchesOnlyItsKindOfCaller(t *testing.T) {
	cases := []struct {
		subject string
		id      job.Identity
		want    bool
	}{
		{"user:alice", alice, true},
		{"user:alice", bob, false},
		{"user:alice", certAlice, false},
		{"group:analysts", alice, true},
		{"group:analysts", bob, false},
		{"uid:1002", bob, true},
		{"uid:1002", alice, false},
		{"uid:0", root, true},
		{"cert:alice", certAlice, true},
		{"cert:alice", alice, false},
		{"cert:bob", certAlice, false},
	}
	for _, c := range cases {
		g := Grant{Subject: c.subject}
		if got := g.Matches(c.id); got != c.want {
			t.Errorf("%s matches %+v = %v, want %v", c.subject, c.id, got, c.want)
		}
	}
}

func TestGrants_UniteEveryMatchingGrant(t *testing.T) {
	g, err := New(true, []Grant{
		{Subject: "group:analysts", Languages: []string{"Python"}, ReadTables: []string{"sales"}, Pools: []string{"default"}},
		{Subject: "user:alice", Languages: []string{"R", "python"}, WriteTables: []string{"scores"}, Pools: []string{"big"}},
		{Subject: "user:bob", Languages: []string{"*"}, ReadTables: []string{"*"}, Admin: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := g.For(alice)
	want := Set{Languages: []string{"Python", "R"}, ReadTables: []string{"sales"}, WriteTables: []string{"scores"},
		Pools: []string{"default", "big"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("alice's grants = %+v, want %+v", got, want)
	}
	if p := g.Pools(alice); !reflect.DeepEqual(p, []string{"default", "big"}) {
		t.Errorf("Pools(alice) = %v", p)
	}
	if s := g.For(bob); !s.Admin || !reflect.DeepEqual(s.ReadTables, []string{"*"}) {
		t.Errorf("bob's grants = %+v, want admin and every table", s)
	}
	if s := g.For(root); !s.Admin || len(s.Languages) != 0 {
		t.Errorf("root without a grant = %+v, want admin and no language", s)
	}
	if s := g.For(job.Identity{Name: "root", UID: -1, Cert: "root"}); s.Admin {
		t.Error("a certificate named root is admin")
	}
}

func TestGrants_CheckRefusesNamingCallerAndWhatIsMissing(t *testing.T) {
	g, err := New(true, []Grant{{Subject: "user:alice", Languages: []string{"Python"}, WriteTables: []string{"scores"},
		ReadTables: []string{"sales"}}})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := g.Check(alice, "PYTHON", "Scores", "default")
	if err != nil || !reflect.DeepEqual(acc, &job.Access{ReadTables: []string{"sales"}, WriteTables: []string{"scores"}}) {
		t.Fatalf("alice, Python into scores: %+v, %v", acc, err)
	}
	off, _ := New(false, []Grant{{Subject: "user:alice", Languages: []string{"*"}}})
	big, _ := New(true, []Grant{{Subject: "user:alice", Languages: []string{"*"}, Pools: []string{"big"}}})
	if _, err := big.Check(alice, "R", "", "big"); err != nil {
		t.Fatalf("alice in her granted pool: %v", err)
	}
	for _, c := range []struct {
		g                     *Grants
		id                    job.Identity
		language, table, pool string
		want                  string
	}{
		{g, alice, "R", "", "", "permission denied: caller alice (1001) has no grant for language R"},
		{g, alice, "Python", "sales", "", "permission denied: caller alice (1001) has no grant to write table sales"},
		{g, bob, "Python", "", "", "permission denied: caller bob (1002) has no grant for language Python"},
		{g, certAlice, "Python", "", "", "permission denied: caller cert:alice has no grant for language Python"},
		{off, alice, "Python", "", "", "permission denied: caller alice (1001): external scripts are disabled"},
		// No pools named: the default pool only.
		{g, alice, "Python", "", "big", "permission denied: caller alice (1001) has no grant for resource pool big"},
		{big, alice, "Python", "", "default", "permission denied: caller alice (1001) has no grant for resource pool default"},
	} {
		_, err := c.g.Check(c.id, c.language, c.table, c.pool)
		if !errors.Is(err, ErrPermissionDenied) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Check(%s, %s, %q) = %v, want %q", Caller(c.id), c.language, c.table, err, c.want)
		}
	}
}

func TestNew_RefusesABadSubject(t *testing.T) {
	if _, err := New(true, []Grant{{Subject: "user:a"}, {Subject: "team:x"}}); !errors.Is(err, ErrBadSubject) {
		t.Errorf("New with team:x = %v", err)
	}
}

func TestGrants_SQLLoginMapsTheCaller(t *testing.T) {
	g, err := New(true, []Grant{
		{Subject: "user:alice", Languages: []string{"R"}, ReadTables: []string{"*"}, SQLLogin: `DOMAIN\alice`},
		{Subject: "group:analysts", Languages: []string{"Python"}, SQLLogin: `DOMAIN\alice`},
	})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := g.Check(alice, "R", "", "")
	if err != nil || acc.Login != `DOMAIN\alice` {
		t.Fatalf("alice's login: %+v, %v", acc, err)
	}
	two, _ := New(true, []Grant{
		{Subject: "user:alice", Languages: []string{"R"}, SQLLogin: `DOMAIN\alice`},
		{Subject: "group:analysts", Languages: []string{"R"}, SQLLogin: `DOMAIN\analysts`},
	})
	if _, err := two.Check(alice, "R", "", ""); !errors.Is(err, ErrPermissionDenied) || !strings.Contains(err.Error(), `DOMAIN\analysts`) {
		t.Fatalf("two logins: %v", err)
	}
}
