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

	"github.com/openlaunchpad/launchpad/host/catalog"
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
		return fmt.Errorf("%w: launchpad key generate --out PREFIX", errUsage)
	}
	fs := flag.NewFlagSet("key generate", flag.ContinueOnError)
	out := fs.String("out", "", "write PREFIX.pub and PREFIX.key (0600)")
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if *out == "" || len(rest) != 0 {
		return fmt.Errorf("%w: launchpad key generate --out PREFIX", errUsage)
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
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, pluginUsage)
	}
	switch args[0] {
	case "sign":
		return pluginSign(args[1:])
	case "register", "list", "remove":
		fs := flag.NewFlagSet("plugin "+args[0], flag.ContinueOnError)
		cfg := stateFlags(fs)
		rest, err := parseInterspersed(fs, args[1:])
		if err != nil {
			return err
		}
		switch args[0] {
		case "list":
			if len(rest) != 0 {
				return fmt.Errorf("%w: launchpad plugin list", errUsage)
			}
			return pluginList(cfg())
		case "register":
			if len(rest) != 1 {
				return fmt.Errorf("%w: launchpad plugin register BINARY", errUsage)
			}
			return adminChange(cfg(), func(c *catalog.Catalog) error {
				e, err := c.Register(rest[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(adminOut, "registered %s %s (%s) from %s, sha256 %s, publisher %s\n",
					e.Name, e.Version, strings.Join(e.Languages, ","), e.Path, e.SHA256, e.Publisher)
				return nil
			})
		default:
			if len(rest) != 1 {
				return fmt.Errorf("%w: launchpad plugin remove NAME", errUsage)
			}
			return adminChange(cfg(), func(c *catalog.Catalog) error {
				if err := c.Remove(rest[0]); err != nil {
					return err
				}
				fmt.Fprintf(adminOut, "removed %s\n", rest[0])
				return nil
			})
		}
	default:
		return fmt.Errorf("%w: %s", errUsage, pluginUsage)
	}
}

func pluginSign(args []string) error {
	const signUsage = "launchpad plugin sign --key PREFIX.key --name N --language L [--language L2] --version V BINARY"
	fs := flag.NewFlagSet("plugin sign", flag.ContinueOnError)
	key := fs.String("key", "", "private key file (PREFIX.key)")
	name := fs.String("name", "", "launcher name, e.g. PythonLauncher")
	version := fs.String("version", "", "launcher version")
	var langs stringList
	fs.Var(&langs, "language", "language served (repeat for several)")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *key == "" || *name == "" || *version == "" || len(langs) == 0 || len(rest) != 1 {
		return fmt.Errorf("%w: %s", errUsage, signUsage)
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

func pluginList(cfg catalog.Config) error {
	c, err := catalog.Open(cfg, cliLogger())
	if err != nil {
		return err
	}
	entries, err := c.List()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(adminOut, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tLANGUAGES\tPUBLISHER\tKEY ID\tSHA256\tPATH")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Version, strings.Join(e.Languages, ","),
			e.Publisher, e.KeyID, e.SHA256, e.Path)
	}
	return tw.Flush()
}

// runTrust implements trust add | list | revoke.
func runTrust(args []string) error {
	const trustUsage = "launchpad trust add PUBKEY --name PUBLISHER | trust list | trust revoke PUBLISHER"
	if len(args) == 0 {
		return fmt.Errorf("%w: %s", errUsage, trustUsage)
	}
	fs := flag.NewFlagSet("trust "+args[0], flag.ContinueOnError)
	cfg := stateFlags(fs)
	name := fs.String("name", "", "publisher name (trust add)")
	rest, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "add":
		if len(rest) != 1 || *name == "" {
			return fmt.Errorf("%w: launchpad trust add PUBKEY --name PUBLISHER", errUsage)
		}
		// PUBKEY is a .pub file or the bare base64 key (as minisign -P takes).
		var pub signing.PublicKey
		if _, statErr := os.Stat(rest[0]); statErr == nil {
			pub, err = signing.ReadPublicKeyFile(rest[0])
		} else {
			pub, err = signing.ParsePublicKey([]byte(rest[0]))
		}
		if err != nil {
			return err
		}
		return adminChange(cfg(), func(c *catalog.Catalog) error {
			p, err := c.TrustAdd(*name, pub)
			if err != nil {
				return err
			}
			fmt.Fprintf(adminOut, "trusted key %s for publisher %s\n", p.KeyID, p.Name)
			return nil
		})
	case "revoke":
		if len(rest) != 1 {
			return fmt.Errorf("%w: launchpad trust revoke PUBLISHER", errUsage)
		}
		return adminChange(cfg(), func(c *catalog.Catalog) error {
			revoked, err := c.TrustRevoke(rest[0])
			if err != nil {
				return err
			}
			for _, p := range revoked {
				fmt.Fprintf(adminOut, "revoked key %s of publisher %s\n", p.KeyID, p.Name)
			}
			return nil
		})
	case "list":
		if len(rest) != 0 {
			return fmt.Errorf("%w: launchpad trust list", errUsage)
		}
		c, err := catalog.Open(cfg(), cliLogger())
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
	default:
		return fmt.Errorf("%w: %s", errUsage, trustUsage)
	}
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

// stateFlags adds --state and --plugin-dir; the returned func reads them.
func stateFlags(fs *flag.FlagSet) func() catalog.Config {
	state := fs.String("state", catalog.DefaultStateDir, "state folder (trust store, catalog, audit log)")
	plugins := fs.String("plugin-dir", "", "plugin folder (default STATE/plugins)")
	return func() catalog.Config {
		cfg := catalog.Config{StateDir: *state, PluginDir: *plugins}
		if abs, err := filepath.Abs(cfg.StateDir); err == nil {
			cfg.StateDir = abs
		}
		if cfg.PluginDir != "" {
			if abs, err := filepath.Abs(cfg.PluginDir); err == nil {
				cfg.PluginDir = abs
			}
		}
		return cfg
	}
}

// parseInterspersed parses flags placed before or after positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", errUsage, fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
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
