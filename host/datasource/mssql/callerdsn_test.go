package mssql

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/datasource"
	"github.com/openlaunchpad/launchpad/host/datasource/dstest"
	"github.com/openlaunchpad/launchpad/internal/tdsfake"
)

func mustAllow(t *testing.T, patterns ...string) HostAllowlist {
	t.Helper()
	a, err := ParseHostAllowlist(patterns)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCheckCallerDSN_RefusesFileOptionsAndOtherHosts is finding 12: options
// that make the root host read a file or reach another host are refused
// before go-mssqldb parses the string, and so are hosts the operator did
// not list.
func TestCheckCallerDSN_RefusesFileOptionsAndOtherHosts(t *testing.T) {
	allow := mustAllow(t, "db1:1433", "*.corp", "10.0.0.5")
	cases := map[string]struct {
		dsn  string
		want string // "" = allowed
	}{
		"allowed host and port":    {"sqlserver://u:p@db1:1433?database=sales&encrypt=true", ""},
		"default port":             {"sqlserver://u:p@db1?database=sales", ""},
		"wildcard domain any port": {"sqlserver://u:p@sql.eu.corp:14333?database=x", ""},
		"ip any port":              {"sqlserver://u:p@10.0.0.5:2000", ""},
		"upper-case option":        {"sqlserver://u:p@db1?Database=x&TrustServerCertificate=true", ""},
		"certificate file":         {"sqlserver://u:p@db1?certificate=/etc/shadow", `option "certificate"`},
		"server certificate file":  {"sqlserver://u:p@db1?ServerCertificate=/root/.ssh/id_rsa", `option "servercertificate"`},
		"krb5 config":              {"sqlserver://u:p@db1?authenticator=krb5&krb5-configfile=/etc/shadow", `not allowed`},
		"krb5 keytab":              {"sqlserver://u:p@db1?krb5-keytabfile=/etc/krb5.keytab", `option "krb5-keytabfile"`},
		"krb5 cred cache":          {"sqlserver://u:p@db1?krb5-credcachefile=/tmp/krb5cc_0", `option "krb5-credcachefile"`},
		"failover partner":         {"sqlserver://u:p@db1?failoverpartner=evil", `option "failoverpartner"`},
		"server override":          {"sqlserver://u:p@db1?server=evil", `option "server"`},
		"port override":            {"sqlserver://u:p@db1?port=22", `option "port"`},
		"protocol":                 {"sqlserver://u:p@db1?protocol=admin", `option "protocol"`},
		"timezone":                 {"sqlserver://u:p@db1?timezone=Europe/Paris", `option "timezone"`},
		"log":                      {"sqlserver://u:p@db1?log=63", `option "log"`},
		"column encryption":        {"sqlserver://u:p@db1?columnencryption=true", `option "columnencryption"`},
		"other host":               {"sqlserver://u:p@evil:1433", `host evil:1433 is not in`},
		"allowed host, other port": {"sqlserver://u:p@db1:22", `host db1:22 is not in`},
		"wildcard needs a label":   {"sqlserver://u:p@corp", `host corp:1433`},
		"suffix trick":             {"sqlserver://u:p@evilcorp:1433", `host evilcorp:1433`},
		"userinfo trick":           {"sqlserver://db1:1433@evil", `host evil:1433`},
		"empty host is localhost":  {"sqlserver://u:p@", `host localhost:1433`},
		"ado form":                 {"server=db1;user id=u;password=p;certificate=/etc/shadow", `sqlserver:// URL`},
		"odbc form":                {"odbc:server=db1;certificate=/etc/shadow", `sqlserver:// URL`},
		"sqlite path":              {"/var/lib/launchpad/instance.db", `sqlserver:// URL`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			err := CheckCallerDSN(c.dsn, allow)
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrDataSourceRefused) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want ErrDataSourceRefused with %q", err, c.want)
			}
			if strings.Contains(err.Error(), ":p@") || strings.Contains(err.Error(), "password=p") {
				t.Fatalf("error carries credentials: %v", err)
			}
		})
	}
	if err := CheckCallerDSN("sqlserver://u:p@db1", HostAllowlist{}); !errors.Is(err, ErrDataSourceRefused) ||
		!strings.Contains(err.Error(), "allow_hosts") {
		t.Fatalf("empty allowlist: %v", err)
	}
}

func TestParseHostAllowlist_RejectsBadPatterns(t *testing.T) {
	for _, p := range []string{"", "*", "db:0", "db:99999", "db:x", "a/b", "*.*.corp", "sqlserver://db", "db;x"} {
		if _, err := ParseHostAllowlist([]string{p}); err == nil {
			t.Errorf("pattern %q accepted", p)
		}
	}
}

// TestOpenCallerSQLServer_NoFileOracle: through the TDS fake, a certificate
// naming an existing root-only file and one naming a missing file give the
// same refusal, and the allowed form connects.
func TestOpenCallerSQLServer_NoFileOracle(t *testing.T) {
	srv := startFake(t)
	dsn := srv.DSN(fakeUser, fakePassword)
	host, port, err := net.SplitHostPort(strings.SplitN(strings.SplitN(dsn, "@", 2)[1], "?", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	allow := mustAllow(t, net.JoinHostPort(host, port))
	ctx := context.Background()
	var msgs []string
	for _, file := range []string{"/etc/shadow", "/nonexistent/cert.pem"} {
		_, err := OpenCaller(ctx, dsn+"&certificate="+file, allow)
		if !errors.Is(err, ErrDataSourceRefused) {
			t.Fatalf("certificate=%s: %v, want ErrDataSourceRefused", file, err)
		}
		msgs = append(msgs, err.Error())
	}
	if msgs[0] != msgs[1] {
		t.Fatalf("refusals differ (a file-existence oracle):\n%s\n%s", msgs[0], msgs[1])
	}
	src, err := OpenCaller(ctx, dsn, allow)
	if err != nil {
		t.Fatalf("allowed data source: %v", err)
	}
	defer src.Close()
	if got := dstest.Drain(t, dstest.MustQuery(t, src, mssqlEmptyQuery)); len(got) != 0 {
		t.Fatalf("rows = %v", got)
	}
	if _, err := OpenCaller(ctx, dsn, mustAllow(t, "db1")); !errors.Is(err, ErrDataSourceRefused) {
		t.Fatalf("host not allowed: %v", err)
	}
}

// TestSQLServer_ValueLimitNamesColumn: the generic row reader refuses a
// value beyond the limit from go-mssqldb, naming the column and row.
func TestSQLServer_ValueLimitNamesColumn(t *testing.T) {
	srv := startFake(t)
	q := "SELECT id, note FROM big"
	srv.SetResult(q, tdsfake.Result{
		Columns: []tdsfake.Column{{Name: "id", Type: "bigint", Nullable: true}, {Name: "note", Type: "nvarchar(max)", Nullable: true}},
		Rows:    [][]any{{int64(1), "short"}, {int64(2), strings.Repeat("x", 5000)}},
	})
	src, err := Open(context.Background(), srv.DSN(fakeUser, fakePassword), datasource.WithValueLimit(4096))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	err = dstest.DrainErr(src, q)
	if !errors.Is(err, datasource.ErrValueTooLarge) || !strings.Contains(err.Error(), `column "note" row 2: value of 5000 bytes exceeds the value limit of 4 KiB`) {
		t.Fatalf("error = %v", err)
	}
}
