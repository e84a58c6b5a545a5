package mssql

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/openlaunchpad/launchpad/host/datasource"
)

// ErrDataSourceRefused means a caller's data source names an option or a
// host the operator did not allow.
var ErrDataSourceRefused = errors.New("data source refused")

// callerDSNOptions are the go-mssqldb connection string options (msdsn
// keys, lower case) a caller may give. Every other key is refused, in
// particular those that make the root host read a file or reach a second
// host: certificate and servercertificate (TLS files: a file-existence
// oracle), authenticator and its krb5-configfile, krb5-keytabfile,
// krb5-credcachefile (Kerberos files), failoverpartner/failoverport (a
// second host), protocol (admin, named pipes), columnencryption (key
// stores), timezone (reads zoneinfo files), log (driver logging) and server
// and port (they come from the URL's host, which the allowlist checks).
var callerDSNOptions = []string{
	"database", "user id", "password", "app name", "workstation id", "applicationintent",
	"encrypt", "trustservercertificate", "hostnameincertificate", "tlsmin",
	"connection timeout", "dial timeout", "keepalive", "packet size", "disableretry",
	"multisubnetfailover", "notraceid", "serverspn", "epa enabled", "guid conversion",
}

// defaultSQLServerPort is the port a URL without one connects to.
const defaultSQLServerPort = "1433"

// HostAllowlist is the operator's data_source { allow_hosts } list.
type HostAllowlist struct {
	patterns []hostPattern
}

type hostPattern struct {
	host string // lower case; "*.corp" matches every name ending in ".corp"
	port string // "" matches every port
}

// ParseHostAllowlist checks the operator's patterns: "host", "host:port",
// "*.domain" or "*.domain:port" (IPv6 literals in brackets).
func ParseHostAllowlist(patterns []string) (HostAllowlist, error) {
	var a HostAllowlist
	for _, p := range patterns {
		host, port := p, ""
		if h, pt, err := net.SplitHostPort(p); err == nil {
			host, port = h, pt
			if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
				return a, fmt.Errorf("allow_hosts %q: bad port", p)
			}
		}
		host = strings.ToLower(strings.Trim(host, "[]"))
		if host == "" || host == "*" || strings.ContainsAny(host, "/\\@?;= ") ||
			strings.Contains(strings.TrimPrefix(host, "*."), "*") {
			return a, fmt.Errorf("allow_hosts %q: want host, host:port or *.domain[:port]", p)
		}
		a.patterns = append(a.patterns, hostPattern{host: host, port: port})
	}
	return a, nil
}

// Empty tells whether no host is allowed (callers cannot bring a data source).
func (a HostAllowlist) Empty() bool { return len(a.patterns) == 0 }

func (a HostAllowlist) allows(host, port string) bool {
	host = strings.ToLower(host)
	for _, p := range a.patterns {
		if p.port != "" && p.port != port {
			continue
		}
		if suffix, ok := strings.CutPrefix(p.host, "*"); ok {
			if strings.HasSuffix(host, suffix) && len(host) > len(suffix) {
				return true
			}
			continue
		}
		if p.host == host {
			return true
		}
	}
	return false
}

// CheckCallerDSN decides, before go-mssqldb parses anything (its parser
// already reads certificate files), whether a caller's connection string
// may be used: it must be a sqlserver:// URL (the form whose parsing is
// plain net/url and mirrored exactly here), name an allowed host and port,
// and use only callerDSNOptions. The error names the option or host, never
// the credentials.
func CheckCallerDSN(dsn string, allow HostAllowlist) error {
	if allow.Empty() {
		return fmt.Errorf("%w: this host accepts no caller data source "+
			"(the operator allows hosts in data_source { allow_hosts = [...] })", ErrDataSourceRefused)
	}
	if !strings.HasPrefix(dsn, "sqlserver://") {
		return fmt.Errorf("%w: a caller's data source must be a sqlserver:// URL", ErrDataSourceRefused)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("%w: not a valid sqlserver:// URL", ErrDataSourceRefused)
	}
	if err := checkCallerOptions(u.Query()); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, defaultSQLServerPort
	}
	// go-mssqldb connects "", "." and "(local)" to localhost.
	if host == "" || host == "." || strings.EqualFold(host, "(local)") {
		host = "localhost"
	}
	if !allow.allows(host, port) {
		return fmt.Errorf("%w: host %s is not in the host's data_source allow_hosts",
			ErrDataSourceRefused, net.JoinHostPort(host, port))
	}
	return nil
}

func checkCallerOptions(q url.Values) error {
	for k := range q {
		lk := strings.ToLower(k)
		if !slices.Contains(callerDSNOptions, lk) {
			return fmt.Errorf("%w: connection string option %q is not allowed for a caller's data source (allowed: %s)",
				ErrDataSourceRefused, lk, strings.Join(callerDSNOptions, ", "))
		}
	}
	return nil
}

// OpenCaller opens a caller's own SQL Server data source after
// CheckCallerDSN allowed it.
func OpenCaller(ctx context.Context, dsn string, allow HostAllowlist, opts ...datasource.Option) (datasource.Source, error) {
	if err := CheckCallerDSN(dsn, allow); err != nil {
		return nil, err
	}
	return Open(ctx, dsn, opts...)
}
