package launcher

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func TestStageDir_WritesEveryFileAndReturnsMain(t *testing.T) {
	fsys := fstest.MapFS{
		"rt/main.py":  {Data: []byte("import part")},
		"rt/part.py":  {Data: []byte("x = 1")},
		"other/no.py": {Data: []byte("not staged")},
	}
	dir := t.TempDir()
	p, err := StageDir(&RunRequest{WorkingDir: dir}, fsys, "rt", "main.py")
	if err != nil {
		t.Fatal(err)
	}
	if p != filepath.Join(dir, "main.py") {
		t.Errorf("main staged at %s", p)
	}
	for name, want := range map[string]string{"main.py": "import part", "part.py": "x = 1"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s: %q %v, want %q", name, got, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "no.py")); err == nil {
		t.Error("a file outside dir was staged")
	}
}

func TestStageDir_MissingMainIsAnError(t *testing.T) {
	fsys := fstest.MapFS{"rt/part.py": {Data: []byte("x = 1")}}
	_, err := StageDir(&RunRequest{WorkingDir: t.TempDir()}, fsys, "rt", "main.py")
	if err == nil || !strings.Contains(err.Error(), "main.py") {
		t.Fatalf("err = %v, want one naming main.py", err)
	}
}
