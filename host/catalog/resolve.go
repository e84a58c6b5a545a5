package catalog

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/openlaunchpad/launchpad/signing"
)

// Launcher is a verified launcher, ready to start.
type Launcher struct {
	Name      string
	Version   string
	Publisher string
	// SHA256 of the verified bytes (lowercase hex).
	SHA256     string
	Languages  []string
	APIVersion int
	// Exe is a sealed memfd holding exactly the verified bytes. Execute it
	// (execveat(fd, "", AT_EMPTY_PATH) or /proc/self/fd/N); never re-open the
	// path. The caller closes it.
	Exe *os.File
}

// Resolve finds the registered launcher for language (case-insensitive)
// and verifies it from scratch. Every refusal is a *RefusalError and is
// written to the audit log.
func (c *Catalog) Resolve(language string) (*Launcher, error) {
	const action = "launcher.start"
	if !signing.ValidLanguage(language) {
		return nil, c.refuse(action, &RefusalError{Language: language, Err: fmt.Errorf("%w: invalid language name", ErrNoLauncher)}, nil)
	}
	var cs catalogState
	if err := c.load(CatalogFile, &cs); err != nil {
		return nil, c.fail(action, &RefusalError{Language: language, Err: stateFileError("catalog", err)}, nil)
	}
	var entry *Entry
	for i, e := range cs.Launchers {
		for _, l := range e.Languages {
			if strings.EqualFold(l, language) {
				entry = &cs.Launchers[i]
			}
		}
	}
	if entry == nil {
		return nil, c.refuse(action, &RefusalError{Language: language, Err: ErrNoLauncher}, nil)
	}
	var ts trustState
	if err := c.load(TrustFile, &ts); err != nil {
		return nil, c.fail(action, &RefusalError{Launcher: entry.Name, Language: language, Err: stateFileError("trust store", err)}, nil)
	}
	details := map[string]string{"path": entry.Path, "pinned_sha256": entry.SHA256}
	v, err := c.verifyBinary(entry.Path, ts.Publishers, entry.SHA256, language, true)
	if err != nil {
		return nil, c.fail(action, &RefusalError{Launcher: entry.Name, Language: language, Err: err}, details)
	}
	if v.manifest.Name != entry.Name {
		v.exe.Close()
		err := fmt.Errorf("%w: signed manifest names launcher %s", ErrNotRegistered, v.manifest.Name)
		return nil, c.refuse(action, &RefusalError{Launcher: entry.Name, Language: language, Err: err}, details)
	}
	c.logger.Debug("launcher verified", "launcher", entry.Name, "language", language,
		"sha256", v.sha256, "publisher", v.publisher.Name)
	return &Launcher{
		Name:       v.manifest.Name,
		Version:    v.manifest.Version,
		Publisher:  v.publisher.Name,
		SHA256:     v.sha256,
		Languages:  v.manifest.Languages,
		APIVersion: v.manifest.APIVersion,
		Exe:        v.exe,
	}, nil
}

// stateFileError classifies a failure to read a state file: unsafe
// ownership is a refusal, anything else (I/O, corrupt JSON) a host fault.
func stateFileError(what string, err error) error {
	if errors.Is(err, ErrUnsafePermissions) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: %w", ErrHostFault, what, err)
}

// fail reports r: a refusal is audited and logged as one; a host fault is
// logged and audited as an error and returned without ErrUntrustedPlugin.
func (c *Catalog) fail(action string, r *RefusalError, details map[string]string) error {
	if !errors.Is(r.Err, ErrHostFault) {
		return c.refuse(action, r, details)
	}
	c.audit(AuditEvent{Action: action, Target: r.Launcher, Result: ResultError, Reason: r.Err.Error(), Details: details})
	c.logger.Error("launcher verification failed", "action", action, "launcher", r.Launcher, "language", r.Language, "error", r.Err)
	who := r.Launcher
	if who == "" {
		who = "(none)"
	}
	if r.Language == "" {
		return fmt.Errorf("launcher %s: %w", who, r.Err)
	}
	return fmt.Errorf("launcher %s for language %s: %w", who, r.Language, r.Err)
}
