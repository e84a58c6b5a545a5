package launcher

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/openlaunchpad/launchpad/sdk/launcher/proto"
)

// PluginName is the name under which a launcher is dispensed.
const PluginName = "launcher"

// Handshake lets the host and a launcher agree that they speak this API. It is
// a usability check, not security: the host only ever starts launcher bytes it
// has verified against a signed manifest.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  APIVersion,
	MagicCookieKey:   "LAUNCHPAD_LAUNCHER",
	MagicCookieValue: "b4c1b2a9-launchpad-launcher",
}

// LauncherPlugin is the go-plugin wrapper of a Launcher.
type LauncherPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the launcher, on the plugin side only.
	Impl Launcher
}

var _ plugin.GRPCPlugin = (*LauncherPlugin)(nil)

// GRPCServer registers the launcher's gRPC server.
func (p *LauncherPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	proto.RegisterLauncherServer(s, &server{impl: p.Impl})
	return nil
}

// GRPCClient returns the host's client for a launcher.
func (p *LauncherPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &Client{client: proto.NewLauncherClient(c)}, nil
}

// PluginSet is the plugin set the host dispenses launchers from.
func PluginSet() plugin.PluginSet {
	return plugin.PluginSet{PluginName: &LauncherPlugin{}}
}

// Serve runs impl as a launcher plugin; it returns when the host is done with
// it. Call it from the launcher's main. Logs go to stderr as JSON, where
// go-plugin forwards them into the host's log. It first makes the process
// non-dumpable (Linux), so the job's script, which runs as the same uid,
// cannot read the launcher's memory or environment, trace it or take its
// descriptors; it exits if that fails.
func Serve(impl Launcher) {
	if err := forbidTracing(); err != nil {
		// Refuse to serve rather than run a job that can read the
		// launcher's memory; the host reports the plugin's exit.
		fmt.Fprintf(os.Stderr, "launcher: %v\n", err)
		os.Exit(1)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &LauncherPlugin{Impl: impl}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name:       "launcher",
			Output:     os.Stderr,
			JSONFormat: true,
			Level:      hclog.Info,
		}),
	})
}
