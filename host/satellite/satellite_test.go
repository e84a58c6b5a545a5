package satellite

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"
)

// failingProcess fails at the step named by failAt ("command" or
// "started"), or runs /bin/false as the launcher.
type failingProcess struct {
	failAt string
	err    error
	cmd    *exec.Cmd
	killed bool
}

func (p *failingProcess) Command(*os.File, []string, []string, []*os.File) (*exec.Cmd, error) {
	if p.failAt == "command" {
		return nil, p.err
	}
	p.cmd = exec.Command("/bin/false")
	return p.cmd, nil
}

func (p *failingProcess) Started(int) error {
	if p.failAt == "started" {
		return p.err
	}
	return nil
}

func (p *failingProcess) Kill() error {
	p.killed = true
	if p.cmd != nil && p.cmd.Process != nil {
		p.cmd.Process.Kill()
	}
	return nil
}

// A launcher that cannot start fails with ErrStart and keeps the reason in
// the chain (errors.Is), so the job can tell a sandbox fault from others.
func TestStart_FailuresKeepTheirCause(t *testing.T) {
	t.Parallel()
	errSandbox := errors.New("cgroup refused the launcher")
	tests := map[string]struct {
		proc     *failingProcess
		cause    error
		wantKill bool
	}{
		"sandbox cannot build the command": {proc: &failingProcess{failAt: "command", err: errSandbox}, cause: errSandbox},
		"sandbox cannot place the process": {proc: &failingProcess{failAt: "started", err: errSandbox}, cause: errSandbox, wantKill: true},
		"launcher exits at once":           {proc: &failingProcess{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sat, err := Start(Config{Name: "L", SocketDir: t.TempDir(), UID: os.Getuid(), GID: os.Getgid(),
				Process: tc.proc, StartTimeout: 10 * time.Second})
			if err == nil {
				sat.Stop()
				t.Fatal("Start succeeded")
			}
			if !errors.Is(err, ErrStart) {
				t.Fatalf("Start = %v, want ErrStart", err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Fatalf("Start = %v, want the cause %v kept in the chain", err, tc.cause)
			}
			if tc.wantKill && !tc.proc.killed {
				t.Fatal("the half-started launcher was not killed")
			}
		})
	}
}
