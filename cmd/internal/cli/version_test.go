package cli

import (
	"runtime"
	"strings"
	"testing"
)

func TestVersion_LinkedVersionAndToolchain(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "1.2.3"
	got := Version()
	if !strings.HasPrefix(got, "launchpad 1.2.3 (") || !strings.Contains(got, runtime.Version()) {
		t.Errorf("Version() = %q", got)
	}
	version = ""
	if got := Version(); !strings.HasPrefix(got, "launchpad dev") && !strings.HasPrefix(got, "launchpad v") {
		t.Errorf("unstamped Version() = %q", got)
	}
}
