package client

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"

	"google.golang.org/grpc/credentials"
)

// TLSFiles are the PEM files a caller presents to a host's TLS listener:
// its client certificate and key, and the CA certificates the host's
// certificate must chain to.
type TLSFiles struct {
	Cert, Key, CA string
}

// TLSFilesFromEnv are the files LAUNCHPAD_CERT, LAUNCHPAD_KEY and
// LAUNCHPAD_CA name (flags override them).
func TLSFilesFromEnv() TLSFiles {
	return TLSFiles{Cert: os.Getenv("LAUNCHPAD_CERT"), Key: os.Getenv("LAUNCHPAD_KEY"), CA: os.Getenv("LAUNCHPAD_CA")}
}

// DialOption changes how Dial connects.
type DialOption func(*dialOptions)

type dialOptions struct{ tls TLSFiles }

// WithTLS gives the files a tls:// address needs.
func WithTLS(f TLSFiles) DialOption { return func(o *dialOptions) { o.tls = f } }

// dialTLS connects to hostPort with mutual TLS 1.3; the host's
// certificate must name the host it is dialled as.
func dialTLS(hostPort string, f TLSFiles) (*Client, error) {
	host, _, err := net.SplitHostPort(hostPort)
	if err != nil {
		return nil, fmt.Errorf("address tls://%s: want tls://HOST:PORT", hostPort)
	}
	if f.Cert == "" || f.Key == "" || f.CA == "" {
		return nil, fmt.Errorf("address tls://%s: give a client certificate, its key and the host's CA (--cert, --key, --ca or LAUNCHPAD_CERT, LAUNCHPAD_KEY, LAUNCHPAD_CA)", hostPort)
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("client certificate: %w", err)
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA: %s holds no PEM certificate", f.CA)
	}
	creds := credentials.NewTLS(&tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert},
		RootCAs: roots, ServerName: host})
	return newClient("passthrough:///"+hostPort, creds)
}
