package datasource

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/microsoft/go-mssqldb/msdsn"
)

// redacted replaces credentials in sanitized messages.
const redacted = "[REDACTED]"

// dsnSecretRE finds key=value credentials in ADO/ODBC-style strings and URL queries.
var dsnSecretRE = regexp.MustCompile(`(?i)\b(password|pwd|user id|uid|user)\s*=\s*(\{(?:[^}]|\}\})*\}|"(?:[^"]|"")*"|'(?:[^']|'')*'|[^;&]*)`)

// dsnUserinfoRE finds user:password@ in URL-style DSNs.
var dsnUserinfoRE = regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://([^/@\s]*)@`)

// SanitizeError returns err with the user name and password of dsn (and dsn
// itself) removed from its message. Use it on every error that may carry a
// connection string before it is logged or leaves the host; dsn may be any
// connection string (the instance's, or a caller's remote data source).
//
// When something is removed, the result keeps errors.Is for this package's
// sentinels and for context cancellation, but not the original chain, which
// would still hold the credentials.
func SanitizeError(err error, dsn string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := redact(msg, dsnSecrets(dsn))
	if clean == msg {
		return err
	}
	r := &redactedError{msg: clean}
	for _, k := range keptKinds {
		if errors.Is(err, k) {
			r.kinds = append(r.kinds, k)
		}
	}
	return r
}

// RedactDSN returns dsn with its user name and password replaced, for logs.
func RedactDSN(dsn string) string { return redact(dsn, dsnSecrets(dsn)) }

var keptKinds = []error{
	ErrUnknownDriver, ErrUnsupportedType, ErrValueMismatch, ErrBadTableName, ErrBadSchema, ErrWriterDone, ErrNoDSN, ErrUndeclaredParam,
	context.Canceled, context.DeadlineExceeded, sql.ErrConnDone, sql.ErrTxDone,
}

type redactedError struct {
	msg   string
	kinds []error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Is(target error) bool {
	for _, k := range e.kinds {
		if k == target {
			return true
		}
	}
	return false
}

// dsnSecrets lists the strings to remove, in every spelling a message may
// quote them: as parsed, URL-escaped, and the raw DSN itself.
func dsnSecrets(dsn string) []string {
	if dsn == "" {
		return nil
	}
	raw := []string{dsn}
	if cfg, err := msdsn.Parse(dsn); err == nil {
		raw = append(raw, cfg.Password, cfg.User, cfg.ChangePassword)
	}
	for _, m := range dsnSecretRE.FindAllStringSubmatch(dsn, -1) {
		v := strings.TrimSpace(m[2])
		raw = append(raw, v, unquoteDSNValue(v))
	}
	for _, m := range dsnUserinfoRE.FindAllStringSubmatch(dsn, -1) {
		user, pass, _ := strings.Cut(m[1], ":")
		raw = append(raw, m[1], user, pass)
		if u, err := url.PathUnescape(user); err == nil {
			raw = append(raw, u)
		}
		if p, err := url.PathUnescape(pass); err == nil {
			raw = append(raw, p)
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range raw {
		for _, v := range []string{s, url.QueryEscape(s), url.PathEscape(s), url.UserPassword("", s).String()[1:]} {
			// Very short values would redact ordinary words; a 1–2 character
			// password is not worth hiding from its own error message.
			if len(v) < 3 || seen[v] {
				continue
			}
			seen[v] = true
			out = append(out, v)
		}
	}
	// Longest first, so a DSN is removed whole before its parts.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func redact(msg string, secrets []string) string {
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, redacted)
	}
	return msg
}

// unquoteDSNValue undoes ODBC {…} and ADO "…" / '…' quoting (closing character doubled inside).
func unquoteDSNValue(v string) string {
	if len(v) < 2 {
		return v
	}
	switch {
	case v[0] == '{' && v[len(v)-1] == '}':
		return strings.ReplaceAll(v[1:len(v)-1], "}}", "}")
	case v[0] == '"' && v[len(v)-1] == '"':
		return strings.ReplaceAll(v[1:len(v)-1], `""`, `"`)
	case v[0] == '\'' && v[len(v)-1] == '\'':
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
	}
	return v
}
