package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// ErrInfoMismatch: a started launcher describes itself (Launcher.Info)
// unlike the manifest its publisher signed.
var ErrInfoMismatch = errors.New("launcher describes itself unlike its signed manifest")

// maxInfoTextBytes bounds each of a launcher's own strings quoted in an
// error: they come from inside the job's sandbox.
const maxInfoTextBytes = 128

// CheckInfo compares what a started launcher says about itself with its
// verified manifest: name, version, API version and languages. A mismatch
// means the signed bytes are not the launcher the publisher described, so
// the launcher is refused and the refusal audited.
func (c *Catalog) CheckInfo(l *Launcher, language string, info *launcher.Info) error {
	if info == nil {
		info = &launcher.Info{}
	}
	var diffs []string
	differ := func(field, got, want string) {
		if len(got) > maxInfoTextBytes {
			got = strings.ToValidUTF8(got[:maxInfoTextBytes], "") + "…"
		}
		// Quoted: escapes the launcher's control characters.
		diffs = append(diffs, fmt.Sprintf("%s %s, signed %s", field, strconv.Quote(got), strconv.Quote(want)))
	}
	if info.Name != l.Name {
		differ("name", info.Name, l.Name)
	}
	if info.Version != l.Version {
		differ("version", info.Version, l.Version)
	}
	if info.APIVersion != l.APIVersion {
		differ("api version", strconv.Itoa(info.APIVersion), strconv.Itoa(l.APIVersion))
	}
	if !sameLanguages(info.Languages, l.Languages) {
		differ("languages", strings.Join(info.Languages, ","), strings.Join(l.Languages, ","))
	}
	if len(diffs) == 0 {
		return nil
	}
	err := fmt.Errorf("%w: %s", ErrInfoMismatch, strings.Join(diffs, "; "))
	return c.refuse("launcher.start", &RefusalError{Launcher: l.Name, Language: language, Err: err},
		map[string]string{"sha256": l.SHA256})
}

// sameLanguages compares two language lists as sets, ignoring case, as
// the catalog matches languages.
func sameLanguages(a, b []string) bool {
	norm := func(ls []string) []string {
		out := make([]string, len(ls))
		for i, l := range ls {
			out[i] = strings.ToLower(l)
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	return slices.Equal(norm(a), norm(b))
}
