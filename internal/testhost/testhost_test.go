package testhost

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLog_AwaitCountSeesTextSplitAcrossWrites(t *testing.T) {
	var l Log
	go func() {
		for _, p := range []string{"[INFO] host ser", "ving\n", "x host serv", "ing"} {
			time.Sleep(5 * time.Millisecond) // the writer's pace, not the waiter's
			l.Write([]byte(p))
		}
	}()
	if err := l.AwaitCount(ServingLine, 2, 10*time.Second, nil); err != nil {
		t.Fatalf("AwaitCount: %v; log %q", err, l.String())
	}
	if err := l.AwaitCount(ServingLine, 3, 50*time.Millisecond, nil); !errors.Is(err, ErrTimeout) {
		t.Fatalf("a third occurrence: %v, want ErrTimeout", err)
	}
	exited := make(chan struct{})
	close(exited)
	if err := l.AwaitCount("never", 1, time.Minute, exited); !errors.Is(err, ErrExited) {
		t.Fatalf("after exit: %v, want ErrExited", err)
	}
}

// fakeHost is a python3 standing in for launchpad: it makes its socket
// file, logs the serving line, and on SIGTERM removes the socket unless
// told to leave it, then exits 0. (Not sh: a shell cannot trap a signal
// ignored when it started, as SIGTERM may be under go test.)
func fakeHost(t *testing.T, removeSocket bool) Config {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "launchpad.sock")
	script := `import os, signal, sys, time
sock, remove = sys.argv[1], sys.argv[2] == "1"
def term(*_):
    if remove:
        os.remove(sock)
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
open(sock, "w").close()
print("[INFO] launchpad: host serving: socket=" + sock, flush=True)
while True:
    time.sleep(60)
`
	arg := "0"
	if removeSocket {
		arg = "1"
	}
	return Config{Bin: "/usr/bin/python3", Args: []string{"-c", script, sock, arg}, Sock: sock, StartTimeout: 10 * time.Second}
}

func TestStartStop_CleanHost(t *testing.T) {
	h, err := Start(fakeHost(t, true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(h.cfg.Sock); err != nil {
		t.Fatalf("Start returned before the host served: %v", err)
	}
	if err := h.Stop(10 * time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := h.Stop(10 * time.Second); err != nil {
		t.Fatalf("a second Stop: %v", err)
	}
}

func TestStop_ReportsLeftSocket(t *testing.T) {
	h, err := Start(fakeHost(t, false))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Stop(10 * time.Second); err == nil || !strings.Contains(err.Error(), "left its socket") {
		t.Fatalf("Stop = %v, want the socket reported", err)
	}
}

func TestStart_ReportsExitBeforeServing(t *testing.T) {
	_, err := Start(Config{Bin: "/bin/sh", Args: []string{"-c", "echo bad config; exit 3"}, Sock: "/nonexistent"})
	if err == nil || !strings.Contains(err.Error(), "exited before serving") || !strings.Contains(err.Error(), "bad config") {
		t.Fatalf("Start = %v, want the early exit with the log", err)
	}
}

func TestKill_LeavesLeftoversToTheTest(t *testing.T) {
	h, err := Start(fakeHost(t, true))
	if err != nil {
		t.Fatal(err)
	}
	h.Kill()
	if _, err := os.Stat(h.cfg.Sock); err != nil {
		t.Fatalf("a killed host's socket: %v", err)
	}
	if err := h.Stop(time.Second); err != nil {
		t.Fatalf("Stop after Kill: %v", err)
	}
}
