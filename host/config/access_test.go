package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/host/grant"
	"github.com/openlaunchpad/launchpad/internal/testcert"
)

func TestLoad_GrantsAndListener(t *testing.T) {
	dir := t.TempDir()
	ca, err := testcert.NewCA(dir, "clients")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Server(dir, "host")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(write(t, fmt.Sprintf(`
external_scripts_enabled = true
grant "group:analysts" {
  languages    = ["Python", "R"]
  read_tables  = ["sales"]
  write_tables = ["scores"]
  pools        = ["default"]
  sql_login    = "DOMAIN\\analysts"
}
grant "cert:ci.example.com" {
  languages = ["*"]
  admin     = true
}
listener "tcp" {
  address   = "127.0.0.1:7071"
  cert      = %q
  key       = %q
  client_ca = %q
}
`, srv.Cert, srv.Key, ca.File)))
	if err != nil {
		t.Fatal(err)
	}
	want := []grant.Grant{
		{Subject: "group:analysts", Languages: []string{"Python", "R"}, ReadTables: []string{"sales"},
			WriteTables: []string{"scores"}, Pools: []string{"default"}, SQLLogin: `DOMAIN\analysts`},
		{Subject: "cert:ci.example.com", Languages: []string{"*"}, Admin: true},
	}
	if !c.ExternalScriptsEnabled || !reflect.DeepEqual(c.Grants, want) {
		t.Errorf("enabled %v, grants %+v", c.ExternalScriptsEnabled, c.Grants)
	}
	l := c.TCPListener()
	if l == nil || l.Address != "127.0.0.1:7071" {
		t.Fatalf("listener %+v", l)
	}
	tc, err := l.TLSConfig()
	if err != nil || tc.MinVersion != 0x0304 || tc.ClientAuth.String() != "RequireAndVerifyClientCert" {
		t.Errorf("TLS config %+v, %v", tc, err)
	}
}

func TestLoad_ScriptsOffByDefault(t *testing.T) {
	c, err := Load(write(t, "state_dir = \"/srv/lp\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.ExternalScriptsEnabled || len(c.Grants) != 0 || c.TCPListener() != nil {
		t.Errorf("defaults: enabled %v, grants %v, listener %v", c.ExternalScriptsEnabled, c.Grants, c.TCPListener())
	}
}

func TestLoad_BadGrantsAndListenersNameTheirLine(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"bad subject": {"grant \"team:x\" {\n  languages = [\"R\"]\n}\n",
			`:1: grant.team:x: bad grant subject "team:x": unknown kind "team"`},
		"bad uid": {"\ngrant \"uid:alice\" {\n}\n", `:2: grant.uid:alice: bad grant subject "uid:alice": a uid is a number`},
		"unknown key": {"grant \"user:a\" {\n  languages = [\"R\"]\n  tables = [\"x\"]\n}\n",
			`:3: grant.user:a.tables: Unsupported argument: An argument named "tables" is not expected here.`},
		"empty name": {"grant \"user:a\" {\n  languages = [\"\"]\n}\n", `:2: grant.user:a.languages: an empty name`},
		"udp": {"listener \"udp\" {\n  address = \"x:1\"\n  cert = \"/a\"\n  key = \"/b\"\n  client_ca = \"/c\"\n}\n",
			`:1: listener.udp: listener "udp": the only listener type is "tcp"`},
		"missing key": {"listener \"tcp\" {\n  address = \"127.0.0.1:1\"\n  cert = \"/a\"\n  client_ca = \"/c\"\n}\n",
			`:1: Missing required argument: The argument "key" is required`},
		"relative": {"listener \"tcp\" {\n  address = \"127.0.0.1:1\"\n  cert = \"a.pem\"\n  key = \"/b\"\n  client_ca = \"/c\"\n}\n",
			`:3: listener.tcp.cert: "a.pem" is not an absolute path`},
		"missing files": {"listener \"tcp\" {\n  address = \"127.0.0.1:1\"\n  cert = \"/nonexistent/a\"\n  key = \"/nonexistent/b\"\n  client_ca = \"/c\"\n}\n",
			`:1: listener.tcp: cert and key: open /nonexistent/a: no such file or directory`},
		"bad address": {"listener \"tcp\" {\n  address = \"7071\"\n  cert = \"/a\"\n  key = \"/b\"\n  client_ca = \"/c\"\n}\n",
			`:2: listener.tcp.address: "7071": want HOST:PORT`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(write(t, tc.body))
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant %q", err, tc.want)
			}
		})
	}
}
