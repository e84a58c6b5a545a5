package catalog

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/openlaunchpad/launchpad/sdk/launcher"
	"github.com/openlaunchpad/launchpad/signing"
)

// maxSignatureBytes bounds the .minisig read; a real one is under 1 KiB.
const maxSignatureBytes = 16 << 10

// verified is the outcome of a successful verification.
type verified struct {
	manifest  signing.Manifest
	publisher Publisher
	sha256    string
	realPath  string
	exe       *os.File // sealed memfd; nil unless asked for
}

// verifyBinary runs every check on the binary at path. pinned is the
// registered SHA-256 ("" at registration); language is the requested one
// ("" at registration). Errors wrap exactly one refusal sentinel.
//
// The bytes are read exactly once, from one descriptor, into a sealed memfd
// while hashing; every later check and the eventual exec use those bytes, so
// swapping the file after this point changes nothing.
func (c *Catalog) verifyBinary(path string, trust []Publisher, pinned, language string, keepExe bool) (v *verified, err error) {
	f, real, err := c.openBinary(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sig, pub, key, err := signatureOf(real, trust)
	if err != nil {
		return nil, err
	}
	mem, d, err := sealedCopy(f, real)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil || !keepExe {
			mem.Close()
		}
	}()
	got := d.SHA256()
	if pinned != "" && got != pinned {
		return nil, fmt.Errorf("%w: binary changed since registration: pinned %s, now %s", ErrHashMismatch, pinned, got)
	}
	m, err := sig.Verify(key, d)
	if err != nil {
		return nil, fmt.Errorf("%w: %w (key %s of publisher %s)", ErrBadSignature, err, pub.KeyID, pub.Name)
	}
	if err := checkManifest(m, got, language); err != nil {
		return nil, err
	}
	v = &verified{manifest: m, publisher: pub, sha256: got, realPath: real}
	if keepExe {
		v.exe = mem
	}
	return v, nil
}

// openBinary resolves path inside the plugin folder, checks the folders above
// it and opens it without following symlinks: a regular file with safe
// owner and mode. It returns the open file and its resolved path.
func (c *Catalog) openBinary(path string) (*os.File, string, error) {
	real, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%w: %s", ErrMissingBinary, path)
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: resolve %s: %v", ErrMissingBinary, path, err)
	}
	pluginDir, err := filepath.EvalSymlinks(c.cfg.PluginDir)
	if err != nil {
		return nil, "", fmt.Errorf("%w: resolve plugin dir %s: %v", ErrOutsidePluginDir, c.cfg.PluginDir, err)
	}
	if !strings.HasPrefix(real, pluginDir+string(filepath.Separator)) {
		return nil, "", fmt.Errorf("%w: %s resolves to %s, not inside %s", ErrOutsidePluginDir, path, real, pluginDir)
	}
	// Ancestors first: once they are owner-only, nobody else can swap a
	// component between these checks and the open below.
	if err := c.checkTree(filepath.Dir(real), pluginDir); err != nil {
		return nil, "", err
	}
	f, err := openNoSymlinks(real)
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.EXDEV) {
			return nil, "", fmt.Errorf("%w: %s changed to a symlink during verification", ErrUnsafePermissions, real)
		}
		return nil, "", fmt.Errorf("%w: open %s: %v", ErrMissingBinary, real, err)
	}
	var st unix.Stat_t
	err = unix.Fstat(int(f.Fd()), &st)
	switch {
	case err != nil:
		err = fmt.Errorf("%w: fstat %s: %v", ErrMissingBinary, real, err)
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		err = fmt.Errorf("%w: %s is not a regular file", ErrUnsafePermissions, real)
	default:
		err = c.checkOwnerMode(real, st.Uid, st.Mode, false)
	}
	if err != nil {
		f.Close()
		return nil, "", err
	}
	return f, real, nil
}

// signatureOf reads the binary's signature and finds its key in trust.
func signatureOf(real string, trust []Publisher) (*signing.Signature, Publisher, signing.PublicKey, error) {
	sig, err := readSignature(real + signing.SignatureSuffix)
	if err != nil {
		return nil, Publisher{}, signing.PublicKey{}, err
	}
	pub, err := findKey(trust, sig.KeyID)
	if err != nil {
		return nil, Publisher{}, signing.PublicKey{}, err
	}
	key, err := signing.ParsePublicKey([]byte(pub.PublicKey))
	if err != nil {
		return nil, Publisher{}, signing.PublicKey{}, fmt.Errorf("%w: trusted key %s of %s is corrupt: %v", ErrUntrustedKey, pub.KeyID, pub.Name, err)
	}
	return sig, pub, key, nil
}

// sealedCopy reads f once into a sealed memfd while hashing it; the
// returned memfd is rewound, ready to exec.
func sealedCopy(f *os.File, real string) (*os.File, *signing.Digest, error) {
	mem, err := newSealableMemfd(filepath.Base(real))
	if err != nil {
		return nil, nil, err
	}
	d := signing.NewDigest(f)
	src := &readRecorder{r: d}
	if _, err = io.Copy(mem, src); err != nil && src.err != nil {
		err = fmt.Errorf("%w: read %s: %v", ErrMissingBinary, real, err)
	} else if err != nil {
		// The binary was fine; the host's own memory file was not.
		err = fmt.Errorf("%w: copy %s into memfd: %w", ErrHostFault, real, err)
	} else if err = seal(mem); err == nil {
		if _, err = mem.Seek(0, io.SeekStart); err != nil {
			err = fmt.Errorf("%w: rewind memfd: %w", ErrHostFault, err)
		}
	}
	if err != nil {
		mem.Close()
		return nil, nil, err
	}
	return mem, d, nil
}

// readRecorder remembers a read error, so that a failed copy can tell the
// binary's fault from the memfd's.
type readRecorder struct {
	r   io.Reader
	err error
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && err != io.EOF {
		rr.err = err
	}
	return n, err
}

// checkManifest checks what the verified manifest says against the bytes
// (got), the host's API version and the requested language ("" for any).
func checkManifest(m signing.Manifest, got, language string) error {
	if m.SHA256 != got {
		return fmt.Errorf("%w: manifest says %s, binary is %s", ErrHashMismatch, m.SHA256, got)
	}
	if m.APIVersion != launcher.APIVersion {
		return fmt.Errorf("%w: manifest api=%d, host speaks %d", ErrUnsupportedAPI, m.APIVersion, launcher.APIVersion)
	}
	if language != "" && !m.HasLanguage(language) {
		return fmt.Errorf("%w: %q not in signed languages %s", ErrLanguageNotInManifest, language, strings.Join(m.Languages, ","))
	}
	return nil
}

func readSignature(path string) (*signing.Signature, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s missing", ErrUnsigned, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %v", ErrUnsigned, path, err)
	}
	defer f.Close()
	text, err := io.ReadAll(io.LimitReader(f, maxSignatureBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read %s: %v", ErrUnsigned, path, err)
	}
	if len(text) > maxSignatureBytes {
		return nil, fmt.Errorf("%w: %s larger than %d bytes", ErrBadSignature, path, maxSignatureBytes)
	}
	sig, err := signing.ParseSignature(text)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return sig, nil
}

// findKey returns the trusted, non-revoked publisher key with that id.
func findKey(trust []Publisher, keyID string) (Publisher, error) {
	var revoked *Publisher
	for i, p := range trust {
		if p.KeyID != keyID {
			continue
		}
		if !p.Revoked {
			return p, nil
		}
		revoked = &trust[i]
	}
	if revoked != nil {
		at := "unknown time"
		if revoked.RevokedAt != nil {
			at = revoked.RevokedAt.UTC().Format("2006-01-02T15:04:05Z")
		}
		return Publisher{}, fmt.Errorf("%w: key %s of publisher %s was revoked at %s (%s)", ErrRevokedKey, keyID,
			revoked.Name, at, RevokedKeyHint)
	}
	return Publisher{}, fmt.Errorf("%w: key %s", ErrUntrustedKey, keyID)
}

// openNoSymlinks opens path read-only refusing a symlink in any component
// (openat2 RESOLVE_NO_SYMLINKS); kernels before 5.6 fall back to O_NOFOLLOW
// on the last component, the folders having been checked owner-only.
func openNoSymlinks(path string) (*os.File, error) {
	how := unix.OpenHow{
		Flags:   unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	}
	fd, err := unix.Openat2(unix.AT_FDCWD, path, &how)
	if errors.Is(err, unix.ENOSYS) {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// memfdCreate is unix.MemfdCreate; tests make it fail to see a host fault
// reported as one.
var memfdCreate = unix.MemfdCreate

// newSealableMemfd creates an anonymous file that can be sealed and executed.
func newSealableMemfd(name string) (*os.File, error) {
	flags := unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING
	// MFD_EXEC (Linux 6.3+) keeps the memfd executable even when
	// vm.memfd_noexec asks for non-executable memfds by default.
	fd, err := memfdCreate("launchpad:"+name, flags|unix.MFD_EXEC)
	if errors.Is(err, unix.EINVAL) {
		fd, err = memfdCreate("launchpad:"+name, flags)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: memfd_create: %w", ErrHostFault, err)
	}
	return os.NewFile(uintptr(fd), "memfd:launchpad:"+name), nil
}

// seal makes the memfd immutable for everyone, us included.
func seal(f *os.File) error {
	const seals = unix.F_SEAL_WRITE | unix.F_SEAL_GROW | unix.F_SEAL_SHRINK | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		return fmt.Errorf("%w: seal memfd: %w", ErrHostFault, err)
	}
	return nil
}

// checkTree checks dir and every folder above it up to /. Folders at or
// below strictFrom (the plugin or state folder) get no sticky-bit exception:
// nobody but the owner may create entries there.
func (c *Catalog) checkTree(dir, strictFrom string) error {
	for p := dir; ; p = filepath.Dir(p) {
		strict := p == strictFrom || strings.HasPrefix(p, strictFrom+string(filepath.Separator))
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return fmt.Errorf("%w: stat %s: %v", ErrUnsafePermissions, p, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			return fmt.Errorf("%w: %s is not a folder", ErrUnsafePermissions, p)
		}
		if err := c.checkOwnerMode(p, st.Uid, st.Mode, !strict); err != nil {
			return err
		}
		if p == "/" {
			return nil
		}
	}
}

// checkOwnerMode: owned by root or OwnerUID, not writable by group or
// others. A folder that is world-writable but sticky and root-owned (/tmp)
// is accepted: in a sticky folder only an entry's owner (or root) may rename
// or remove it, and the entry below it is itself checked to be owner-only,
// so another user can neither replace nor redirect the path.
func (c *Catalog) checkOwnerMode(path string, uid, mode uint32, stickyOK bool) error {
	if uid != 0 && int(uid) != c.cfg.OwnerUID {
		return fmt.Errorf("%w: %s is owned by uid %d, not root", ErrUnsafePermissions, path, uid)
	}
	if mode&0o022 == 0 {
		return nil
	}
	if stickyOK && uid == 0 && mode&unix.S_ISVTX != 0 {
		return nil
	}
	return fmt.Errorf("%w: %s is writable by group or others (mode %04o)", ErrUnsafePermissions, path, mode&0o7777)
}
