package bxl

import "testing"

// The JOB key chunked asks for a run per chunk; absent, it is off.
func TestJobHeader_ChunkedRoundTrip(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		h := JobHeader{JobID: "j", Language: "R", Script: "1", Chunked: chunked}
		got, err := DecodeJob(AppendDict(nil, h.dict()))
		if err != nil || got.Chunked != chunked {
			t.Fatalf("chunked %v: decoded %+v, %v", chunked, got, err)
		}
		if _, ok := dictValue(h.dict(), "chunked"); ok != chunked {
			t.Errorf("chunked %v: key present = %v", chunked, ok)
		}
	}
}

func dictValue(kv [][2]string, key string) (string, bool) {
	for _, e := range kv {
		if e[0] == key {
			return e[1], true
		}
	}
	return "", false
}
