package linktest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/openlaunchpad/launchpad/"

// Only fails t unless the package in the current folder links, of this
// module, only the packages in own (paths below the module), and no
// package under any of the forbidden import-path prefixes.
func Only(t *testing.T, own []string, forbidden ...string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, p := range own {
		allowed[p] = true
	}
	for _, p := range strings.Fields(string(out)) {
		if rel, ok := strings.CutPrefix(p, module); ok && !allowed[rel] {
			t.Errorf("links %s", p)
		}
		for _, f := range forbidden {
			if strings.HasPrefix(p, f) {
				t.Errorf("links %s", p)
			}
		}
	}
}
