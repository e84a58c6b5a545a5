package claim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// flock locks belong to an open file, so two Acquire calls in one process
// conflict exactly as two hosts do.
func TestAcquire_RefusesWhatALiveHostHolds(t *testing.T) {
	base := Request{Owner: "/srv/a", UIDBase: 1000, UIDCount: 20, CgroupParent: "lp-a", WorkRoot: "/srv/a/jobs"}
	tests := []struct {
		name    string
		req     Request
		wantErr string // "" = granted
	}{
		{"same range", Request{Owner: "/srv/b", UIDBase: 1000, UIDCount: 20}, "sandbox { uid_base }"},
		{"overlap below", Request{Owner: "/srv/b", UIDBase: 990, UIDCount: 11}, "overlaps [1000, 1020)"},
		{"overlap above", Request{Owner: "/srv/b", UIDBase: 1019, UIDCount: 5}, "/srv/a"},
		{"inside", Request{Owner: "/srv/b", UIDBase: 1005, UIDCount: 1}, "sandbox { uid_base }"},
		{"adjacent below", Request{Owner: "/srv/b", UIDBase: 980, UIDCount: 20}, ""},
		{"adjacent above", Request{Owner: "/srv/b", UIDBase: 1020, UIDCount: 20}, ""},
		{"same cgroup", Request{Owner: "/srv/b", CgroupParent: "lp-a"}, "sandbox { cgroup_parent }"},
		{"other cgroup", Request{Owner: "/srv/b", CgroupParent: "lp-b"}, ""},
		{"same work root", Request{Owner: "/srv/b", WorkRoot: "/srv/a/jobs/"}, "sandbox { work_root }"},
		{"other work root", Request{Owner: "/srv/b", WorkRoot: "/srv/b/jobs"}, ""},
	}
	dir := t.TempDir()
	held, err := Acquire(dir, base)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Acquire(dir, tc.req)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if err := c.Release(); err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want ErrHeld naming %q", err, tc.wantErr)
			}
		})
	}
}

// A refused claim takes nothing: the parts granted before the refusal are
// dropped again.
func TestAcquire_AllOrNothing(t *testing.T) {
	dir := t.TempDir()
	a, err := Acquire(dir, Request{Owner: "/a", WorkRoot: "/w"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	if _, err := Acquire(dir, Request{Owner: "/b", UIDBase: 5000, UIDCount: 2, WorkRoot: "/w"}); !errors.Is(err, ErrHeld) {
		t.Fatalf("err = %v", err)
	}
	c, err := Acquire(dir, Request{Owner: "/c", UIDBase: 5000, UIDCount: 2})
	if err != nil {
		t.Fatalf("range left held by a refused claim: %v", err)
	}
	c.Release()
}

// A dead host's lock files (unlocked, left behind) are taken over, an
// overlapping range's file removed; Release leaves no file behind.
func TestAcquire_TakesOverDeadHostsClaims(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"uid-1000-20.lock", "uid-1010-20.lock", "cgroup-lp.lock", "workroot-0123.lock"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("/dead\npid 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Acquire(dir, Request{Owner: "/new", UIDBase: 1000, UIDCount: 20, CgroupParent: "lp"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"uid-1010-20.lock", "workroot-0123.lock"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("dead host's claim %s still there: %v", name, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "uid-1000-20.lock"))
	if err != nil || !strings.HasPrefix(string(b), "/new\npid ") {
		t.Errorf("owner record %q, %v", b, err)
	}
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "[^.]*.lock"))
	if len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}

func TestAcquire_RefusesAWritableLockFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locks")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(dir, Request{Owner: "/a", CgroupParent: "x"}); !errors.Is(err, ErrUnsafeDir) {
		t.Fatalf("err = %v, want ErrUnsafeDir", err)
	}
}

func TestLockState_SecondHostRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := LockState(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LockState(dir); !errors.Is(err, ErrStateInUse) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("err = %v", err)
	}
	if err := s.Unlock(); err != nil {
		t.Fatal(err)
	}
	s2, err := LockState(dir)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	s2.Unlock()
}
