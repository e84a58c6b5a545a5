package signing

import "errors"

// Sentinel errors; callers match them with errors.Is.
var (
	// ErrInvalidManifest: a manifest field is missing or malformed.
	ErrInvalidManifest = errors.New("invalid launcher manifest")
	// ErrNoManifest: a valid minisign signature whose trusted comment is not a
	// Launchpad manifest (e.g. plain `minisign -S` without -t).
	ErrNoManifest = errors.New("signature carries no launchpad manifest")
	// ErrMalformedSignature: the .minisig text cannot be parsed.
	ErrMalformedSignature = errors.New("malformed signature")
	// ErrLegacySignature: a non-prehashed signature (`minisign -S -l`), which
	// would need the whole binary in memory to verify; re-sign without -l.
	ErrLegacySignature = errors.New("legacy (non-prehashed) signature not accepted")
	// ErrKeyMismatch: the signature was made by a key other than the one given.
	ErrKeyMismatch = errors.New("signature made by another key")
	// ErrBadSignature: the signature does not verify over these bytes and
	// this trusted comment.
	ErrBadSignature = errors.New("signature does not verify")
	// ErrMalformedKey: a key file cannot be parsed.
	ErrMalformedKey = errors.New("malformed key")
	// ErrKeyEncrypted: the private key is password-protected and no password
	// (LAUNCHPAD_KEY_PASSWORD) was given.
	ErrKeyEncrypted = errors.New("private key is encrypted; set LAUNCHPAD_KEY_PASSWORD")
	// ErrWrongPassword: the password does not decrypt the private key.
	ErrWrongPassword = errors.New("wrong password for private key")
)
