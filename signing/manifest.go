package signing

import (
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ManifestPrefix starts every manifest's trusted comment; it versions the
// manifest format itself.
const ManifestPrefix = "launchpad-manifest v1"

var (
	nameRE     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,63}$`)
	languageRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+-]{0,31}$`)
	versionRE  = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$`)
)

// Manifest is what a publisher vouches for when signing a launcher binary.
type Manifest struct {
	// Name identifies the launcher (e.g. PythonLauncher): a letter, then
	// letters, digits, '_', '.', '-', at most 64 characters.
	Name string
	// Languages the launcher serves (e.g. Python); at least one, no duplicates
	// (compared case-insensitively), each a letter then letters, digits, '_',
	// '+', '-'.
	Languages []string
	// Version is the launcher's own version, free-form without spaces.
	Version string
	// APIVersion is the launcher protocol version the binary speaks.
	APIVersion int
	// SHA256 is the lowercase hex SHA-256 of the exact binary.
	SHA256 string
}

// ValidName reports whether s is acceptable as a launcher or publisher name;
// names reach file paths and log lines, so they are kept plain.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// ValidLanguage reports whether s is acceptable as a language name.
func ValidLanguage(s string) bool { return languageRE.MatchString(s) }

// Validate checks every field's syntax.
func (m Manifest) Validate() error {
	if !nameRE.MatchString(m.Name) {
		return fmt.Errorf("%w: invalid launcher name %q", ErrInvalidManifest, m.Name)
	}
	if len(m.Languages) == 0 {
		return fmt.Errorf("%w: launcher %s names no language", ErrInvalidManifest, m.Name)
	}
	seen := make([]string, 0, len(m.Languages))
	for _, l := range m.Languages {
		if !languageRE.MatchString(l) {
			return fmt.Errorf("%w: invalid language %q", ErrInvalidManifest, l)
		}
		if slices.Contains(seen, strings.ToLower(l)) {
			return fmt.Errorf("%w: language %q listed twice", ErrInvalidManifest, l)
		}
		seen = append(seen, strings.ToLower(l))
	}
	if !versionRE.MatchString(m.Version) {
		return fmt.Errorf("%w: invalid version %q", ErrInvalidManifest, m.Version)
	}
	if m.APIVersion < 1 {
		return fmt.Errorf("%w: invalid api version %d", ErrInvalidManifest, m.APIVersion)
	}
	if len(m.SHA256) != 64 || strings.ToLower(m.SHA256) != m.SHA256 {
		return fmt.Errorf("%w: sha256 must be 64 lowercase hex digits", ErrInvalidManifest)
	}
	if _, err := hex.DecodeString(m.SHA256); err != nil {
		return fmt.Errorf("%w: sha256 must be 64 lowercase hex digits", ErrInvalidManifest)
	}
	return nil
}

// HasLanguage reports whether the manifest lists language (case-insensitive).
func (m Manifest) HasLanguage(language string) bool {
	return slices.ContainsFunc(m.Languages, func(l string) bool { return strings.EqualFold(l, language) })
}

// String renders the manifest as the trusted comment, e.g.
// "launchpad-manifest v1 name=PythonLauncher languages=Python version=0.1.0 api=1 sha256=…".
func (m Manifest) String() string {
	return fmt.Sprintf("%s name=%s languages=%s version=%s api=%d sha256=%s",
		ManifestPrefix, m.Name, strings.Join(m.Languages, ","), m.Version, m.APIVersion, m.SHA256)
}

// ParseManifest parses a trusted comment written by Manifest.String. It is
// strict: every key exactly once, nothing unknown, so that two parsers can
// never read one signed comment differently.
func ParseManifest(comment string) (Manifest, error) {
	rest, ok := strings.CutPrefix(comment, ManifestPrefix+" ")
	if !ok {
		return Manifest{}, fmt.Errorf("%w: trusted comment does not start with %q", ErrNoManifest, ManifestPrefix)
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, " ") {
		k, v, ok := strings.Cut(f, "=")
		if !ok || v == "" {
			return Manifest{}, fmt.Errorf("%w: malformed field %q", ErrInvalidManifest, f)
		}
		if _, dup := fields[k]; dup {
			return Manifest{}, fmt.Errorf("%w: field %q repeated", ErrInvalidManifest, k)
		}
		fields[k] = v
	}
	want := []string{"name", "languages", "version", "api", "sha256"}
	if len(fields) != len(want) {
		return Manifest{}, fmt.Errorf("%w: want exactly the fields %s", ErrInvalidManifest, strings.Join(want, ", "))
	}
	for _, k := range want {
		if _, ok := fields[k]; !ok {
			return Manifest{}, fmt.Errorf("%w: missing field %q", ErrInvalidManifest, k)
		}
	}
	api, err := strconv.Atoi(fields["api"])
	if err != nil {
		return Manifest{}, fmt.Errorf("%w: api %q is not a number", ErrInvalidManifest, fields["api"])
	}
	m := Manifest{
		Name:       fields["name"],
		Languages:  strings.Split(fields["languages"], ","),
		Version:    fields["version"],
		APIVersion: api,
		SHA256:     fields["sha256"],
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}
