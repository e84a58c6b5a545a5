package catalog

import (
	"errors"
)

// RevokedKeyHint is the way back from a revoked key, said by every error
// and status that reports one.
const RevokedKeyHint = "to recover: trust the publisher's new key, re-sign the launcher with it and register it again; " +
	"see docs/admin-trust.md, \"Recovering from a revoked key\""

// Status is a registered launcher and what a start would find now.
type Status struct {
	Entry
	// Status is "trusted" or the short reason a start would be refused:
	// "revoked key", "binary changed", "unsigned", … ("host fault" when
	// the host could not check).
	Status string `json:"status"`
	// Reason is the full refusal ("" when trusted).
	Reason string `json:"reason,omitempty"`
}

// statusNames are the short names of the refusal reasons.
var statusNames = []struct {
	err  error
	name string
}{
	{ErrRevokedKey, "revoked key"}, {ErrHashMismatch, "binary changed"}, {ErrUnsigned, "unsigned"},
	{ErrBadSignature, "bad signature"}, {ErrUntrustedKey, "untrusted key"}, {ErrMissingBinary, "binary missing"},
	{ErrUnsafePermissions, "unsafe permissions"}, {ErrOutsidePluginDir, "outside plugin folder"},
	{ErrLanguageNotInManifest, "language not signed"}, {ErrUnsupportedAPI, "unsupported api"},
	{ErrNotRegistered, "manifest mismatch"}, {ErrHostFault, "host fault"},
}

// Statuses verifies every registered launcher as a start would, without
// starting or auditing anything.
func (c *Catalog) Statuses() ([]Status, error) {
	entries, err := c.List()
	if err != nil {
		return nil, err
	}
	var ts trustState
	if err := c.load(TrustFile, &ts); err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(entries))
	for _, e := range entries {
		st := Status{Entry: e, Status: "trusted"}
		lang := ""
		if len(e.Languages) > 0 {
			lang = e.Languages[0]
		}
		v, err := c.verifyBinary(e.Path, ts.Publishers, e.SHA256, lang, false)
		if err == nil && v.manifest.Name != e.Name {
			err = ErrNotRegistered
		}
		if err != nil {
			st.Status, st.Reason = "refused", err.Error()
			for _, n := range statusNames {
				if errors.Is(err, n.err) {
					st.Status = n.name
					break
				}
			}
		}
		out = append(out, st)
	}
	return out, nil
}
