package launcher

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestConvert_InfoRoundTrip(t *testing.T) {
	in := &Info{Name: "PythonLauncher", Version: "1.2.3", Languages: []string{"Python", "Py"}, APIVersion: APIVersion}
	if got := infoFromProto(infoToProto(in)); !reflect.DeepEqual(got, in) {
		t.Errorf("got %+v, want %+v", got, in)
	}
}

func TestConvert_RunRequestRoundTrip(t *testing.T) {
	in := &RunRequest{JobID: "j-1", Language: "R", WorkingDir: "/jobs/j-1", Settings: map[string]string{"runtime": "/usr/bin/Rscript"}}
	p := runRequestToProto(in)
	if p.GetDataFd() != DataFD {
		t.Errorf("data fd = %d, want %d", p.GetDataFd(), DataFD)
	}
	if got := runRequestFromProto(p); !reflect.DeepEqual(got, in) {
		t.Errorf("got %+v, want %+v", got, in)
	}
}

func TestConvert_ExitRoundTrip(t *testing.T) {
	for _, in := range []*ExitStatus{{Code: 0}, {Code: 3}, {Code: -1, Signal: "killed"}} {
		got := exitFromProto(exitToProto(in))
		if !reflect.DeepEqual(got, in) {
			t.Errorf("got %+v, want %+v", got, in)
		}
		if got.Success() != (in.Code == 0 && in.Signal == "") {
			t.Errorf("Success() wrong for %+v", in)
		}
	}
}

func TestRunRequest_SettingFallsBackToDefault(t *testing.T) {
	r := &RunRequest{Settings: map[string]string{"runtime": "/opt/python3", "empty": ""}}
	if got := r.Setting("runtime", "/usr/bin/python3"); got != "/opt/python3" {
		t.Errorf("set: %q", got)
	}
	for _, key := range []string{"empty", "missing"} {
		if got := r.Setting(key, "def"); got != "def" {
			t.Errorf("%s: %q, want the default", key, got)
		}
	}
}

func TestStageFile_WritesReadOnlyIntoTheJobFolder(t *testing.T) {
	dir := t.TempDir()
	p, err := StageFile(&RunRequest{WorkingDir: dir}, "rt.py", []byte("print(1)"))
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || filepath.Dir(p) != dir || fi.Mode().Perm() != 0o400 {
		t.Fatalf("staged %s: %v %v", p, fi.Mode(), err)
	}
}
