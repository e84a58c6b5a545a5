package history

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/openlaunchpad/launchpad/host/job"
)

// runner runs jobs that end at their launcher lookup: resolve decides how.
// open opens the store in dir keeping keep jobs, or fails the test.
func open(t *testing.T, dir string, keep int) *Store {
	t.Helper()
	s, err := Open(dir, keep, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runner(s *Store, resolve job.Resolver) *job.Runner {
	return job.NewRunner(job.Config{Resolve: resolve, Observers: []job.Observer{s}})
}

func unknown(string) (*job.Launcher, error) {
	return nil, fmt.Errorf("%w: none registered", job.ErrUnknownLanguage)
}

func run(t *testing.T, r *job.Runner, id string) {
	t.Helper()
	_, err := r.Run(context.Background(), &job.Request{ID: id, Caller: "alice (1000)", Language: "Cobol", Script: "x"}, nil)
	var jerr *job.Error
	if !errors.As(err, &jerr) || jerr.Code != job.CodeUnknownLanguage {
		t.Fatalf("job %s: %v", id, err)
	}
}

func ids(infos []job.Info) string {
	var s []string
	for _, in := range infos {
		s = append(s, in.ID+":"+in.State)
	}
	return strings.Join(s, ",")
}

func TestStore_KeepsTheNewestAcrossReopenAndCompaction(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 3)
	r := runner(s, unknown)
	for i := range 8 {
		run(t, r, fmt.Sprintf("j%d", i))
	}
	want := "j7:failed,j6:failed,j5:failed"
	if got := ids(s.List(0)); got != want {
		t.Errorf("List = %s, want %s", got, want)
	}
	if got := ids(s.List(2)); got != "j7:failed,j6:failed" {
		t.Errorf("List(2) = %s", got)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n > 6 {
		t.Errorf("history file has %d lines, bound is 2×3", n)
	}
	s2 := open(t, dir, 3)
	got := s2.List(0)
	if ids(got) != want {
		t.Fatalf("after reopen List = %s, want %s", ids(got), want)
	}
	in := got[0]
	if in.Caller != "alice (1000)" || in.Language != "Cobol" || in.ErrorCode != "unknown language" ||
		in.ScriptSHA256 != "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881" || in.Ended.IsZero() {
		t.Errorf("reloaded job: %+v", in)
	}
}

func TestStore_SkipsATornLine(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 10)
	run(t, runner(s, unknown), "whole")
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"id":"torn","state":"fai`)
	f.Close()
	s2 := open(t, dir, 10)
	if got := ids(s2.List(0)); got != "whole:failed" {
		t.Errorf("List = %s", got)
	}
}

func TestStore_ListsAQueuedJobFirst(t *testing.T) {
	s := open(t, t.TempDir(), 10)
	run(t, runner(s, unknown), "old")
	entered, release := make(chan struct{}), make(chan struct{})
	r := runner(s, func(string) (*job.Launcher, error) {
		close(entered)
		<-release
		return nil, fmt.Errorf("%w: none", job.ErrUnknownLanguage)
	})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(context.Background(), &job.Request{ID: "waiting", Language: "R", Script: "x"}, nil)
	}()
	<-entered
	if got := ids(s.List(0)); got != "waiting:queued,old:failed" {
		t.Errorf("List while a job waits = %s", got)
	}
	close(release)
	<-done
	if got := ids(s.List(0)); got != "waiting:failed,old:failed" {
		t.Errorf("List after = %s", got)
	}
}

// A caller's language is its own text: a huge one is cut before it is
// kept, and an overlong line in a damaged file does not stop the host.
func TestStore_BoundsCallerTextAndSurvivesAnOverlongLine(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, 10)
	r := runner(s, unknown)
	r.Run(context.Background(), &job.Request{ID: "big", Language: strings.Repeat("L", 10<<20), Script: "x"}, nil)
	if in := s.List(0)[0]; len(in.Language) > 256 {
		t.Errorf("kept a %d-byte language", len(in.Language))
	}
	f, err := os.OpenFile(filepath.Join(dir, FileName), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(strings.Repeat("x", 2*maxLineBytes) + "\n")
	f.Close()
	s2, err := Open(dir, 10, hclog.NewNullLogger())
	if err != nil {
		t.Fatalf("a damaged history stopped the host: %v", err)
	}
	if got := ids(s2.List(0)); got != "big:failed" {
		t.Errorf("List = %s", got)
	}
	run(t, runner(s2, unknown), "next")
	if got := ids(s2.List(0)); got != "next:failed,big:failed" {
		t.Errorf("after the next job List = %s", got)
	}
}
