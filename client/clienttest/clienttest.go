package clienttest

import (
	"net"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"

	"github.com/openlaunchpad/launchpad/host/api/proto"
)

// Serve serves srv on a socket in a temporary folder until the test ends
// and returns its address for client.Dial.
func Serve(t testing.TB, srv proto.LaunchpadServer) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "h.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	g := grpc.NewServer()
	proto.RegisterLaunchpadServer(g, srv)
	go g.Serve(ln) // returns once Stop closed the listener
	t.Cleanup(g.Stop)
	return "unix://" + sock
}
