package python

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const python = "/usr/bin/python3"

// requireDeps skips when Debian's python3 lacks what the client imports
// (scripts/install-deps.sh installs them).
func requireDeps(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import pandas, grpc, google.protobuf").Run(); err != nil {
		t.Skipf("%s with pandas, grpc and protobuf is not installed (scripts/install-deps.sh): %v", python, err)
	}
}

// The client's own unit tests (unittest), with the client used in place
// through PYTHONPATH, as docs/python-client.md describes.
func TestClient_PythonUnitTests(t *testing.T) {
	requireDeps(t)
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-B", "-m", "unittest", "discover", "-s", "tests")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python unit tests failed: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("\nOK")) {
		t.Fatalf("no unittest verdict:\n%s", out)
	}
}

// TestClient_PipInstallsFromTheRepository installs the package with pip
// from a copy of the repository's layout (pip writes build files next to the
// sources) and imports it from where pip put it: the linked modules must
// arrive as the files they link to.
func TestClient_PipInstallsFromTheRepository(t *testing.T) {
	requireDeps(t)
	if err := exec.Command(python, "-m", "pip", "--version").Run(); err != nil {
		t.Skipf("pip is not installed (apt-get install python3-pip): %v", err)
	}
	repo := t.TempDir()
	copyTree(t, ".", filepath.Join(repo, "clients", "python"))
	for _, link := range []string{"launchpad_bxl.py", "launchpad_frames_in.py"} {
		target, err := filepath.EvalSymlinks(link)
		if err != nil {
			t.Fatal(err)
		}
		rel, err := filepath.Rel("../..", target)
		if err != nil {
			t.Fatal(err)
		}
		copyFile(t, target, filepath.Join(repo, rel))
	}
	site := filepath.Join(repo, "site")
	cmd := exec.Command(python, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--no-deps",
		"--disable-pip-version-check", "--target", site, "./clients/python")
	cmd.Dir = repo
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pip install: %v\n%s", err, out)
	}
	// -I: neither PYTHONPATH nor the current folder: only what pip installed.
	out, err := exec.Command(python, "-I", "-c", `import sys; sys.path.insert(0, sys.argv[1])
import launchpad, launchpad_bxl, launchpad_frames_in
print(launchpad.__file__); print(launchpad_bxl.__file__); print(launchpad_frames_in.__file__)
print(launchpad.execute.__name__, launchpad.ScriptError.__mro__[1].__name__)`, site).CombinedOutput()
	if err != nil {
		t.Fatalf("import the installed client: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for _, l := range lines[:3] {
		if !strings.HasPrefix(l, site+"/") {
			t.Errorf("module loaded from %s, want under %s", l, site)
		}
	}
	if lines[3] != "execute JobError" {
		t.Errorf("installed API: %q", lines[3])
	}
	for _, link := range []string{"launchpad_bxl.py", "launchpad_frames_in.py"} {
		want, _ := os.ReadFile(link)
		got, err := os.ReadFile(filepath.Join(site, link))
		if err != nil || len(want) == 0 || !bytes.Equal(got, want) {
			t.Errorf("installed %s differs from the repository's (%v)", link, err)
		}
		if fi, err := os.Lstat(filepath.Join(site, link)); err == nil && fi.Mode()&os.ModeSymlink != 0 {
			t.Errorf("installed %s is a link, want the file", link)
		}
	}
}

// The committed launchpad_pb2.py is protoc's output for the API's current
// proto: a proto change without `make proto` fails here.
func TestClient_GeneratedCodeIsCurrent(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		t.Skipf("protoc is not installed (apt-get install protobuf-compiler): %v", err)
	}
	out := t.TempDir()
	cmd := exec.Command("protoc", "-I", "../../host/api/proto", "--python_out="+out, "launchpad.proto")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, b)
	}
	want, err := os.ReadFile(filepath.Join(out, "launchpad_pb2.py"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("launchpad/launchpad_pb2.py")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("launchpad/launchpad_pb2.py is not what protoc makes of host/api/proto/launchpad.proto: run make proto")
	}
}

// copyTree copies the folder src to dst, links as links, without
// __pycache__ or build output.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		name := d.Name()
		if d.IsDir() && (name == "__pycache__" || name == "build" || strings.HasSuffix(name, ".egg-info")) {
			return filepath.SkipDir
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&os.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		}
		copyFile(t, path, to)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
