package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"

	"github.com/openlaunchpad/launchpad/host/grant"
)

// Listener is a network listener beside the unix socket:
// listener "tcp" { address = "127.0.0.1:7071" cert = … key = … client_ca = … }.
// Callers must present a client certificate signed by ClientCA (TLS 1.3,
// mutual); its subject CN names the caller ("cert:CN" in grants).
type Listener struct {
	// Type is the block's label; only "tcp" is known.
	Type string `hcl:"type,label"`
	// Address is the host:port to listen on.
	Address string `hcl:"address"`
	// Cert and Key are the host's certificate chain and private key (PEM
	// files, absolute paths).
	Cert string `hcl:"cert"`
	Key  string `hcl:"key"`
	// ClientCA is the PEM file of the CA certificates client certificates
	// must chain to (absolute path).
	ClientCA string `hcl:"client_ca"`
}

// TCPListener is the listener "tcp" block, nil when there is none.
func (c *Config) TCPListener() *Listener {
	for i := range c.Listeners {
		if c.Listeners[i].Type == "tcp" {
			return &c.Listeners[i]
		}
	}
	return nil
}

// TLSConfig reads the listener's files into the server's TLS settings:
// TLS 1.3 at least, a verified client certificate required.
func (l *Listener) TLSConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(l.Cert, l.Key)
	if err != nil {
		return nil, fmt.Errorf("cert and key: %w", err)
	}
	pem, err := os.ReadFile(l.ClientCA)
	if err != nil {
		return nil, fmt.Errorf("client_ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("client_ca: %s holds no PEM certificate", l.ClientCA)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
	}, nil
}

// checkAccess checks the grant subjects and the listener blocks.
func (c *Config) checkAccess() hcl.Diagnostics {
	var d hcl.Diagnostics
	for _, g := range c.Grants {
		key := "grant." + g.Subject
		if _, _, err := grant.ParseSubject(g.Subject); err != nil {
			d = append(d, c.Problem(key, "%v", err))
		}
		for name, list := range map[string][]string{"languages": g.Languages, "read_tables": g.ReadTables,
			"write_tables": g.WriteTables, "pools": g.Pools} {
			for _, v := range list {
				if v == "" {
					d = append(d, c.Problem(key+"."+name, "an empty name"))
				}
			}
		}
	}
	for i, l := range c.Listeners {
		key := "listener." + l.Type
		switch {
		case l.Type != "tcp":
			d = append(d, c.Problem(key, "listener %q: the only listener type is \"tcp\"", l.Type))
			continue
		case c.TCPListener() != &c.Listeners[i]:
			d = append(d, c.Problem(key, "listener \"tcp\" is configured twice"))
			continue
		}
		d = append(d, c.checkListener(key, &c.Listeners[i])...)
	}
	return d
}

func (c *Config) checkListener(key string, l *Listener) hcl.Diagnostics {
	var d hcl.Diagnostics
	if _, _, err := net.SplitHostPort(l.Address); err != nil {
		d = append(d, c.Problem(key+".address", "%q: want HOST:PORT", l.Address))
	}
	for _, f := range []struct{ name, path string }{{"cert", l.Cert}, {"key", l.Key}, {"client_ca", l.ClientCA}} {
		if !filepath.IsAbs(f.path) {
			d = append(d, c.Problem(key+"."+f.name, "%q is not an absolute path", f.path))
		}
	}
	if d.HasErrors() {
		return d
	}
	if _, err := l.TLSConfig(); err != nil {
		d = append(d, c.Problem(key, "%v", err))
	}
	return d
}
