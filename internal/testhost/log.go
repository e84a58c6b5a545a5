package testhost

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"time"
)

var (
	// ErrTimeout: an awaited log text did not come in time.
	ErrTimeout = errors.New("timed out")
	// ErrExited: the host exited before an awaited log text came.
	ErrExited = errors.New("host exited")
)

// Log collects a process's output while tests read it and wait on it. The
// zero Log is ready to use.
type Log struct {
	mu   sync.Mutex // guards the fields below
	b    bytes.Buffer
	wake chan struct{} // closed (and dropped) on the next write
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.b.Write(p)
	if l.wake != nil {
		close(l.wake)
		l.wake = nil
	}
	return n, err
}

// String is the whole log so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Len is the log's size in bytes.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

// Tail is the log's last n bytes at most.
func (l *Log) Tail(n int) string { return Tail(l.String(), n) }

// Count is how many times text occurs in the log so far.
func (l *Log) Count(text string) int { return strings.Count(l.String(), text) }

// since returns the log from byte off on and a channel closed by the next
// write.
func (l *Log) since(off int) (string, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wake == nil {
		l.wake = make(chan struct{})
	}
	return string(l.b.Bytes()[min(off, l.b.Len()):]), l.wake
}

// AwaitCount waits until text occurs at least n times in the log, waking on
// each write; it fails with ErrExited once exited closes (nil: never) or
// with ErrTimeout after timeout. Only new output is scanned on each wake.
func (l *Log) AwaitCount(text string, n int, timeout time.Duration, exited <-chan struct{}) error {
	if text == "" {
		return nil
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	off, seen := 0, 0
	for {
		s, wake := l.since(off)
		seen += strings.Count(s, text)
		if seen >= n {
			return nil
		}
		// Scan again the end that may hold the start of text split by a
		// write; being shorter than text, it holds no match counted now.
		off += len(s) - min(len(s), len(text)-1)
		select {
		case <-wake:
		case <-exited:
			if l.Count(text) >= n {
				return nil
			}
			return ErrExited
		case <-timer.C:
			return ErrTimeout
		}
	}
}

// Tail is s's last n bytes at most, marked when cut.
func Tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
