package host

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"

	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/host/claim"
	"github.com/openlaunchpad/launchpad/host/config"
	"github.com/openlaunchpad/launchpad/host/datasource"
)

// Check runs every check a host makes before it acts, on a normalized
// configuration, and changes nothing: the state folder, the socket, the
// plugin folder and its launchers, the instance, the work root's
// ancestors. Its problems (and warnings) name the file, line and setting.
// `launchpad config validate` and New share it.
func Check(cfg *config.Config) hcl.Diagnostics {
	var d hcl.Diagnostics
	d = append(d, checkDir(cfg, "state_dir", cfg.StateDir, stateHint)...)
	d = append(d, checkDir(cfg, "plugin_dir", cfg.PluginDir, "serve starts launchers only from an existing folder")...)
	d = append(d, checkSocket(cfg)...)
	d = append(d, checkInstance(cfg)...)
	if !d.HasErrors() {
		d = append(d, checkLaunchers(cfg)...)
	}
	if cfg.Sandbox.Isolation == "full" {
		d = append(d, checkReachable(cfg)...)
	}
	return d
}

const stateHint = "create it (root-owned, 0700), or run launchpad dev, which makes its own"

func checkDir(cfg *config.Config, setting, dir, hint string) hcl.Diagnostics {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return hcl.Diagnostics{cfg.Problem(setting, "%s does not exist: %s", dir, hint)}
	case err != nil:
		return hcl.Diagnostics{cfg.Problem(setting, "%v", err)}
	case !fi.IsDir():
		return hcl.Diagnostics{cfg.Problem(setting, "%s is not a folder", dir)}
	}
	return nil
}

// checkSocket refuses a socket path a live host serves on, or a file that
// is not a socket (listen would have to remove it).
func checkSocket(cfg *config.Config) hcl.Diagnostics {
	fi, err := os.Lstat(cfg.Socket)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return hcl.Diagnostics{cfg.Problem("socket", "%v", err)}
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return hcl.Diagnostics{cfg.Problem("socket", "%s exists and is not a socket", cfg.Socket)}
	}
	if c, err := net.Dial("unix", cfg.Socket); err == nil {
		c.Close()
		return hcl.Diagnostics{cfg.Problem("socket", "another host is serving on %s", cfg.Socket)}
	}
	return nil
}

// checkInstance resolves the DSN and, for SQLite, requires the database
// file: serve never creates an empty instance in place of a mistyped path.
func checkInstance(cfg *config.Config) hcl.Diagnostics {
	in := cfg.Instance
	dsn, err := datasource.ResolveDSN(in.DSN, in.DSNEnv, in.DSNFile)
	if err != nil {
		setting := "instance.dsn_file"
		if in.DSNEnv != "" {
			setting = "instance.dsn_env"
		}
		return hcl.Diagnostics{cfg.Problem(setting, "%v", datasource.SanitizeError(err, dsn))}
	}
	if in.Driver != "sqlite" {
		return nil
	}
	path := strings.TrimPrefix(strings.SplitN(dsn, "?", 2)[0], "file:")
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return hcl.Diagnostics{cfg.Problem("instance.dsn", "SQLite database %s does not exist (serve opens an existing "+
			"database; launchpad dev creates a sample one)", path)}
	case err != nil:
		return hcl.Diagnostics{cfg.Problem("instance.dsn", "%v", err)}
	case !fi.Mode().IsRegular():
		return hcl.Diagnostics{cfg.Problem("instance.dsn", "%s is not a file", path)}
	}
	return nil
}

// checkLaunchers requires every configured launcher to be registered, and
// warns when none is.
func checkLaunchers(cfg *config.Config) hcl.Diagnostics {
	cat, err := catalog.Open(catalog.Config{StateDir: cfg.StateDir, PluginDir: cfg.PluginDir}, hclog.NewNullLogger())
	if err != nil {
		return hcl.Diagnostics{cfg.Problem("plugin_dir", "%v", err)}
	}
	entries, err := cat.List()
	if err != nil {
		return hcl.Diagnostics{cfg.Problem("state_dir", "read the launcher catalog: %v", err)}
	}
	var d hcl.Diagnostics
	var names []string
	for _, e := range entries {
		names = append(names, e.Name)
	}
	for _, l := range cfg.Launchers {
		if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, l.Name) }) {
			d = append(d, cfg.Problem("launcher."+l.Name, "no launcher named %q is registered (registered: %s)",
				l.Name, listOrNone(names)))
		}
	}
	if len(entries) == 0 {
		d = append(d, cfg.Warning("plugin_dir", "no launcher is registered: every job fails until one is "+
			"(launchpad plugin register, docs/admin-trust.md)"))
	}
	return d
}

// checkReachable: worker uids must be able to traverse every folder above
// their job folders (the state folder aside: the host sets its mode).
func checkReachable(cfg *config.Config) hcl.Diagnostics {
	for p := filepath.Dir(cfg.Sandbox.WorkRoot); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil && fi.Mode().Perm()&0o001 == 0 && p != filepath.Clean(cfg.StateDir) {
			return hcl.Diagnostics{cfg.Problem("sandbox.work_root", "%s (above the work root) is not searchable by "+
				"others (mode %o): worker accounts could not reach their job folders", p, fi.Mode().Perm())}
		}
		if p == "/" || p == "." {
			return nil
		}
	}
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

// lockDir is the machine-wide claim folder: /run/launchpad/locks for root;
// for a non-root host (isolation "none": it claims only its work root)
// a folder in its own runtime folder, or none.
func lockDir() string {
	if os.Geteuid() == 0 {
		return claim.DefaultDir
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "launchpad", "locks")
	}
	return ""
}

// claimRequest is what cfg's host must own alone before it sweeps.
func claimRequest(cfg *config.Config) claim.Request {
	s := cfg.Sandbox
	req := claim.Request{Owner: cfg.StateDir, WorkRoot: s.WorkRoot}
	if s.Isolation == "full" {
		req.UIDBase, req.UIDCount, req.CgroupParent = s.UIDBase, s.Workers, s.CgroupParent
	}
	return req
}

// acquire takes the state lock and then every claim, or nothing. A host
// does this before anything else; validate does it and lets go.
func acquire(cfg *config.Config, st *claim.State, log hclog.Logger) (*claim.State, *claim.Claims, error) {
	if st == nil {
		var err error
		if st, err = claim.LockState(cfg.StateDir); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", cfg.Where("state_dir"), err)
		}
	}
	dir := lockDir()
	if dir == "" {
		log.Warn("no machine-wide lock folder for a non-root host without XDG_RUNTIME_DIR: the work root is not claimed",
			"work_root", cfg.Sandbox.WorkRoot)
		return st, nil, nil
	}
	cl, err := claim.Acquire(dir, claimRequest(cfg))
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("%s: %w", cfg.Where(claimSetting(err)), err), st.Unlock())
	}
	return st, cl, nil
}

// Validate is Check plus the claims: whether a host could start on cfg
// now. A host already running on cfg's state folder is a warning (it
// holds the socket and the claims; SIGHUP reloads it); a claim held by
// another live host is a problem. It takes nothing it does not let go of
// at once.
func Validate(cfg *config.Config) hcl.Diagnostics {
	if d := checkDir(cfg, "state_dir", cfg.StateDir, stateHint); d.HasErrors() {
		return Check(cfg)
	}
	st, err := claim.LockState(cfg.StateDir)
	if errors.Is(err, claim.ErrStateInUse) {
		var d hcl.Diagnostics
		for _, x := range Check(cfg) {
			if x.Summary != "socket" { // the running host's own
				d = append(d, x)
			}
		}
		return append(d, cfg.Warning("state_dir", "%v", err))
	}
	if err != nil {
		return hcl.Diagnostics{cfg.Problem("state_dir", "%v", err)}
	}
	defer st.Unlock()
	d := Check(cfg)
	if dir := lockDir(); dir != "" && !d.HasErrors() {
		cl, err := claim.Acquire(dir, claimRequest(cfg))
		if err != nil {
			return append(d, cfg.Problem(claimSetting(err), "%v", err))
		}
		if err := cl.Release(); err != nil {
			return append(d, cfg.Problem("sandbox", "%v", err))
		}
	}
	return d
}

// claimSetting is the setting a claim error tells the operator to change.
func claimSetting(err error) string {
	for _, s := range []string{"uid_base", "cgroup_parent", "work_root"} {
		if strings.Contains(err.Error(), "sandbox { "+s+" }") {
			return "sandbox." + s
		}
	}
	return "sandbox"
}
