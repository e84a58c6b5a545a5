package launcher

import (
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
