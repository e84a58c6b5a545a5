package api

import (
	"context"
	"errors"
	"fmt"

	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/host/grant"
	"github.com/openlaunchpad/launchpad/host/job"
)

// Auditor records refusals (host/catalog's Catalog).
type Auditor interface {
	Audit(catalog.AuditEvent) error
}

// WithGrants checks every call against the grants current returns (it
// changes on reload), refusing what they do not allow and auditing the
// refusal with a. Without it every caller may do everything (in-process
// servers).
func WithGrants(current func() *grant.Grants, a Auditor) Option {
	return func(s *Server) { s.grants, s.audit = current, a }
}

// caller is who makes a call and what the grants let it see.
type caller struct {
	id    *job.Identity // nil: in-process
	name  string        // "NAME (UID)", "cert:CN", "" in-process
	admin bool          // sees and cancels every caller's jobs
}

// callerOf identifies a call's caller. With grants, a caller that cannot
// be identified is refused.
func (s *Server) callerOf(ctx context.Context) (caller, error) {
	id, err := identityOf(ctx)
	if err == nil && id == nil && s.grants != nil {
		err = errors.New("the caller could not be identified")
	}
	if err != nil {
		return caller{}, fmt.Errorf("%w: %w", grant.ErrPermissionDenied, err)
	}
	c := caller{id: id, admin: s.grants == nil}
	if id != nil {
		c.name = grant.Caller(*id)
	}
	if s.grants != nil {
		c.admin = s.grants().For(*id).Admin
	}
	return c, nil
}

// mayRun decides, before anything of the job runs, whether c may run it:
// the host's switch, a grant for its language and, for write-back, for its
// target table. It returns what the job may do with data (nil: anything).
func (s *Server) mayRun(c caller, language, into string) (*job.Access, error) {
	if s.grants == nil {
		return nil, nil
	}
	target := ""
	if into != "" {
		var err error
		if target, err = job.IntoTarget(into); err != nil {
			return nil, err
		}
	}
	return s.grants().Check(*c.id, language, target)
}

// refused audits and logs a refusal.
func (s *Server) refused(action, target string, c caller, err error, details map[string]string) {
	if details == nil {
		details = map[string]string{}
	}
	details["caller"] = c.name
	s.log.Warn("refused", "action", action, "target", target, "caller", c.name, "error", err)
	if s.audit == nil {
		return
	}
	ev := catalog.AuditEvent{Action: action, Target: target, Result: catalog.ResultRefused, Reason: err.Error(), Details: details}
	if aerr := s.audit.Audit(ev); aerr != nil {
		s.log.Error("audit log write failed", "action", action, "target", target, "error", aerr)
	}
}
