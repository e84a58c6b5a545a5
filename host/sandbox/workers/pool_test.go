package workers

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestPool_NeverLeasesOneIDTwice(t *testing.T) {
	p, err := New(50000, 5)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	holding := map[int]bool{}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				id, err := p.Acquire(context.Background(), time.Second)
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				if holding[id] {
					errs <- errors.New("id leased twice")
				}
				holding[id] = true
				mu.Unlock()
				time.Sleep(50 * time.Microsecond)
				mu.Lock()
				delete(holding, id)
				mu.Unlock()
				if err := p.Release(id); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := p.InUse(); n != 0 {
		t.Errorf("InUse = %d after all released", n)
	}
}

func TestPool_TimesOutWithErrNoWorker(t *testing.T) {
	p, err := New(50000, 1)
	if err != nil {
		t.Fatal(err)
	}
	id, err := p.Acquire(context.Background(), 0)
	if err != nil || id != 50000 {
		t.Fatalf("Acquire = %d, %v", id, err)
	}
	start := time.Now()
	_, err = p.Acquire(context.Background(), 80*time.Millisecond)
	if !errors.Is(err, ErrNoWorker) {
		t.Fatalf("err = %v, want ErrNoWorker", err)
	}
	if d := time.Since(start); d < 80*time.Millisecond {
		t.Errorf("gave up after %s, before the timeout", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Acquire(ctx, time.Minute); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestPool_WaiterGetsReleasedID(t *testing.T) {
	p, _ := New(50000, 1)
	id, _ := p.Acquire(context.Background(), 0)
	got := make(chan int)
	go func() {
		id2, err := p.Acquire(context.Background(), 5*time.Second)
		if err != nil {
			t.Error(err)
		}
		got <- id2
	}()
	time.Sleep(20 * time.Millisecond)
	if err := p.Release(id); err != nil {
		t.Fatal(err)
	}
	if id2 := <-got; id2 != id {
		t.Errorf("waiter got %d, want %d", id2, id)
	}
}

func TestPool_RejectsDoubleRelease(t *testing.T) {
	p, _ := New(50000, 2)
	id, _ := p.Acquire(context.Background(), 0)
	if err := p.Release(id); err != nil {
		t.Fatal(err)
	}
	if err := p.Release(id); !errors.Is(err, ErrNotLeased) {
		t.Errorf("second release err = %v, want ErrNotLeased", err)
	}
}

func TestNew_RejectsBadRanges(t *testing.T) {
	for name, r := range map[string][2]int{
		"zero base":     {0, 5},
		"zero count":    {1000, 0},
		"beyond 2^31-1": {1<<31 - 10, 20},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(r[0], r[1]); err == nil {
				t.Errorf("New(%d, %d) succeeded", r[0], r[1])
			}
		})
	}
}

func TestCheckUnallocated(t *testing.T) {
	dir := t.TempDir()
	passwd := filepath.Join(dir, "passwd")
	group := filepath.Join(dir, "group")
	if err := os.WriteFile(passwd, []byte("root:x:0:0::/root:/bin/sh\nbob:x:1000:1000::/home/bob:/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(group, []byte("root:x:0:\nstaff:x:50010:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		base, n int
		wantErr bool
	}{
		{"free range", 60000, 20, false},
		{"uid taken", 990, 20, true},
		{"gid taken", 50000, 20, true},
		{"just below a gid", 49990, 20, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckUnallocated(tt.base, tt.n, passwd, group, filepath.Join(dir, "missing"))
			if tt.wantErr != errors.Is(err, ErrRangeInUse) {
				t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}
