package job

import (
	"errors"
	"strings"
	"testing"

	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// mergeRecorder records what reaches the caller.
type mergeRecorder struct {
	schemas, batches int
	messages         []string
}

func (s *mergeRecorder) Started(Started) error            { return nil }
func (s *mergeRecorder) Schema([]byte, *bxl.Schema) error { s.schemas++; return nil }
func (s *mergeRecorder) Batch([]byte, *bxl.Batch) error   { s.batches++; return nil }
func (s *mergeRecorder) Message(_ Stream, text []byte) error {
	s.messages = append(s.messages, string(text))
	return nil
}

func TestMergeSink_OneSchemaAndJobWideLimits(t *testing.T) {
	rec := &mergeRecorder{}
	m := &mergeSink{Sink: rec, maxOutput: 10, maxMessages: 5}
	s1 := &bxl.Schema{Fields: []bxl.Field{{Name: "a", Type: bxl.TypeInt64}}}
	s2 := &bxl.Schema{Fields: []bxl.Field{{Name: "b", Type: bxl.TypeInt64}}}
	p1, p2 := m.part(1), m.part(2)
	if err := p1.Schema(bxl.AppendSchema(nil, s1), s1); err != nil {
		t.Fatal(err)
	}
	if err := p2.Schema(bxl.AppendSchema(nil, s1), s1); err != nil {
		t.Fatal(err)
	}
	if rec.schemas != 1 {
		t.Errorf("the caller got %d schemas, want 1", rec.schemas)
	}
	if err := p2.Schema(bxl.AppendSchema(nil, s2), s2); !errors.Is(err, errOtherColumns) || !strings.Contains(err.Error(), "partition 2") {
		t.Errorf("other columns: %v", err)
	}
	b := &bxl.Batch{Schema: s1}
	if err := p1.Batch(make([]byte, 6), b); err != nil {
		t.Fatal(err)
	}
	if err := p2.Batch(make([]byte, 6), b); !errors.Is(err, errJobOutput) {
		t.Errorf("12 bytes over a limit of 10: %v", err)
	}
	if err := p1.Message(Stdout, []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if err := p2.Message(Stdout, []byte("def")); !errors.Is(err, errJobMessages) {
		t.Errorf("6 message bytes over a limit of 5: %v", err)
	}
	if rec.batches != 1 || len(rec.messages) != 1 {
		t.Errorf("past the limits the caller got %d batches, %d messages", rec.batches, len(rec.messages))
	}
}

func TestPartJobID_FitsAJobID(t *testing.T) {
	long := strings.Repeat("a", 64)
	for _, parent := range []string{"j-1", long} {
		id := partJobID(parent, 123)
		if !ValidJobID(id) || !strings.HasSuffix(id, "-p123") {
			t.Errorf("partJobID(%q) = %q", parent, id)
		}
	}
}
