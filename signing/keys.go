package signing

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"

	"aead.dev/minisign"
	"golang.org/x/crypto/blake2b"

	"github.com/openlaunchpad/launchpad/internal/fileutil"
)

// PasswordEnv names the environment variable holding the private key's
// password. Unset or empty means the key file is not encrypted.
const PasswordEnv = "LAUNCHPAD_KEY_PASSWORD"

// PublicKey is a publisher's minisign public key.
type PublicKey struct{ k minisign.PublicKey }

// PrivateKey is a publisher's minisign private key.
type PrivateKey struct{ k minisign.PrivateKey }

// GenerateKey returns a fresh Ed25519 key pair from crypto/rand.
func GenerateKey() (PublicKey, PrivateKey, error) {
	pub, priv, err := minisign.GenerateKey(nil)
	if err != nil {
		return PublicKey{}, PrivateKey{}, fmt.Errorf("generate key: %w", err)
	}
	return PublicKey{pub}, PrivateKey{priv}, nil
}

// FormatKeyID renders a key id as minisign prints it: 16 uppercase hex digits.
func FormatKeyID(id uint64) string { return fmt.Sprintf("%016X", id) }

// ID is the key id as minisign prints it (16 uppercase hex digits).
func (p PublicKey) ID() string { return FormatKeyID(p.k.ID()) }

// String is the one-line base64 form (what `minisign -P` takes).
func (p PublicKey) String() string { return p.k.String() }

// Equal reports whether both are the same key.
func (p PublicKey) Equal(o PublicKey) bool { return p.k.Equal(o.k) }

// MarshalText renders the key as a minisign .pub file.
func (p PublicKey) MarshalText() ([]byte, error) {
	b, err := p.k.MarshalText()
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// ParsePublicKey accepts a minisign .pub file's content or its bare base64 line.
func ParsePublicKey(text []byte) (PublicKey, error) {
	text = bytes.TrimSpace(text)
	var k minisign.PublicKey
	if err := k.UnmarshalText(text); err != nil {
		return PublicKey{}, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	return PublicKey{k}, nil
}

// ReadPublicKeyFile reads a minisign .pub file.
func ReadPublicKeyFile(path string) (PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return PublicKey{}, fmt.Errorf("read public key: %w", err)
	}
	k, err := ParsePublicKey(b)
	if err != nil {
		return PublicKey{}, fmt.Errorf("public key %s: %w", path, err)
	}
	return k, nil
}

// ID is the key id (16 uppercase hex digits).
func (k PrivateKey) ID() string { return FormatKeyID(k.k.ID()) }

// Public returns the matching public key.
func (k PrivateKey) Public() PublicKey { return PublicKey{k.k.Public().(minisign.PublicKey)} }

// Layout of minisign's 158-byte secret key blob (minisign.c, SeckeyStruct).
const (
	skSize      = 158
	skKdfOff    = 2
	skKeyOff    = 54  // keynum (8) + Ed25519 secret key (64)
	skChkOff    = 126 // BLAKE2b-256 checksum
	skKeyAndID  = 72
	skFileLabel = "untrusted comment: minisign secret key "
)

// MarshalPrivateKey renders a minisign secret key file. With an empty
// password the key is stored unencrypted exactly like `minisign -G -W`
// (aead.dev/minisign alone omits the checksum that the minisign tool
// insists on, so we add it); otherwise it is encrypted with minisign's scrypt
// parameters (as `minisign -G`, which costs about 1 GiB of memory and a few
// seconds to open).
func MarshalPrivateKey(k PrivateKey, password string) ([]byte, error) {
	if password != "" {
		return minisign.EncryptKey(password, k.k)
	}
	text, err := k.k.MarshalText()
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(string(trimComment(text)))
	if err != nil || len(raw) != skSize {
		return nil, fmt.Errorf("%w: unexpected private key encoding", ErrMalformedKey)
	}
	// minisign's checksum: BLAKE2b-256(sig_alg || keynum || sk).
	msg := make([]byte, 0, 2+skKeyAndID)
	msg = binary.LittleEndian.AppendUint16(msg, minisign.EdDSA)
	msg = append(msg, raw[skKeyOff:skKeyOff+skKeyAndID]...)
	sum := blake2b.Sum256(msg)
	copy(raw[skChkOff:], sum[:])
	out := skFileLabel + k.ID() + "\n" + base64.StdEncoding.EncodeToString(raw) + "\n"
	return []byte(out), nil
}

// ParsePrivateKey reads a minisign secret key file, encrypted (needs
// password) or not (as `minisign -G -W` writes).
func ParsePrivateKey(text []byte, password string) (PrivateKey, error) {
	text = bytes.TrimSpace(text)
	if minisign.IsEncrypted(text) {
		if password == "" {
			return PrivateKey{}, ErrKeyEncrypted
		}
		k, err := minisign.DecryptKey(password, text)
		if err != nil {
			return PrivateKey{}, fmt.Errorf("%w: %v", ErrWrongPassword, err)
		}
		return PrivateKey{k}, nil
	}
	var k minisign.PrivateKey
	if err := k.UnmarshalText(text); err != nil {
		return PrivateKey{}, fmt.Errorf("%w: %v", ErrMalformedKey, err)
	}
	return PrivateKey{k}, nil
}

// ReadPrivateKeyFile reads a secret key file; password may be empty for an
// unencrypted key.
func ReadPrivateKeyFile(path, password string) (PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("read private key: %w", err)
	}
	k, err := ParsePrivateKey(b, password)
	if err != nil {
		return PrivateKey{}, fmt.Errorf("private key %s: %w", path, err)
	}
	return k, nil
}

// WriteKeyPair generates a key pair and writes PREFIX.pub (0644) and
// PREFIX.key (0600). It never overwrites an existing file: losing a
// publisher key silently would orphan every launcher signed with it.
func WriteKeyPair(prefix, password string) (PublicKey, error) {
	pub, priv, err := GenerateKey()
	if err != nil {
		return PublicKey{}, err
	}
	keyText, err := MarshalPrivateKey(priv, password)
	if err != nil {
		return PublicKey{}, fmt.Errorf("encode private key: %w", err)
	}
	pubText, err := pub.MarshalText()
	if err != nil {
		return PublicKey{}, err
	}
	for _, p := range []string{prefix + ".key", prefix + ".pub"} {
		if _, err := os.Lstat(p); err == nil {
			return PublicKey{}, fmt.Errorf("write key pair: %s: %w", p, os.ErrExist)
		}
	}
	if err := fileutil.WriteNew(prefix+".key", keyText, 0o600); err != nil {
		return PublicKey{}, err
	}
	if err := fileutil.WriteNew(prefix+".pub", pubText, 0o644); err != nil {
		return PublicKey{}, errors.Join(err, os.Remove(prefix+".key"))
	}
	return pub, nil
}

func trimComment(text []byte) []byte {
	text = bytes.TrimSpace(text)
	if first, rest, ok := bytes.Cut(text, []byte{'\n'}); ok && strings.HasPrefix(string(first), "untrusted comment: ") {
		return bytes.TrimSpace(rest)
	}
	return text
}
