package catalog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	// Identity names this registration of these bytes under this key; it
	// changes with any of them (see Admits).
	Identity string
	// Exe is a sealed memfd holding exactly the verified bytes. Execute it
	// (execveat(fd, "", AT_EMPTY_PATH) or /proc/self/fd/N); never re-open the
	// path. The caller closes it.
	Exe *os.File
}

// Resolve finds the registered launcher for language (case-insensitive).
// A launcher's bytes are verified (hashed, signature checked) once per
// registration, and again whenever its files change; every call checks the
// trust state: the registration, the signing key and the files' stamps.
// Every refusal is a *RefusalError and is written to the audit log.
func (c *Catalog) Resolve(language string) (*Launcher, error) {
	const action = "launcher.start"
	if !signing.ValidLanguage(language) {
		return nil, c.refuse(action, &RefusalError{Language: language, Err: fmt.Errorf("%w: invalid language name", ErrNoLauncher)}, nil)
	}
	entry, trust, rerr := c.current(func(e *Entry) bool { return hasLanguage(e, language) })
	if rerr != nil {
		rerr.Language = language
		return nil, c.fail(action, rerr, nil)
	}
	details := map[string]string{"path": entry.Path, "pinned_sha256": entry.SHA256}
	l, ok, err := c.sealed.lookup(entry, trust, c.checkFolders)
	if err != nil {
		return nil, c.fail(action, &RefusalError{Launcher: entry.Name, Language: language, Err: err}, details)
	}
	if ok {
		return l, nil
	}
	// Stamped before the bytes are read: a change during verification
	// leaves a stale stamp, and the next job verifies again.
	st, stampErr := stampOf(entry.Path)
	v, err := c.verifyBinary(entry.Path, trust, entry.SHA256, language, true)
	if err != nil {
		return nil, c.fail(action, &RefusalError{Launcher: entry.Name, Language: language, Err: err}, details)
	}
	if v.manifest.Name != entry.Name {
		v.exe.Close()
		err := fmt.Errorf("%w: signed manifest names launcher %s", ErrNotRegistered, v.manifest.Name)
		return nil, c.refuse(action, &RefusalError{Launcher: entry.Name, Language: language, Err: err}, details)
	}
	c.logger.Info("launcher verified and sealed", "launcher", entry.Name, "language", language,
		"sha256", v.sha256, "publisher", v.publisher.Name)
	l = &Launcher{
		Name:       v.manifest.Name,
		Version:    v.manifest.Version,
		Publisher:  v.publisher.Name,
		SHA256:     v.sha256,
		Languages:  v.manifest.Languages,
		APIVersion: v.manifest.APIVersion,
		Identity:   identity(entry),
		Exe:        v.exe,
	}
	if stampErr == nil {
		if err := c.sealed.store(*entry, st, l); err != nil {
			c.logger.Warn("verified launcher not cached", "launcher", entry.Name, "error", err)
		}
	}
	return l, nil
}

// Admits reports, quietly (no audit record), whether the catalog would
// still start l exactly as verified: the same registration, its key still
// trusted, its files unchanged. The warm pool asks before every hand-over
// and keeps asking while runtimes wait.
func (c *Catalog) Admits(l *Launcher) error {
	entry, trust, rerr := c.current(func(e *Entry) bool { return e.Name == l.Name })
	if rerr != nil {
		return rerr
	}
	if identity(entry) != l.Identity {
		return fmt.Errorf("%w: launcher %s was registered again", ErrNotRegistered, l.Name)
	}
	got, ok, err := c.sealed.lookup(entry, trust, c.checkFolders)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: the files of launcher %s changed since it was verified", ErrHashMismatch, l.Name)
	}
	got.Exe.Close()
	return nil
}

// checkFolders checks the folders from a launcher binary's folder up to /.
func (c *Catalog) checkFolders(real string) error {
	pluginDir, err := filepath.EvalSymlinks(c.cfg.PluginDir)
	if err != nil {
		return fmt.Errorf("%w: resolve plugin dir %s: %v", ErrOutsidePluginDir, c.cfg.PluginDir, err)
	}
	return c.checkTree(filepath.Dir(real), pluginDir)
}

// Close releases the sealed launchers the catalog keeps.
func (c *Catalog) Close() { c.sealed.close() }

// current reads the catalog and trust store and finds the registered
// entry that match accepts.
func (c *Catalog) current(match func(*Entry) bool) (*Entry, []Publisher, *RefusalError) {
	var cs catalogState
	if err := c.load(CatalogFile, &cs); err != nil {
		return nil, nil, &RefusalError{Err: stateFileError("catalog", err)}
	}
	var entry *Entry
	for i := range cs.Launchers {
		if match(&cs.Launchers[i]) {
			entry = &cs.Launchers[i]
		}
	}
	if entry == nil {
		return nil, nil, &RefusalError{Err: ErrNoLauncher}
	}
	var ts trustState
	if err := c.load(TrustFile, &ts); err != nil {
		return nil, nil, &RefusalError{Launcher: entry.Name, Err: stateFileError("trust store", err)}
	}
	return entry, ts.Publishers, nil
}

func hasLanguage(e *Entry, language string) bool {
	for _, l := range e.Languages {
		if strings.EqualFold(l, language) {
			return true
		}
	}
	return false
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
