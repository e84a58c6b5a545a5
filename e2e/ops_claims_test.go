package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runningJob is a `launchpad exec` left running in the background.
type runningJob struct {
	cmd      *exec.Cmd
	out, err *syncBuffer
	done     chan struct{}
	res      result
}

// sleepyScript says "job-ready" as soon as it runs, then sleeps secs and
// returns its input.
func sleepyScript(secs int) string {
	return fmt.Sprintf("import time\nprint('job-ready', flush=True)\ntime.sleep(%d)\nOutputDataSet = InputDataSet", secs)
}

// startJob starts a job on h and waits until its script runs.
func startJob(t *testing.T, h *host, script string) *runningJob {
	t.Helper()
	return startJobCmd(t, exec.Command(theHost.bin, "exec", "--address", "unix://"+h.sock, "--language", "Python",
		"--format", "csv", "--input-query", "SELECT 7 AS seven", "--script", script))
}

// startJobCmd starts cmd, a `launchpad exec` of a sleepyScript, and waits
// until the script says "job-ready" (exec shows script output on stderr).
func startJobCmd(t *testing.T, cmd *exec.Cmd) *runningJob {
	t.Helper()
	j := &runningJob{cmd: cmd, out: &syncBuffer{}, err: &syncBuffer{}, done: make(chan struct{})}
	j.cmd.Stdout, j.cmd.Stderr = j.out, j.err
	if err := j.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := j.cmd.Wait()
		j.res = result{stdout: j.out.String(), stderr: j.err.String()}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			j.res.code = ee.ExitCode()
		}
		close(j.done)
	}()
	t.Cleanup(func() { j.cmd.Process.Kill(); <-j.done })
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(j.err.String(), "job-ready") {
		select {
		case <-j.done:
			t.Fatalf("job ended before it ran: exit %d\n%s", j.res.code, j.res.stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("job did not start: %s", j.err.String())
		}
	}
	return j
}

// wait is the job's exec result.
func (j *runningJob) wait(t *testing.T) result {
	t.Helper()
	select {
	case <-j.done:
		return j.res
	case <-time.After(2 * time.Minute):
		t.Fatal("job did not end")
		return result{}
	}
}

// mustSucceed: the sleepy job's output reached its caller.
func (r result) mustSucceed(t *testing.T, what string) {
	t.Helper()
	if r.code != 0 || !strings.Contains(r.stdout, "seven\n7\n") {
		t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", what, r.code, r.stdout, tail(r.stderr, 3000))
	}
}

// runRefused runs launchpad with args, which must fail (a host that is
// refused exits before it serves), and returns its output.
func runRefused(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, theHost.bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("launchpad %s: %v (want exit 1)\n%s", strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// A second host on a running host's worker range is refused before it
// touches anything, naming the running host's state folder and uid_base;
// the running host's job finishes. Here with an explicit range (slot 13)
// and with the default range, which every host without uid_base shares.
func TestOps_SecondHostOnALiveRangeIsRefused(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("worker ranges are claimed under full isolation, which needs root")
	}
	for _, tc := range []struct{ name, sandbox string }{
		{"ExplicitRange", fmt.Sprintf("sandbox {\n  uid_base = %d\n  workers = 2\n}\n", extraUIDBase(13))},
		{"DefaultRange", "sandbox {\n  workers = 2\n}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := startExtraHost(t, tc.sandbox)
			job := startJob(t, first, sleepyScript(3))
			dir, err := os.MkdirTemp("/var/tmp", "lpo-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })
			os.Chmod(dir, 0o711)
			conf := filepath.Join(dir, "launchpad.hcl")
			if err := os.WriteFile(conf, []byte(tc.sandbox), 0o600); err != nil {
				t.Fatal(err)
			}
			out := runRefused(t, "dev", "--state", filepath.Join(dir, "state"), "--config", conf)
			for _, want := range []string{conf + ":", "sandbox.uid_base: worker uid range",
				"claimed by the host with state folder " + first.state, "sandbox { uid_base }"} {
				if !strings.Contains(out, want) {
					t.Errorf("refusal does not say %q:\n%s", want, out)
				}
			}
			job.wait(t).mustSucceed(t, "the first host's running job")
			if err := healthyJob(t, first); err != nil {
				t.Errorf("first host after the refusal: %v", err)
			}
		})
	}
}

// `serve` with the configuration of a running host changes nothing: it
// stops at the state lock, the running job finishes and the work root
// keeps its job folder meanwhile.
func TestOps_ServeTwiceWithOneConfig(t *testing.T) {
	// A state folder made by dev (signed launchers, sample instance), then
	// served by `serve` from a configuration file.
	prep := startExtraHost(t, fmt.Sprintf("sandbox {\n  uid_base = %d\n  workers = 2\n}\n", extraUIDBase(13)))
	if err := stopProcess(prep); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(prep.dir, "serve.hcl")
	hcl := fmt.Sprintf("state_dir = %q\nplugin_dir = %q\nsandbox {\n  uid_base = %d\n  workers = 2\n  isolation = %q\n}\n%s",
		prep.state, filepath.Join(prep.state, "plugins"), extraUIDBase(13), isolation(), rootGrant)
	if err := os.WriteFile(conf, []byte(hcl), 0o600); err != nil {
		t.Fatal(err)
	}
	out := runRefused(t, "config", "validate", "--config", conf+".missing")
	if !strings.Contains(out, "no such file") {
		t.Errorf("validate of a missing file: %s", out)
	}
	prep.launch(t, []string{"serve", "--config", conf, "--log-level", "debug"})
	job := startJob(t, prep, sleepyScript(3))
	jobs, _ := filepath.Glob(filepath.Join(prep.state, "jobs", "*"))
	out = runRefused(t, "serve", "--config", conf)
	if !strings.Contains(out, conf+":1: state_dir: another host is already running on state folder "+prep.state) {
		t.Errorf("second serve's refusal:\n%s", out)
	}
	// validate on the running host's configuration: sound, with a warning.
	code, vout := launchpadOut(t, nil, "config", "validate", "--config", conf)
	if code != 0 || !strings.Contains(vout, "warning: state_dir: another host is already running") {
		t.Errorf("validate beside the running host: exit %d\n%s", code, vout)
	}
	// dev on the same state folder stops at the lock too, before it
	// re-signs or registers anything.
	sigs := sigFiles(t, filepath.Join(prep.state, "plugins"))
	out = runRefused(t, "dev", "--state", prep.state)
	if !strings.Contains(out, "another host is already running on state folder "+prep.state) {
		t.Errorf("dev on a served state folder:\n%s", out)
	}
	if after := sigFiles(t, filepath.Join(prep.state, "plugins")); after != sigs {
		t.Errorf("a refused dev host changed the signatures")
	}
	if after, _ := filepath.Glob(filepath.Join(prep.state, "jobs", "*")); len(jobs) == 0 || len(after) != len(jobs) {
		t.Errorf("job folders before the second serve %v, after %v", jobs, after)
	}
	job.wait(t).mustSucceed(t, "the first serve's running job")
	// exec finds the host through LAUNCHPAD_ADDR.
	code, out = launchpadOut(t, []string{"LAUNCHPAD_ADDR=unix://" + prep.sock}, "exec", "--language", "Python",
		"--format", "csv", "--input-query", "SELECT 42 AS answer", "--script", "OutputDataSet = InputDataSet")
	if code != 0 || !strings.Contains(out, "answer\n42\n") {
		t.Errorf("exec through LAUNCHPAD_ADDR: exit %d\n%s", code, out)
	}
}

// stopProcess ends a host with SIGTERM and waits, leaving its folder.
func stopProcess(h *host) error {
	p := h.proc
	h.proc = nil // stopped here: h.stop has nothing left to stop
	return p.Terminate(45 * time.Second)
}

// A claim dies with its host: after kill -9 the range is free for the next
// host, which sweeps what the dead one left.
func TestOps_KilledHostsRangeIsFree(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("worker ranges are claimed under full isolation, which needs root")
	}
	hcl := fmt.Sprintf("sandbox {\n  uid_base = %d\n  workers = 2\n}\n", extraUIDBase(13))
	dead := startExtraHost(t, hcl)
	dead.proc.Kill()
	next := startExtraHost(t, hcl)
	if err := healthyJob(t, next); err != nil {
		t.Fatal(err)
	}
}
