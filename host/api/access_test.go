package api

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/host/catalog"
	"github.com/openlaunchpad/launchpad/host/grant"
	"github.com/openlaunchpad/launchpad/host/job"
)

// auditLog keeps the events a server audits.
type auditLog struct {
	mu  sync.Mutex
	evs []catalog.AuditEvent
}

func (a *auditLog) Audit(ev catalog.AuditEvent) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.evs = append(a.evs, ev)
	return nil
}

// serveGranted runs the API with grants on a real unix socket, so the
// caller is this test process as the kernel names it.
func serveGranted(t *testing.T, grants []grant.Grant) (proto.LaunchpadClient, *blockingSandbox, *auditLog) {
	t.Helper()
	g, err := grant.New(true, grants)
	if err != nil {
		t.Fatal(err)
	}
	sb := &blockingSandbox{opened: make(chan string, 4)}
	runner := job.NewRunner(job.Config{Sandbox: sb, Resolve: func(string) (*job.Launcher, error) {
		exe, err := os.Open(os.DevNull)
		return &job.Launcher{Name: "FakeLauncher", Exe: exe}, err
	}})
	sock := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	audit := &auditLog{}
	srv := grpc.NewServer(grpc.Creds(ServerCredentials(nil, nil)))
	NewServer(runner, hclog.NewNullLogger(), WithGrants(func() *grant.Grants { return g }, audit)).Register(srv)
	go srv.Serve(ln)
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(); srv.Stop() })
	return proto.NewLaunchpadClient(conn), sb, audit
}

func me(t *testing.T) (uid, name string) {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Uid, fmt.Sprintf("%s (%s)", u.Username, u.Uid)
}

// The kernel's peer uid picks the grants: an ungranted language is refused
// with a typed status naming the caller, and audited; a granted one runs.
func TestServer_GrantsDecideByPeerUID(t *testing.T) {
	uid, name := me(t)
	c, sb, audit := serveGranted(t, []grant.Grant{{Subject: "uid:" + uid, Languages: []string{"Fake"}, WriteTables: []string{"t"}}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for id, req := range map[string]*proto.ExecuteRequest{
		"j-lang": {JobId: "j-lang", Language: "Other", Script: "s"},
		"j-into": {JobId: "j-into", Language: "Fake", Script: "s", IntoTable: "u (a)"},
	} {
		stream, err := c.Execute(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		st := finalStatus(t, stream)
		if st.GetError().GetCode() != proto.ErrorCode_ERROR_CODE_PERMISSION_DENIED ||
			!strings.Contains(st.GetError().GetMessage(), "permission denied: caller "+name+" has no grant") {
			t.Errorf("%s: status %v", id, st)
		}
	}
	audit.mu.Lock()
	if len(audit.evs) != 2 || audit.evs[0].Action != "job.refused" || audit.evs[0].Details["caller"] != name {
		t.Errorf("audit: %+v", audit.evs)
	}
	audit.mu.Unlock()
	if _, err := c.Execute(ctx, &proto.ExecuteRequest{JobId: "j-ok", Language: "fake", Script: "s", IntoTable: "[t]"}); err != nil {
		t.Fatal(err)
	}
	if id := <-sb.opened; id != "j-ok" {
		t.Fatalf("sandbox opened for %q", id)
	}
}

// Without an identity (no peer credentials) a server with grants refuses
// every call.
func TestServer_UnidentifiedCallerIsRefused(t *testing.T) {
	g, err := grant.New(true, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(job.NewRunner(job.Config{}), hclog.NewNullLogger(), WithGrants(func() *grant.Grants { return g }, nil))
	_, err = s.Cancel(context.Background(), &proto.CancelRequest{JobId: "x"})
	if status.Code(err) != grpccodes.PermissionDenied || !strings.Contains(err.Error(), "could not be identified") {
		t.Errorf("Cancel = %v", err)
	}
}

func TestOwnJobs_KeepsRunningAndUpToLimitEnded(t *testing.T) {
	all := []job.Info{
		{ID: "r1", Caller: "a", State: job.StateRunning}, {ID: "r2", Caller: "b", State: job.StateQueued},
		{ID: "e1", Caller: "a", State: job.StateFailed}, {ID: "e2", Caller: "b", State: job.StateSucceeded},
		{ID: "e3", Caller: "a", State: job.StateSucceeded}, {ID: "e4", Caller: "a", State: job.StateCancelled},
	}
	var ids []string
	for _, in := range ownJobs(all, "a", 2) {
		ids = append(ids, in.ID)
	}
	if got := strings.Join(ids, ","); got != "r1,e1,e3" {
		t.Errorf("own jobs = %s, want r1,e1,e3", got)
	}
}

// BenchmarkUnixIdentity is what naming a unix socket caller costs per call
// (the user database read for its name and groups).
func BenchmarkUnixIdentity(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if id := unixIdentity(os.Getuid()); id.Name == "" {
			b.Fatal("no name")
		}
	}
}
