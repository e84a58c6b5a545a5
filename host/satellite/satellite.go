package satellite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/go-plugin/runner"
	"google.golang.org/grpc"

	"github.com/openlaunchpad/launchpad/sdk/launcher"
)

// ErrStart is wrapped by every failure to bring a launcher up.
var ErrStart = errors.New("start launcher")

// Process is how a sandbox runs a launcher: it builds the command and is told
// the pid once the process exists, before it may run the launcher's code.
type Process interface {
	// Command returns the command that runs the launcher bytes in exe, with
	// env and the extra files as descriptors 3, 4, ….
	Command(exe *os.File, args, env []string, extra []*os.File) (*exec.Cmd, error)
	// Started is called right after the process started.
	Started(pid int) error
	// Kill kills every process of the job.
	Kill() error
}

// Config says what to start.
type Config struct {
	// Name is the launcher's name, for logs and errors.
	Name string
	// Exe holds the verified launcher bytes; it is never reopened by path.
	Exe *os.File
	// DataPlane is the satellite's end of the BXL socketpair; it becomes the
	// launcher's descriptor 3.
	DataPlane *os.File
	// SocketDir is where the launcher creates its gRPC socket; UID and GID own
	// it so a launcher running as a worker account can write there.
	SocketDir string
	UID, GID  int
	// StartTimeout bounds the go-plugin handshake.
	StartTimeout time.Duration
	Process      Process
	Logger       hclog.Logger
	// Log bounds what the launcher's stderr may put into Logger.
	Log LogLimits
}

// MaxEventBytes bounds one gRPC message the host takes from a launcher (a
// RunEvent, go-plugin's own streams); the SDK sends stdout and stderr in
// events of at most launcher.MaxEventChunk bytes. A larger message fails the
// call before gRPC allocates for it.
const MaxEventBytes = 1 << 20

// maxHeaderListBytes bounds the gRPC headers and trailers (an error's
// status message) a launcher may send.
const maxHeaderListBytes = 64 << 10

// Satellite is a running launcher process.
type Satellite struct {
	client   *plugin.Client
	Launcher launcher.Launcher
}

// Start starts the launcher process and dispenses its Launcher.
func Start(cfg Config) (*Satellite, error) {
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 15 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  launcher.Handshake,
		Plugins:          launcher.PluginSet(),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     cfg.StartTimeout,
		Logger:           exitLogger{cfg.Logger},
		UnixSocketConfig: &plugin.UnixSocketConfig{TempDir: cfg.SocketDir},
		// After go-plugin's own options, which accept 2 GiB messages.
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(MaxEventBytes)),
			grpc.WithMaxHeaderListSize(maxHeaderListBytes),
		},
		RunnerFunc: func(l hclog.Logger, spec *exec.Cmd, tmpDir string) (runner.Runner, error) {
			// go-plugin made tmpDir 0700 for root; the launcher may run as
			// the job's worker account and must create its socket there.
			if err := os.Chown(tmpDir, cfg.UID, cfg.GID); err != nil {
				return nil, err
			}
			cmd, err := cfg.Process.Command(cfg.Exe, nil, spec.Env, []*os.File{cfg.DataPlane})
			if err != nil {
				return nil, err
			}
			return &procRunner{name: cfg.Name, cmd: cmd, proc: cfg.Process, log: cfg.Logger, logLim: cfg.Log}, nil
		},
	})
	rpc, err := client.Client()
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("%w %s: %w", ErrStart, cfg.Name, err)
	}
	raw, err := rpc.Dispense(launcher.PluginName)
	if err != nil {
		client.Kill()
		return nil, fmt.Errorf("%w %s: %w", ErrStart, cfg.Name, err)
	}
	l, ok := raw.(launcher.Launcher)
	if !ok {
		client.Kill()
		return nil, fmt.Errorf("%w %s: plugin is not a launcher", ErrStart, cfg.Name)
	}
	return &Satellite{client: client, Launcher: l}, nil
}

// Stop ends the launcher process (the sandbox then kills what is left).
func (s *Satellite) Stop() { s.client.Kill() }

// procRunner is a go-plugin runner for a command built by the sandbox.
type procRunner struct {
	name           string
	cmd            *exec.Cmd
	proc           Process
	log            hclog.Logger
	logLim         LogLimits
	stdout, stderr io.ReadCloser
}

var _ runner.Runner = (*procRunner)(nil)

func (r *procRunner) Start(context.Context) error {
	var err error
	if r.stdout, err = r.cmd.StdoutPipe(); err != nil {
		return err
	}
	if r.stderr, err = r.cmd.StderrPipe(); err != nil {
		return err
	}
	if err := r.cmd.Start(); err != nil {
		return err
	}
	if err := r.proc.Started(r.cmd.Process.Pid); err != nil {
		kerr := r.proc.Kill()
		r.cmd.Wait() // killed: its exit status says nothing new
		return errors.Join(err, kerr)
	}
	return nil
}

func (r *procRunner) Wait(context.Context) error { return r.cmd.Wait() }

func (r *procRunner) Kill(context.Context) error {
	err := r.proc.Kill()
	if r.cmd.Process != nil {
		r.cmd.Process.Kill()
	}
	return err
}

func (r *procRunner) Stdout() io.ReadCloser { return r.stdout }

// Stderr is what go-plugin reads as the plugin's log: the launcher's lines
// go through the limits and attribution of launcherLog instead.
func (r *procRunner) Stderr() io.ReadCloser {
	return struct {
		io.Reader
		io.Closer
	}{newLauncherLog(r.stderr, r.log, r.logLim), r.stderr}
}
func (r *procRunner) Name() string { return r.name }

func (r *procRunner) ID() string {
	if r.cmd.Process == nil {
		return ""
	}
	return strconv.Itoa(r.cmd.Process.Pid)
}

func (r *procRunner) Diagnose(context.Context) string { return "" }

func (r *procRunner) PluginToHost(n, a string) (string, string, error) { return n, a, nil }
func (r *procRunner) HostToPlugin(n, a string) (string, string, error) { return n, a, nil }
