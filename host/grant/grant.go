package grant

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openlaunchpad/launchpad/host/job"
)

// ErrPermissionDenied is wrapped by every refusal.
var ErrPermissionDenied = errors.New("permission denied")

// ErrBadSubject is wrapped by ParseSubject's errors.
var ErrBadSubject = errors.New("bad grant subject")

// Grant is one grant block of the configuration:
// grant "group:analysts" { languages = ["Python", "R"] … }.
type Grant struct {
	// Subject is who the grant is for: "user:NAME" or "group:NAME" (a local
	// account or group, callers on the unix socket), "uid:N" (a uid on the
	// unix socket, with or without an account) or "cert:COMMON-NAME" (a
	// TLS client certificate's subject CN).
	Subject string `hcl:"subject,label"`
	// Languages the subject may run scripts in, case-insensitive; "*" is
	// every language.
	Languages []string `hcl:"languages,optional"`
	// ReadTables and WriteTables are the instance's tables the subject's
	// jobs may read (input and param queries) and write (write-back); "*"
	// is every table. Write-back into a table not listed is refused before
	// the job runs.
	ReadTables  []string `hcl:"read_tables,optional"`
	WriteTables []string `hcl:"write_tables,optional"`
	// SQLLogin is the SQL Server login the subject's queries and
	// write-back run as on a SQL Server instance (EXECUTE AS LOGIN; the
	// host's login needs IMPERSONATE on it): "DOMAIN\\alice". Unset, they
	// run as the host's login, which a grant limiting read_tables refuses
	// on SQL Server. Ignored on the SQLite instance.
	SQLLogin string `hcl:"sql_login,optional"`
	// Pools are the resource pools the subject's jobs may run in.
	Pools []string `hcl:"pools,optional"`
	// Admin lets the subject see and cancel every caller's jobs, not only
	// its own. Root on the unix socket always may.
	Admin bool `hcl:"admin,optional"`
}

// Subject kinds.
const (
	KindUser  = "user"
	KindGroup = "group"
	KindUID   = "uid"
	KindCert  = "cert"
)

// ParseSubject splits a subject into its kind and name, refusing unknown
// kinds, empty names and uids that are not numbers.
func ParseSubject(s string) (kind, name string, err error) {
	kind, name, ok := strings.Cut(s, ":")
	if !ok || name == "" || strings.TrimSpace(name) != name {
		return "", "", fmt.Errorf("%w %q: want user:NAME, group:NAME, uid:N or cert:COMMON-NAME", ErrBadSubject, s)
	}
	switch kind {
	case KindUser, KindGroup, KindCert:
	case KindUID:
		if n, err := strconv.Atoi(name); err != nil || n < 0 || strconv.Itoa(n) != name {
			return "", "", fmt.Errorf("%w %q: a uid is a number from 0", ErrBadSubject, s)
		}
	default:
		return "", "", fmt.Errorf("%w %q: unknown kind %q (want user, group, uid or cert)", ErrBadSubject, s, kind)
	}
	return kind, name, nil
}

// Matches reports whether the grant's subject names id. Account subjects
// (user, group, uid) match only callers on the unix socket and cert
// subjects only TLS callers, so a certificate whose CN is "root" is not
// the root account.
func (g *Grant) Matches(id job.Identity) bool {
	kind, name, err := ParseSubject(g.Subject)
	if err != nil {
		return false
	}
	local := id.Cert == "" && id.UID >= 0
	switch kind {
	case KindUser:
		return local && id.Name == name
	case KindGroup:
		return local && slices.Contains(id.Groups, name)
	case KindUID:
		return local && strconv.Itoa(id.UID) == name
	case KindCert:
		return id.Cert != "" && id.Cert == name
	}
	return false
}

// Caller is how jobs, logs, audit records and job views name a caller:
// "NAME (UID)" on the unix socket, "cert:CN" over TLS.
func Caller(id job.Identity) string {
	if id.Cert != "" {
		return "cert:" + id.Cert
	}
	return fmt.Sprintf("%s (%d)", id.Name, id.UID)
}
