package catalog

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/openlaunchpad/launchpad/signing"
)

// Register verifies the binary (everything Resolve checks, for each of its
// manifest's languages) and pins its SHA-256 under the manifest's name.
// Registering a name again re-pins it (an upgrade); a language served by
// another launcher is refused. The caller checks admin rights.
func (c *Catalog) Register(binaryPath string) (Entry, error) {
	const action = "plugin.register"
	if !filepath.IsAbs(binaryPath) {
		abs, err := filepath.Abs(binaryPath)
		if err != nil {
			return Entry{}, fmt.Errorf("register %s: %w", binaryPath, err)
		}
		binaryPath = abs
	}
	unlock, err := c.lock()
	if err != nil {
		return Entry{}, err
	}
	defer unlock()
	var ts trustState
	if err := c.load(TrustFile, &ts); err != nil {
		return Entry{}, c.failed(action, binaryPath, err)
	}
	v, err := c.verifyBinary(binaryPath, ts.Publishers, "", "", false)
	if err != nil {
		return Entry{}, c.fail(action, &RefusalError{Launcher: binaryPath, Err: err}, nil)
	}
	var cs catalogState
	if err := c.load(CatalogFile, &cs); err != nil {
		return Entry{}, c.failed(action, binaryPath, err)
	}
	m := v.manifest
	for _, e := range cs.Launchers {
		if e.Name == m.Name {
			continue
		}
		for _, l := range m.Languages {
			if slices.ContainsFunc(e.Languages, func(x string) bool { return strings.EqualFold(x, l) }) {
				err := fmt.Errorf("%w: %s already serves %s; remove it first", ErrLanguageTaken, e.Name, l)
				c.audit(AuditEvent{Action: action, Target: m.Name, Result: ResultRefused, Reason: err.Error()})
				return Entry{}, err
			}
		}
	}
	entry := Entry{
		Name:         m.Name,
		Languages:    m.Languages,
		Version:      m.Version,
		APIVersion:   m.APIVersion,
		SHA256:       v.sha256,
		Publisher:    v.publisher.Name,
		KeyID:        v.publisher.KeyID,
		Path:         v.realPath,
		RegisteredAt: c.now().UTC(),
		RegisteredBy: actorUID(),
	}
	details := map[string]string{"sha256": entry.SHA256, "path": entry.Path, "publisher": entry.Publisher,
		"key_id": entry.KeyID, "version": entry.Version, "languages": strings.Join(entry.Languages, ",")}
	replaced := false
	for i, e := range cs.Launchers {
		if e.Name == m.Name {
			details["previous_sha256"] = e.SHA256
			cs.Launchers[i] = entry
			replaced = true
		}
	}
	if !replaced {
		cs.Launchers = append(cs.Launchers, entry)
	}
	if err := c.save(CatalogFile, cs); err != nil {
		return Entry{}, c.failed(action, m.Name, err)
	}
	if err := c.Audit(AuditEvent{Action: action, Target: m.Name, Result: ResultOK, Details: details}); err != nil {
		return entry, fmt.Errorf("registered %s but could not audit it: %w", m.Name, err)
	}
	c.logger.Info("launcher registered", "launcher", m.Name, "sha256", entry.SHA256, "publisher", entry.Publisher)
	return entry, nil
}

// Remove unregisters a launcher; its binary is left alone.
func (c *Catalog) Remove(name string) error {
	const action = "plugin.remove"
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	var cs catalogState
	if err := c.load(CatalogFile, &cs); err != nil {
		return c.failed(action, name, err)
	}
	i := slices.IndexFunc(cs.Launchers, func(e Entry) bool { return e.Name == name })
	if i < 0 {
		err := fmt.Errorf("remove %s: %w", name, ErrNotRegistered)
		c.audit(AuditEvent{Action: action, Target: name, Result: ResultRefused, Reason: err.Error()})
		return err
	}
	old := cs.Launchers[i]
	cs.Launchers = slices.Delete(cs.Launchers, i, i+1)
	if err := c.save(CatalogFile, cs); err != nil {
		return c.failed(action, name, err)
	}
	if err := c.Audit(AuditEvent{Action: action, Target: name, Result: ResultOK,
		Details: map[string]string{"sha256": old.SHA256, "path": old.Path}}); err != nil {
		return fmt.Errorf("removed %s but could not audit it: %w", name, err)
	}
	return nil
}

// TrustAdd trusts key as one of publisher's keys. A key already present,
// trusted or revoked, is refused: revocation is final.
func (c *Catalog) TrustAdd(publisher string, key signing.PublicKey) (Publisher, error) {
	const action = "trust.add"
	if !signing.ValidName(publisher) {
		err := fmt.Errorf("%w: invalid publisher name %q", ErrInvalidConfig, publisher)
		c.audit(AuditEvent{Action: action, Target: publisher, Result: ResultRefused, Reason: err.Error()})
		return Publisher{}, err
	}
	unlock, err := c.lock()
	if err != nil {
		return Publisher{}, err
	}
	defer unlock()
	var ts trustState
	if err := c.load(TrustFile, &ts); err != nil {
		return Publisher{}, c.failed(action, publisher, err)
	}
	for _, p := range ts.Publishers {
		if p.KeyID == key.ID() || p.PublicKey == key.String() {
			state := "trusted"
			if p.Revoked {
				state = "revoked"
			}
			err := fmt.Errorf("%w: key %s is %s for publisher %s", ErrPublisherExists, key.ID(), state, p.Name)
			c.audit(AuditEvent{Action: action, Target: publisher, Result: ResultRefused, Reason: err.Error(),
				Details: map[string]string{"key_id": key.ID()}})
			return Publisher{}, err
		}
	}
	p := Publisher{Name: publisher, KeyID: key.ID(), PublicKey: key.String(), AddedAt: c.now().UTC(), AddedBy: actorUID()}
	ts.Publishers = append(ts.Publishers, p)
	if err := c.save(TrustFile, ts); err != nil {
		return Publisher{}, c.failed(action, publisher, err)
	}
	if err := c.Audit(AuditEvent{Action: action, Target: publisher, Result: ResultOK,
		Details: map[string]string{"key_id": p.KeyID, "public_key": p.PublicKey}}); err != nil {
		return p, fmt.Errorf("trusted %s but could not audit it: %w", publisher, err)
	}
	return p, nil
}

// TrustRevoke revokes every key of publisher. The keys stay in the store,
// marked revoked, so launchers signed with them are refused from the next
// start on, even those registered before.
func (c *Catalog) TrustRevoke(publisher string) ([]Publisher, error) {
	return c.revoke(publisher, "")
}

func (c *Catalog) revoke(publisher, onlyKeyID string) ([]Publisher, error) {
	const action = "trust.revoke"
	unlock, err := c.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	var ts trustState
	if err := c.load(TrustFile, &ts); err != nil {
		return nil, c.failed(action, publisher, err)
	}
	now := c.now().UTC()
	uid := actorUID()
	var revoked []Publisher
	var ids []string
	for i, p := range ts.Publishers {
		if p.Name != publisher || p.Revoked || (onlyKeyID != "" && p.KeyID != onlyKeyID) {
			continue
		}
		ts.Publishers[i].Revoked, ts.Publishers[i].RevokedAt, ts.Publishers[i].RevokedBy = true, &now, &uid
		revoked = append(revoked, ts.Publishers[i])
		ids = append(ids, p.KeyID)
	}
	if len(revoked) == 0 {
		err := fmt.Errorf("revoke %s: %w (or no key left to revoke)", publisher, ErrUnknownPublisher)
		c.audit(AuditEvent{Action: action, Target: publisher, Result: ResultRefused, Reason: err.Error()})
		return nil, err
	}
	if err := c.save(TrustFile, ts); err != nil {
		return nil, c.failed(action, publisher, err)
	}
	if err := c.Audit(AuditEvent{Action: action, Target: publisher, Result: ResultOK,
		Details: map[string]string{"key_ids": strings.Join(ids, ",")}}); err != nil {
		return revoked, fmt.Errorf("revoked %s but could not audit it: %w", publisher, err)
	}
	c.logger.Info("publisher revoked", "publisher", publisher, "key_ids", ids)
	return revoked, nil
}

// failed audits an action that failed for a reason other than a refusal.
func (c *Catalog) failed(action, target string, err error) error {
	var r *RefusalError
	if errors.As(err, &r) {
		return err
	}
	c.audit(AuditEvent{Action: action, Target: target, Result: ResultError, Reason: err.Error()})
	return fmt.Errorf("%s %s: %w", action, target, err)
}
