package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/cmd/internal/cli"
	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/host/config"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
	"github.com/openlaunchpad/launchpad/signing"
)

// ErrNotAdmin: a command that changes the host's trust needs euid 0.
var ErrNotAdmin = errors.New("this command changes the host's trust and needs admin rights (run as root)")

// Seams for tests.
var (
	adminOut io.Writer = os.Stdout
	geteuid            = os.Geteuid
)

// runKey implements `launchpad key generate --out PREFIX`.
func runKey(args []string) error {
	if len(args) == 0 || args[0] != "generate" {
		return cli.SubcommandUsage(args, "launchpad key generate --out PREFIX")
	}
	fs := cli.NewFlagSet("key generate", "launchpad key generate --out PREFIX")
	out := fs.String("out", "", "write PREFIX.pub and PREFIX.key (0600)")
	rest, err := cli.ParseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if *out == "" || len(rest) != 0 {
		return fmt.Errorf("%w: launchpad key generate --out PREFIX", cli.ErrUsage)
	}
	password := os.Getenv(signing.PasswordEnv)
	pub, err := signing.WriteKeyPair(*out, password)
	if err != nil {
		return err
	}
	fmt.Fprintf(adminOut, "key id %s\npublic key %s (%s.pub)\nprivate key %s.key (mode 0600)\n", pub.ID(), pub.String(), *out, *out)
	if password == "" {
		fmt.Fprintf(adminOut, "note: the private key is NOT encrypted (like minisign -W); keep it offline or set %s to encrypt it\n", signing.PasswordEnv)
	}
	return nil
}

// runPlugin implements plugin sign | register | list | remove.
func runPlugin(args []string) error {
	const pluginUsage = "launchpad plugin sign --key PREFIX.key --name N --language L [--language L2] --version V BINARY | " +
		"plugin register BINARY | plugin list | plugin remove NAME"
	usages := map[string]string{"list": "launchpad plugin list [--format table|json]",
		"register": "launchpad plugin register BINARY", "remove": "launchpad plugin remove NAME"}
	if len(args) > 0 && args[0] == "sign" {
		return pluginSign(args[1:])
	}
	if len(args) == 0 || usages[args[0]] == "" {
		return cli.SubcommandUsage(args, pluginUsage)
	}
	var format *string
	c, err := parseStateCommand("plugin "+args[0], usages[args[0]], args[1:], func(fs *flag.FlagSet) {
		format = fs.String("format", "table", "plugin list: table or json")
	})
	if err != nil {
		return err
	}
	switch args[0] {
	case "list":
		if len(c.rest) != 0 || (*format != "table" && *format != "json") {
			return c.bad()
		}
		return pluginList(c.cfg, *format)
	case "register":
		if len(c.rest) != 1 {
			return c.bad()
		}
		return adminChange(c.cfg, func(cat *catalog.Catalog) error {
			e, err := cat.Register(c.rest[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(adminOut, "registered %s %s (%s) from %s, sha256 %s, publisher %s\n",
				e.Name, e.Version, strings.Join(e.Languages, ","), e.Path, e.SHA256, e.Publisher)
			return nil
		})
	default: // remove
		if len(c.rest) != 1 {
			return c.bad()
		}
		return adminChange(c.cfg, func(cat *catalog.Catalog) error {
			if err := cat.Remove(c.rest[0]); err != nil {
				return err
			}
			fmt.Fprintf(adminOut, "removed %s\n", c.rest[0])
			return nil
		})
	}
}

func pluginSign(args []string) error {
	const signUsage = "launchpad plugin sign --key PREFIX.key --name N --language L [--language L2] --version V BINARY"
	fs := cli.NewFlagSet("plugin sign", signUsage)
	key := fs.String("key", "", "private key file (PREFIX.key)")
	name := fs.String("name", "", "launcher name, e.g. PythonLauncher")
	version := fs.String("version", "", "launcher version")
	var langs stringList
	fs.Var(&langs, "language", "language served (repeat for several)")
	rest, err := cli.ParseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *key == "" || *name == "" || *version == "" || len(langs) == 0 || len(rest) != 1 {
		return fmt.Errorf("%w: %s", cli.ErrUsage, signUsage)
	}
	priv, err := signing.ReadPrivateKeyFile(*key, os.Getenv(signing.PasswordEnv))
	if err != nil {
		return err
	}
	m, err := signing.SignFile(priv, rest[0], signing.Manifest{Name: *name, Languages: langs, Version: *version,
		APIVersion: launcher.APIVersion})
	if err != nil {
		return err
	}
	fmt.Fprintf(adminOut, "wrote %s%s with key %s\ntrusted comment: %s\n", rest[0], signing.SignatureSuffix, priv.ID(), m)
	return nil
}

// pluginList shows each registered launcher and what a start would find
// now: trusted, revoked key, binary changed, …
func pluginList(cfg catalog.Config, format string) error {
	c, err := catalog.Open(cfg, cliLogger())
	if err != nil {
		return err
	}
	statuses, err := c.Statuses()
	if err != nil {
		return err
	}
	if format == "json" {
		return cli.WriteJSON(adminOut, statuses)
	}
	tw := tabwriter.NewWriter(adminOut, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tLANGUAGES\tSTATUS\tPUBLISHER\tKEY ID\tSHA256\tPATH")
	for _, e := range statuses {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Version, strings.Join(e.Languages, ","),
			e.Status, e.Publisher, e.KeyID, e.SHA256, e.Path)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range statuses {
		if e.Reason != "" {
			fmt.Fprintf(adminOut, "%s: %s\n", e.Name, e.Reason)
		}
	}
	return nil
}

// runTrust implements trust add | list | revoke.
func runTrust(args []string) error {
	const trustUsage = "launchpad trust add PUBKEY --name PUBLISHER | trust list | trust revoke PUBLISHER"
	usages := map[string]string{"add": "launchpad trust add PUBKEY --name PUBLISHER",
		"list": "launchpad trust list", "revoke": "launchpad trust revoke PUBLISHER"}
	if len(args) == 0 || usages[args[0]] == "" {
		return cli.SubcommandUsage(args, trustUsage)
	}
	var name *string
	c, err := parseStateCommand("trust "+args[0], usages[args[0]], args[1:], func(fs *flag.FlagSet) {
		name = fs.String("name", "", "publisher name (trust add)")
	})
	if err != nil {
		return err
	}
	switch args[0] {
	case "add":
		if len(c.rest) != 1 || *name == "" {
			return c.bad()
		}
		// PUBKEY is a .pub file or the bare base64 key (as minisign -P takes).
		var pub signing.PublicKey
		if _, statErr := os.Stat(c.rest[0]); statErr == nil {
			pub, err = signing.ReadPublicKeyFile(c.rest[0])
		} else {
			pub, err = signing.ParsePublicKey([]byte(c.rest[0]))
		}
		if err != nil {
			return err
		}
		return adminChange(c.cfg, func(cat *catalog.Catalog) error {
			p, err := cat.TrustAdd(*name, pub)
			if err != nil {
				return err
			}
			fmt.Fprintf(adminOut, "trusted key %s for publisher %s\n", p.KeyID, p.Name)
			return nil
		})
	case "revoke":
		if len(c.rest) != 1 {
			return c.bad()
		}
		return adminChange(c.cfg, func(cat *catalog.Catalog) error {
			revoked, err := cat.TrustRevoke(c.rest[0])
			if err != nil {
				return err
			}
			for _, p := range revoked {
				fmt.Fprintf(adminOut, "revoked key %s of publisher %s\n", p.KeyID, p.Name)
			}
			return nil
		})
	default: // list
		if len(c.rest) != 0 {
			return c.bad()
		}
		return trustList(c.cfg)
	}
}

// stateCommand is an administrator's subcommand that acts on a host's
// state, parsed: its arguments and the catalog configuration its state
// flags name.
type stateCommand struct {
	usage string
	rest  []string
	cfg   catalog.Config
}

// parseStateCommand parses args with the state flags and those extra
// adds, and loads the configuration they name.
func parseStateCommand(name, usage string, args []string, extra func(*flag.FlagSet)) (*stateCommand, error) {
	fs := cli.NewFlagSet(name, usage)
	stateOf := stateFlags(fs)
	extra(fs)
	rest, err := cli.ParseInterspersed(fs, args)
	if err != nil {
		return nil, err
	}
	cfg, err := stateOf()
	if err != nil {
		return nil, err
	}
	return &stateCommand{usage: usage, rest: rest, cfg: cfg}, nil
}

// bad is the subcommand's usage error.
func (c *stateCommand) bad() error { return fmt.Errorf("%w: %s", cli.ErrUsage, c.usage) }

// trustList prints the trust store, revoked keys included.
func trustList(cfg catalog.Config) error {
	// Same open-then-list start as pluginList: two commands, a few lines each, clearer inline than behind a helper.
	c, err := catalog.Open(cfg, cliLogger())
	if err != nil {
		return err
	}
	pubs, err := c.Publishers()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(adminOut, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PUBLISHER\tKEY ID\tSTATUS\tADDED\tPUBLIC KEY")
	for _, p := range pubs {
		status := "trusted"
		if p.Revoked && p.RevokedAt != nil {
			status = "revoked " + p.RevokedAt.Format("2006-01-02T15:04:05Z")
		} else if p.Revoked {
			status = "revoked"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.Name, p.KeyID, status, p.AddedAt.Format("2006-01-02T15:04:05Z"), p.PublicKey)
	}
	return tw.Flush()
}

// adminChange opens the catalog and runs change, refusing (and, where the
// log is writable, auditing the refusal) unless the process is root.
func adminChange(cfg catalog.Config, change func(*catalog.Catalog) error) error {
	c, err := catalog.Open(cfg, cliLogger())
	if geteuid() != 0 {
		// A non-root process normally cannot open root's 0600 audit log;
		// then the refusal is reported on stderr only.
		if err == nil {
			if aerr := c.Audit(catalog.AuditEvent{Action: "admin", Target: strings.Join(os.Args, " "),
				Result: catalog.ResultRefused, Reason: ErrNotAdmin.Error()}); aerr != nil {
				return errors.Join(ErrNotAdmin, aerr)
			}
		}
		return ErrNotAdmin
	}
	if err != nil {
		return err
	}
	return change(c)
}

// stateFlags adds --config, --state and --plugin-dir; the returned func
// reads them. The host's state and plugin folders come from its
// configuration file (default the one serve reads); --state and
// --plugin-dir override it, and without them a missing default file means
// the default folders.
func stateFlags(fs *flag.FlagSet) func() (catalog.Config, error) {
	file := fs.String("config", defaultConfig, "the host's configuration file: act on that host's state")
	state := fs.String("state", "", "state folder (trust store, catalog, audit log); default: the configuration's state_dir")
	plugins := fs.String("plugin-dir", "", "plugin folder; default: the configuration's plugin_dir, else STATE/plugins")
	return func() (catalog.Config, error) {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		cfg := catalog.Config{StateDir: *state, PluginDir: *plugins}
		if cfg.StateDir == "" {
			hc, err := config.Parse(*file)
			switch {
			case err == nil:
				if err := hc.Normalize(); err != nil {
					return cfg, err
				}
				cfg.StateDir = hc.StateDir
				if cfg.PluginDir == "" {
					cfg.PluginDir = hc.PluginDir
				}
			case set["config"] || !errors.Is(err, os.ErrNotExist):
				return cfg, err
			default:
				cfg.StateDir = catalog.DefaultStateDir
			}
		}
		var err error
		if cfg.StateDir, err = filepath.Abs(cfg.StateDir); err != nil {
			return cfg, err
		}
		if cfg.PluginDir != "" {
			cfg.PluginDir, err = filepath.Abs(cfg.PluginDir)
		}
		return cfg, err
	}
}

func cliLogger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "launchpad", Level: hclog.Warn, Output: os.Stderr})
}

// stringList is a repeatable flag that also splits on commas.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }

func (s *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*s = append(*s, p)
		}
	}
	return nil
}
