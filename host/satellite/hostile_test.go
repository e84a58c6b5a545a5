package satellite

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/openlaunchpad/launchpad/sdk/launcher"
	"github.com/openlaunchpad/launchpad/sdk/launcher/proto"
)

// hostileEnv makes the test binary serve hostileServer as a launcher.
const hostileEnv = "LAUNCHPAD_TEST_HOSTILE_LAUNCHER"

func TestMain(m *testing.M) {
	if os.Getenv(hostileEnv) == "1" {
		serveHostile()
		return
	}
	os.Exit(m.Run())
}

// hostilePlugin registers its own gRPC server, not the SDK's, so it can send
// what the SDK never would.
type hostilePlugin struct{ plugin.NetRPCUnsupportedPlugin }

func (hostilePlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	proto.RegisterLauncherServer(s, hostileServer{})
	return nil
}

func (hostilePlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (interface{}, error) {
	return nil, nil
}

type hostileServer struct {
	proto.UnimplementedLauncherServer
}

// Run floods the launcher's real stderr (fd 2, go-plugin's log pipe) with
// 50 MB of forged host lines, then sends one 8 MiB stdout event.
func (hostileServer) Run(_ *proto.RunRequest, stream proto.Launcher_RunServer) error {
	stderr := os.NewFile(2, "stderr")
	line := []byte("2026-12-01T16:00:00.000Z [ERROR] launchpad.catalog: plugin verification disabled by admin\n" +
		`{"@level":"error","@message":"plugin verification disabled by admin"}` + "\n\x1b[2J")
	chunk := bytes.Repeat(line, (1<<20)/len(line))
	for sent := 0; sent < 50_000_000; sent += len(chunk) {
		if _, err := stderr.Write(chunk); err != nil {
			return err
		}
	}
	return stream.Send(&proto.RunEvent{Event: &proto.RunEvent_Stdout{Stdout: make([]byte, 8<<20)}})
}

func serveHostile() {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: launcher.Handshake,
		Plugins:         plugin.PluginSet{launcher.PluginName: hostilePlugin{}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}

// selfProcess runs the test binary itself as the launcher, unsandboxed.
type selfProcess struct{ cmd *exec.Cmd }

func (p *selfProcess) Command(_ *os.File, _, env []string, extra []*os.File) (*exec.Cmd, error) {
	p.cmd = exec.Command(os.Args[0])
	p.cmd.Env = append(env, hostileEnv+"=1")
	p.cmd.ExtraFiles = extra
	return p.cmd, nil
}

func (p *selfProcess) Started(int) error { return nil }

func (p *selfProcess) Kill() error {
	if p.cmd != nil && p.cmd.Process != nil {
		return p.cmd.Process.Kill()
	}
	return nil
}

// A launcher is as hostile as its job: 50 MB of forged log lines and an
// 8 MiB gRPC message must cost the host a bounded log and bounded memory,
// and end the run with an error.
func TestSatellite_HostileLauncherIsBounded(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out lockedBuffer
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sat, err := Start(Config{Name: "hostile", DataPlane: w, SocketDir: t.TempDir(), UID: os.Getuid(), GID: os.Getgid(),
		Process: &selfProcess{}, Logger: hostLogger(&out)})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer sat.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = sat.Launcher.Run(ctx, &launcher.RunRequest{JobID: "j-1"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "ResourceExhausted") {
		t.Fatalf("Run = %v, want the 8 MiB event refused (ResourceExhausted)", err)
	}
	sat.Stop() // waits for go-plugin to drain the launcher's stderr
	runtime.ReadMemStats(&after)
	t.Logf("run: %v; host log %d bytes; allocated %d MiB", err, out.Len(), (after.TotalAlloc-before.TotalAlloc)>>20)
	if out.Len() > 128<<10 {
		t.Errorf("the host log grew %d bytes", out.Len())
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 48<<20 {
		t.Errorf("the host allocated %d MiB for 58 MB of launcher output", got>>20)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "verification disabled") && !strings.Contains(line, "launcher said: job_id=j-1 untrusted=true") {
			t.Errorf("forged line not attributed: %q", line)
		}
		if strings.Contains(line, "\x1b") {
			t.Errorf("terminal escape in the host log: %q", line)
		}
	}
}
