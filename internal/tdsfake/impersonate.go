package tdsfake

import (
	"fmt"
	"regexp"
	"strings"
)

// Statement records one statement the fake ran (a batch, or the statement
// of an sp_executesql call) with the login whose security context it ran
// in: the innermost EXECUTE AS LOGIN in force on its connection, "" for the
// connection's own login.
type Statement struct {
	Text string
	As   string
}

// Statements returns every statement run, in order, with its context.
func (s *Server) Statements() []Statement {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Statement(nil), s.stmts...)
}

var (
	reExecuteAsParam   = regexp.MustCompile(`(?i)^EXECUTE\s+AS\s+LOGIN\s*=\s*@(\w+)$`)
	reExecuteAsLiteral = regexp.MustCompile(`(?i)^EXECUTE\s+AS\s+LOGIN\s*=\s*N?'((?:[^']|'')*)'$`)
)

// executeAs handles EXECUTE AS LOGIN = @p or = N'…' (values: the call's
// bound values) and REVERT, as SQL Server keeps them: a stack per
// connection. ok is false for any other statement. Logins, when set, are
// the logins that may be impersonated; another is the server's error 15406.
func (c *conn) executeAs(q string, values map[string]any) (ok bool) {
	var login string
	switch m, l := reExecuteAsParam.FindStringSubmatch(q), reExecuteAsLiteral.FindStringSubmatch(q); {
	case m != nil:
		v, _ := values[m[1]].(string)
		login = v
	case l != nil:
		login = strings.ReplaceAll(l[1], "''", "'")
	case strings.EqualFold(q, "revert"):
		if len(c.as) == 0 {
			c.fail(&Error{Number: 15357, Class: 16, Message: "The current security context cannot be reverted."})
			return true
		}
		c.as = c.as[:len(c.as)-1]
		c.done(0, 0, 0)
		return true
	default:
		return false
	}
	c.s.mu.Lock()
	allowed := c.s.Logins == nil || c.s.Logins[login]
	c.s.mu.Unlock()
	if !allowed {
		c.fail(&Error{Number: 15406, Class: 16, Message: fmt.Sprintf("Cannot execute as the server principal because the principal \"%s\" does not exist, this type of principal cannot be impersonated, or you do not have permission.", login)})
		return true
	}
	c.as = append(c.as, login)
	c.done(0, 0, 0)
	return true
}

// context is the login the connection's statements run as now.
func (c *conn) context() string {
	if len(c.as) == 0 {
		return ""
	}
	return c.as[len(c.as)-1]
}
