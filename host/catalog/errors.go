package catalog

import (
	"errors"
	"fmt"
)

// ErrUntrustedPlugin matches every refusal (errors.Is), whatever its reason.
var ErrUntrustedPlugin = errors.New("untrusted launcher")

// Refusal reasons; each RefusalError carries exactly one of them.
var (
	ErrUnsigned              = errors.New("no signature (.minisig) beside the binary")
	ErrBadSignature          = errors.New("bad signature")
	ErrUntrustedKey          = errors.New("signed by a key no trusted publisher holds")
	ErrRevokedKey            = errors.New("signed by a revoked key")
	ErrHashMismatch          = errors.New("sha256 mismatch")
	ErrLanguageNotInManifest = errors.New("language not in the signed manifest")
	ErrOutsidePluginDir      = errors.New("binary outside the plugin directory")
	ErrUnsafePermissions     = errors.New("unsafe ownership or permissions")
	ErrNotRegistered         = errors.New("launcher not registered")
	ErrNoLauncher            = errors.New("no registered launcher for the language")
	ErrMissingBinary         = errors.New("launcher binary missing")
	ErrUnsupportedAPI        = errors.New("unsupported launcher api version")
)

// ErrHostFault is returned when the host could not verify a launcher at all
// (memfd_create failed, a state file could not be read): a fault of the host,
// not a verdict on the launcher, so it is neither a refusal nor audited as one.
var ErrHostFault = errors.New("host fault while verifying a launcher")

// Errors of admin actions that are not verification refusals.
var (
	// ErrLanguageTaken: another registered launcher already serves a language.
	ErrLanguageTaken = errors.New("language already served by another launcher")
	// ErrPublisherExists: the key is already trusted (or was revoked, which is final).
	ErrPublisherExists = errors.New("key already in the trust store")
	// ErrUnknownPublisher: no publisher by that name.
	ErrUnknownPublisher = errors.New("unknown publisher")
	// ErrInvalidConfig: a Config field breaks its documented constraints.
	ErrInvalidConfig = errors.New("invalid catalog config")
)

// RefusalError is returned whenever a launcher may not be registered or
// started. Its message names the launcher and the reason; errors.Is matches
// both ErrUntrustedPlugin and the specific reason.
type RefusalError struct {
	// Launcher is the launcher's registered name (or the binary's path when
	// it has no name yet, at registration).
	Launcher string
	// Language is the requested language; empty at registration.
	Language string
	// Err is the reason, wrapping one of the refusal sentinels.
	Err error
}

func (e *RefusalError) Error() string {
	who := e.Launcher
	if who == "" {
		who = "(none)"
	}
	if e.Language != "" {
		return fmt.Sprintf("untrusted launcher %s for language %s: %v", who, e.Language, e.Err)
	}
	return fmt.Sprintf("untrusted launcher %s: %v", who, e.Err)
}

// Unwrap exposes ErrUntrustedPlugin and the reason to errors.Is / errors.As.
func (e *RefusalError) Unwrap() []error { return []error{ErrUntrustedPlugin, e.Err} }
