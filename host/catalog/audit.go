package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Audit results.
const (
	ResultOK      = "ok"
	ResultRefused = "refused"
	ResultError   = "error"
)

// AuditEvent is one line of the audit log (JSON lines).
type AuditEvent struct {
	// Time is filled in by Audit (UTC).
	Time string `json:"time"`
	// UID and EUID of the acting process, filled in by Audit.
	UID  int `json:"uid"`
	EUID int `json:"euid"`
	// Action, e.g. trust.add, trust.revoke, plugin.register, plugin.remove,
	// launcher.start, dev.bootstrap, job.start (details: caller, language,
	// launcher, launcher_version, script_sha256).
	Action string `json:"action"`
	// Target is what the action concerns: a publisher, launcher or path.
	Target string `json:"target"`
	// Result is ok, refused or error.
	Result string `json:"result"`
	// Reason explains a refusal or error.
	Reason string `json:"reason,omitempty"`
	// Details carries action-specific facts (key id, sha256, language, ...).
	Details map[string]string `json:"details,omitempty"`
}

// Audit appends ev to the audit log. Each event is one write(2) on an
// O_APPEND descriptor, so concurrent writers never interleave lines. The log
// is created 0600 and never truncated or rewritten by Launchpad.
func (c *Catalog) Audit(ev AuditEvent) error {
	ev.Time = c.now().UTC().Format("2006-01-02T15:04:05.000000Z07:00")
	ev.UID, ev.EUID = os.Getuid(), os.Geteuid()
	line, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode audit event: %w", err)
	}
	line = append(line, '\n')
	f, err := os.OpenFile(c.AuditLogPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		return errors.Join(fmt.Errorf("write audit log: %w", err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close audit log: %w", err)
	}
	return nil
}

// audit records ev and logs (but does not return) a failure to record, so
// that the action's own error is what the caller sees.
func (c *Catalog) audit(ev AuditEvent) {
	if err := c.Audit(ev); err != nil {
		c.logger.Error("audit log write failed", "action", ev.Action, "target", ev.Target, "error", err)
	}
}

// refuse audits a refusal, logs it and returns it.
func (c *Catalog) refuse(action string, r *RefusalError, details map[string]string) error {
	if r.Language != "" {
		if details == nil {
			details = map[string]string{}
		}
		details["language"] = r.Language
	}
	c.audit(AuditEvent{Action: action, Target: r.Launcher, Result: ResultRefused, Reason: r.Err.Error(), Details: details})
	c.logger.Warn("launcher refused", "action", action, "launcher", r.Launcher, "language", r.Language, "error", r.Err)
	return r
}

// actorUID is the real uid of whoever acts; under sudo that is root too, so
// the audit line's uid shows root and the operator's own login is in sudo's log.
func actorUID() int { return os.Getuid() }
