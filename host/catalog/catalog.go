package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/openlaunchpad/launchpad/internal/fileutil"
)

// File names under Config.StateDir.
const (
	TrustFile   = "trust.json"
	CatalogFile = "catalog.json"
	AuditFile   = "audit.log"
	lockFile    = ".lock"
)

// DefaultStateDir is where a production host keeps its state.
const DefaultStateDir = "/var/lib/launchpad"

// Config says where the catalog lives.
type Config struct {
	// StateDir holds trust.json, catalog.json and audit.log. Absolute; created
	// 0700 when missing. It and every folder above it must be owned by root
	// (or OwnerUID) and not writable by group or others (a root-owned sticky
	// folder such as /tmp is accepted as an ancestor), since whoever can write
	// it decides what runs.
	StateDir string
	// PluginDir is the only folder launcher binaries may live in, after
	// symlinks are resolved. Absolute; default StateDir/plugins; created 0755
	// when missing; same ownership rules as StateDir.
	PluginDir string
	// OwnerUID is the uid that must own launcher binaries, their folders and
	// the state. 0 (root) is the only value for production. Any other value is
	// a relaxation for a developer running `launchpad dev` unprivileged; Open
	// warns about it. Folders owned by root are always accepted.
	OwnerUID int
}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.StateDir == "" || !filepath.IsAbs(cfg.StateDir) {
		return cfg, fmt.Errorf("%w: StateDir %q must be an absolute path", ErrInvalidConfig, cfg.StateDir)
	}
	cfg.StateDir = filepath.Clean(cfg.StateDir)
	if cfg.PluginDir == "" {
		cfg.PluginDir = filepath.Join(cfg.StateDir, "plugins")
	}
	if !filepath.IsAbs(cfg.PluginDir) {
		return cfg, fmt.Errorf("%w: PluginDir %q must be an absolute path", ErrInvalidConfig, cfg.PluginDir)
	}
	cfg.PluginDir = filepath.Clean(cfg.PluginDir)
	if cfg.OwnerUID < 0 {
		return cfg, fmt.Errorf("%w: OwnerUID %d", ErrInvalidConfig, cfg.OwnerUID)
	}
	return cfg, nil
}

// Catalog is the trust store, the launcher catalog and the audit log of one
// state folder. It reads its files afresh for every call, so admin changes
// made by another process (the CLI) apply to the very next start. Safe for
// concurrent use; changes are serialised with a file lock.
type Catalog struct {
	cfg    Config
	logger hclog.Logger
	now    func() time.Time
	sealed sealedCache
}

// Entry is a registered launcher.
type Entry struct {
	Name         string    `json:"name"`
	Languages    []string  `json:"languages"`
	Version      string    `json:"version"`
	APIVersion   int       `json:"api_version"`
	SHA256       string    `json:"sha256"`
	Publisher    string    `json:"publisher"`
	KeyID        string    `json:"key_id"`
	Path         string    `json:"path"`
	RegisteredAt time.Time `json:"registered_at"`
	RegisteredBy int       `json:"registered_by"`
}

// Publisher is one trusted (or formerly trusted) publisher key. A publisher
// name may hold several keys over time (rotation); a revoked key stays in
// the store for good and can never be trusted again.
type Publisher struct {
	Name      string     `json:"name"`
	KeyID     string     `json:"key_id"`
	PublicKey string     `json:"public_key"`
	AddedAt   time.Time  `json:"added_at"`
	AddedBy   int        `json:"added_by"`
	Revoked   bool       `json:"revoked"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	RevokedBy *int       `json:"revoked_by,omitempty"`
}

type trustState struct {
	Publishers []Publisher `json:"publishers"`
}

type catalogState struct {
	Launchers []Entry `json:"launchers"`
}

// Open prepares the state folder and plugin folder and checks they are safe.
func Open(cfg Config, logger hclog.Logger) (*Catalog, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	c := &Catalog{cfg: cfg, logger: logger.Named("catalog"), now: time.Now}
	if cfg.OwnerUID != 0 {
		c.logger.Warn("launcher ownership relaxed: binaries and folders owned by a non-root uid are accepted",
			"owner_uid", cfg.OwnerUID)
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	if err := os.MkdirAll(cfg.PluginDir, 0o755); err != nil {
		return nil, fmt.Errorf("create plugin dir: %w", err)
	}
	for _, d := range []string{cfg.StateDir, cfg.PluginDir} {
		real, err := filepath.EvalSymlinks(d)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", d, err)
		}
		if err := c.checkTree(real, real); err != nil {
			return nil, fmt.Errorf("folder %s: %w", d, err)
		}
	}
	return c, nil
}

// AuditLogPath is the audit log's path.
func (c *Catalog) AuditLogPath() string { return filepath.Join(c.cfg.StateDir, AuditFile) }

// List returns the registered launchers sorted by name.
func (c *Catalog) List() ([]Entry, error) {
	var st catalogState
	if err := c.load(CatalogFile, &st); err != nil {
		return nil, err
	}
	slices.SortFunc(st.Launchers, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return st.Launchers, nil
}

// Publishers returns the trust store, revoked keys included, by name.
func (c *Catalog) Publishers() ([]Publisher, error) {
	var st trustState
	if err := c.load(TrustFile, &st); err != nil {
		return nil, err
	}
	slices.SortStableFunc(st.Publishers, func(a, b Publisher) int { return strings.Compare(a.Name, b.Name) })
	return st.Publishers, nil
}

// load reads one state file; a missing file is an empty state. The file
// must be owned by the owner and not writable by others: it decides what
// runs.
func (c *Catalog) load(name string, v any) error {
	p := filepath.Join(c.cfg.StateDir, name)
	f, err := os.OpenFile(p, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return fmt.Errorf("stat %s: %w", p, err)
	}
	if err := c.checkOwnerMode(p, st.Uid, st.Mode, false); err != nil {
		return err
	}
	if err := json.NewDecoder(f).Decode(v); err != nil {
		return fmt.Errorf("decode %s: %w", p, err)
	}
	return nil
}

func (c *Catalog) save(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return fileutil.WriteAtomic(filepath.Join(c.cfg.StateDir, name), append(b, '\n'), 0o600)
}

// lock takes the state folder's exclusive lock for a read-modify-write.
func (c *Catalog) lock() (unlock func(), err error) {
	p := filepath.Join(c.cfg.StateDir, lockFile)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		return nil, errors.Join(fmt.Errorf("lock state: %w", err), f.Close())
	}
	return func() {
		// Closing releases the flock.
		if err := f.Close(); err != nil {
			c.logger.Warn("close state lock", "error", err)
		}
	}, nil
}
