package signing

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"aead.dev/minisign"

	"github.com/openlaunchpad/launchpad/internal/fileutil"
)

// SignatureSuffix names the signature file beside a binary: BINARY.minisig,
// minisign's default, so `minisign -Vm BINARY` finds it.
const SignatureSuffix = ".minisig"

// ErrDigestMismatch: the manifest's SHA-256 is not the binary's.
var ErrDigestMismatch = errors.New("manifest sha256 does not match the binary")

// Digest computes, in one pass over a stream, the SHA-256 the manifest pins
// and the BLAKE2b-512 prehash minisign signs. Read from it (e.g. io.Copy
// into the destination) to feed both.
type Digest struct {
	mr  *minisign.Reader
	sha hash.Hash
	n   int64
}

// NewDigest wraps r.
func NewDigest(r io.Reader) *Digest {
	d := &Digest{sha: sha256.New()}
	d.mr = minisign.NewReader(io.TeeReader(r, d.sha))
	return d
}

// Read reads from the wrapped reader, hashing what passes.
func (d *Digest) Read(p []byte) (int, error) {
	n, err := d.mr.Read(p)
	d.n += int64(n)
	return n, err
}

// SHA256 is the lowercase hex SHA-256 of everything read so far.
func (d *Digest) SHA256() string { return hex.EncodeToString(d.sha.Sum(nil)) }

// Size is the number of bytes read so far.
func (d *Digest) Size() int64 { return d.n }

// Sign reads the whole binary from r and returns minisign signature text
// whose trusted comment is the manifest. m.SHA256 is computed here (any
// value given is replaced). m.APIVersion must be set: the launcher API
// version is the SDK's (launcher.APIVersion), not this package's.
func Sign(priv PrivateKey, r io.Reader, m Manifest) ([]byte, Manifest, error) {
	d := NewDigest(r)
	if _, err := io.Copy(io.Discard, d); err != nil {
		return nil, Manifest{}, fmt.Errorf("read binary: %w", err)
	}
	m.SHA256 = d.SHA256()
	if err := m.Validate(); err != nil {
		return nil, Manifest{}, err
	}
	sig := d.mr.SignWithComments(priv.k, m.String(), "signature from launchpad secret key "+priv.ID())
	return sig, m, nil
}

// SignFile signs the binary at path and writes path+".minisig" (0644),
// replacing any previous signature atomically.
func SignFile(priv PrivateKey, path string, m Manifest) (Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("open binary: %w", err)
	}
	sig, m, err := Sign(priv, f, m)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return Manifest{}, fmt.Errorf("sign %s: %w", path, err)
	}
	if err := fileutil.WriteAtomic(path+SignatureSuffix, sig, 0o644); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Signature is a parsed, not yet verified, minisign signature. Nothing in it
// may be trusted before Verify succeeds.
type Signature struct {
	// KeyID names the key that claims to have signed (a hint for finding the
	// public key, not authenticated by itself).
	KeyID string
	// TrustedComment is the raw trusted comment.
	TrustedComment string

	text   []byte
	legacy bool
}

// ParseSignature parses .minisig text.
func ParseSignature(text []byte) (*Signature, error) {
	var s minisign.Signature
	if err := s.UnmarshalText(text); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformedSignature, err)
	}
	return &Signature{
		KeyID:          FormatKeyID(s.KeyID),
		TrustedComment: s.TrustedComment,
		text:           append([]byte(nil), text...),
		legacy:         s.Algorithm == minisign.EdDSA,
	}, nil
}

// Verify checks the signature and its trusted comment against the bytes the
// digest has read (read them all first) and returns the authenticated
// manifest. The caller still compares Manifest.SHA256 with d.SHA256() and
// checks name and language against what it expects.
func (s *Signature) Verify(pub PublicKey, d *Digest) (Manifest, error) {
	if s.KeyID != pub.ID() {
		return Manifest{}, fmt.Errorf("%w: signed by key %s, not %s", ErrKeyMismatch, s.KeyID, pub.ID())
	}
	if s.legacy {
		return Manifest{}, ErrLegacySignature
	}
	if !d.mr.Verify(pub.k, s.text) {
		return Manifest{}, ErrBadSignature
	}
	return ParseManifest(s.TrustedComment)
}

// VerifyFile verifies path against path+".minisig" with pub and returns the
// manifest, including the check that the manifest's hash is the file's. It
// is for tools and tests; the host verifies through host/catalog, which also
// checks ownership and executes the verified bytes only.
func VerifyFile(pub PublicKey, path string) (Manifest, error) {
	text, err := os.ReadFile(path + SignatureSuffix)
	if err != nil {
		return Manifest{}, fmt.Errorf("read signature: %w", err)
	}
	sig, err := ParseSignature(text)
	if err != nil {
		return Manifest{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Manifest{}, fmt.Errorf("open binary: %w", err)
	}
	defer f.Close()
	d := NewDigest(f)
	if _, err := io.Copy(io.Discard, d); err != nil {
		return Manifest{}, fmt.Errorf("read binary: %w", err)
	}
	m, err := sig.Verify(pub, d)
	if err != nil {
		return Manifest{}, err
	}
	if m.SHA256 != d.SHA256() {
		return Manifest{}, fmt.Errorf("%w: manifest %s, binary %s", ErrDigestMismatch, m.SHA256, d.SHA256())
	}
	return m, nil
}
