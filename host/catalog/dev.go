package catalog

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/internal/fileutil"
	"github.com/openlaunchpad/launchpad/sdk/launcher"
	"github.com/openlaunchpad/launchpad/signing"
)

// DevPublisher is the publisher name DevBootstrap trusts its key under.
const DevPublisher = "dev"

// devKeyPrefix: StateDir/dev.key (0600) and StateDir/dev.pub.
const devKeyPrefix = "dev"

// DevBinary is a first-party launcher for `launchpad dev` to sign and register.
type DevBinary struct {
	// Path of the built launcher. When it is outside the plugin folder it is
	// copied there (same base name) first.
	Path string
	// Name, Version and Languages go into the signed manifest.
	Name      string
	Version   string
	Languages []string
}

// DevBootstrap makes a state folder ready for `launchpad dev`: it creates a
// dev key in StateDir once (unencrypted, 0600) and reuses it, trusts it as
// publisher "dev" for this state folder only, signs each binary with it
// (rewriting the .minisig only when the binary or manifest changed) and
// registers it (re-pinning when re-signed). Idempotent; run at every start.
// If an administrator revoked the dev key, DevBootstrap refuses rather than
// re-trusting it.
func DevBootstrap(cfg Config, binaries []DevBinary, logger hclog.Logger) error {
	c, err := Open(cfg, logger)
	if err != nil {
		return err
	}
	priv, err := c.devKey()
	if err != nil {
		return err
	}
	if err := c.trustDevKey(priv.Public()); err != nil {
		return err
	}
	for _, b := range binaries {
		if err := c.devRegister(priv, b); err != nil {
			return fmt.Errorf("dev launcher %s: %w", b.Name, err)
		}
	}
	return nil
}

func (c *Catalog) devKey() (signing.PrivateKey, error) {
	prefix := filepath.Join(c.cfg.StateDir, devKeyPrefix)
	priv, err := signing.ReadPrivateKeyFile(prefix+".key", "")
	if err == nil {
		return priv, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return signing.PrivateKey{}, fmt.Errorf("dev key: %w", err)
	}
	// A stale .pub without its .key would block WriteKeyPair; it is ours.
	if err := os.Remove(prefix + ".pub"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return signing.PrivateKey{}, fmt.Errorf("dev key: %w", err)
	}
	pub, err := signing.WriteKeyPair(prefix, "")
	if err != nil {
		return signing.PrivateKey{}, fmt.Errorf("dev key: %w", err)
	}
	c.logger.Info("generated dev signing key", "key_id", pub.ID(), "path", prefix+".key")
	return signing.ReadPrivateKeyFile(prefix+".key", "")
}

func (c *Catalog) trustDevKey(pub signing.PublicKey) error {
	pubs, err := c.Publishers()
	if err != nil {
		return err
	}
	staleDev := false
	for _, p := range pubs {
		if p.KeyID == pub.ID() {
			if p.Revoked {
				return fmt.Errorf("dev key %s was revoked for publisher %s: %w; remove %s to start over",
					p.KeyID, p.Name, ErrRevokedKey, filepath.Join(c.cfg.StateDir, devKeyPrefix+".key"))
			}
			return nil
		}
		if p.Name == DevPublisher && !p.Revoked {
			staleDev = true
		}
	}
	// The dev key was regenerated: the old one can no longer sign anything
	// we know of, so it is revoked (audited) rather than left trusted.
	if staleDev {
		if _, err := c.revoke(DevPublisher, ""); err != nil {
			return err
		}
	}
	_, err = c.TrustAdd(DevPublisher, pub)
	return err
}

func (c *Catalog) devRegister(priv signing.PrivateKey, b DevBinary) error {
	target, err := c.stageDevBinary(b.Path)
	if err != nil {
		return err
	}
	sum, err := fileSHA256(target)
	if err != nil {
		return err
	}
	want := signing.Manifest{Name: b.Name, Languages: b.Languages, Version: b.Version,
		APIVersion: launcher.APIVersion, SHA256: sum}
	if err := want.Validate(); err != nil {
		return err
	}
	text, err := os.ReadFile(target + signing.SignatureSuffix)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	current := false
	if err == nil {
		sig, perr := signing.ParseSignature(text)
		current = perr == nil && sig.KeyID == priv.ID() && sig.TrustedComment == want.String()
	}
	if !current {
		if _, err := signing.SignFile(priv, target, want); err != nil {
			return err
		}
		c.logger.Info("signed dev launcher", "launcher", b.Name, "sha256", sum)
	}
	entries, err := c.List()
	if err != nil {
		return err
	}
	real, err := filepath.EvalSymlinks(target)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if current && e.Name == b.Name && e.SHA256 == sum && e.Path == real {
			return nil
		}
	}
	_, err = c.Register(target)
	return err
}

// stageDevBinary returns the binary's path inside the plugin folder,
// copying it there (0755, atomically) when it lives elsewhere or differs.
func (c *Catalog) stageDevBinary(path string) (string, error) {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	pluginDir, err := filepath.EvalSymlinks(c.cfg.PluginDir)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(real, pluginDir+string(filepath.Separator)) {
		return real, nil
	}
	data, err := os.ReadFile(real)
	if err != nil {
		return "", err
	}
	dst := filepath.Join(pluginDir, filepath.Base(real))
	old, err := os.ReadFile(dst)
	if err == nil && bytes.Equal(old, data) {
		return dst, nil
	}
	if err := fileutil.WriteAtomic(dst, data, 0o755); err != nil {
		return "", err
	}
	return dst, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
