package python

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/openlaunchpad/launchpad/host/api/proto"
)

// tlsHost serves the API over mutual TLS as a host's `listener "tcp"` does
// (TLS 1.3, a client certificate from client_ca required) and answers every
// job with a message naming the certificate's CN.
type tlsHost struct {
	proto.UnimplementedLaunchpadServer
}

func (tlsHost) Execute(_ *proto.ExecuteRequest, stream proto.Launchpad_ExecuteServer) error {
	p, _ := peer.FromContext(stream.Context())
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 {
		return stream.Send(&proto.ExecuteResponse{Event: &proto.ExecuteResponse_Status{Status: &proto.Status{
			JobId: "j-tls", Error: &proto.Error{Code: proto.ErrorCode_ERROR_CODE_HOST_FAULT, Message: "no client certificate"}}}})
	}
	cn := info.State.PeerCertificates[0].Subject.CommonName
	for _, ev := range []*proto.ExecuteResponse{
		{Event: &proto.ExecuteResponse_Started{Started: &proto.JobStarted{JobId: "j-tls"}}},
		{Event: &proto.ExecuteResponse_Message{Message: &proto.Message{Stream: proto.Message_STREAM_STDOUT, Text: []byte("cert:" + cn)}}},
		{Event: &proto.ExecuteResponse_Status{Status: &proto.Status{JobId: "j-tls"}}},
	} {
		if err := stream.Send(ev); err != nil {
			return err
		}
	}
	return nil
}

// tlsClientScript runs one job per (cert, key, ca) case given as JSON and
// prints, per case, the job's stdout or the exception's class.
const tlsClientScript = `
import json, sys
import launchpad
out = []
for c in json.loads(sys.argv[2]):
    try:
        r = launchpad.execute("x = 1", address=sys.argv[1], cert=c[0], key=c[1], ca=c[2], timeout=20)
        out.append(r.stdout)
    except launchpad.LaunchpadError as e:
        out.append(type(e).__name__)
print(json.dumps(out))
`

// TestClient_MutualTLS: the client presents its certificate to a host that
// requires one and checks the host's against the CA it was given; a
// certificate from another CA, or a host certificate from a CA the client
// was not given, fails the connection.
func TestClient_MutualTLS(t *testing.T) {
	requireDeps(t)
	dir := t.TempDir()
	ca, other := newCA(t, "test CA"), newCA(t, "other CA")
	serverCert := ca.issue(t, "localhost", true)
	caFile, otherFile := ca.write(t, dir, "ca")[0], other.write(t, dir, "other")[0]
	alice := ca.issue(t, "alice", false).write(t, dir, "alice")
	mallory := other.issue(t, "mallory", false).write(t, dir, "mallory")

	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS13,
		Certificates: []tls.Certificate{serverCert.tls}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})))
	proto.RegisterLaunchpadServer(srv, tlsHost{})
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)

	cases, _ := json.Marshal([][3]string{
		{alice[0], alice[1], caFile},
		{mallory[0], mallory[1], caFile},
		{alice[0], alice[1], otherFile},
	})
	here, _ := filepath.Abs(".")
	cmd := exec.Command(python, "-B", "-c", tlsClientScript, "tls://localhost:"+portOf(lis), string(cases))
	cmd.Env = append(os.Environ(), "PYTHONPATH="+here)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // grpc's own log of the refused handshakes
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("python client: %v\n%s", err, stderr.String())
	}
	var got []string
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("python client output: %v\n%s", err, b)
	}
	want := []string{"cert:alice", "HostUnreachable", "HostUnreachable"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("case %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

func portOf(lis net.Listener) string {
	_, port, _ := net.SplitHostPort(lis.Addr().String())
	return port
}

type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	tls  tls.Certificate
}

func newCA(t *testing.T, name string) *testCert {
	t.Helper()
	return makeCert(t, &x509.Certificate{Subject: pkix.Name{CommonName: name}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}, nil)
}

// issue makes a certificate signed by c: a server's for localhost and
// 127.0.0.1, or a client's.
func (c *testCert) issue(t *testing.T, cn string, server bool) *testCert {
	t.Helper()
	tmpl := &x509.Certificate{Subject: pkix.Name{CommonName: cn}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames, tmpl.IPAddresses = []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	return makeCert(t, tmpl, c)
}

func makeCert(t *testing.T, tmpl *x509.Certificate, parent *testCert) *testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: cert, key: key, tls: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}}
}

// write stores the certificate as NAME.pem and its key as NAME.key; returns
// both paths.
func (c *testCert) write(t *testing.T, dir, name string) [2]string {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		t.Fatal(err)
	}
	paths := [2]string{filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")}
	for i, blk := range []*pem.Block{{Type: "CERTIFICATE", Bytes: c.cert.Raw}, {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(paths[i], pem.EncodeToMemory(blk), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}
