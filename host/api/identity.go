package api

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os/user"
	"strconv"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/openlaunchpad/launchpad/host/job"
)

// ServerCredentials authenticate both of a host's listeners on one gRPC
// server: a unix socket connection by its peer credentials (PeerCred), any
// other by mutual TLS with tlsConfig (refused when tlsConfig is nil). A
// unix peer whose uid refuse reports (the host's own worker accounts: the
// socket is open to every local user, jobs included) is dropped at once,
// before any handler, log line or audit record.
func ServerCredentials(tlsConfig *tls.Config, refuse func(uid int) bool) credentials.TransportCredentials {
	s := &serverCreds{refuse: refuse}
	if tlsConfig != nil {
		s.tls = credentials.NewTLS(tlsConfig)
	}
	return s
}

// ErrWorkerPeer is the handshake error of a connection from a job.
var ErrWorkerPeer = errors.New("a job's process may not call the host")

type serverCreds struct {
	tls    credentials.TransportCredentials
	refuse func(uid int) bool
}

func (s *serverCreds) ClientHandshake(context.Context, string, net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return nil, nil, errors.New("server side only")
}

func (s *serverCreds) ServerHandshake(c net.Conn) (net.Conn, credentials.AuthInfo, error) {
	if _, ok := c.(*net.UnixConn); ok {
		conn, info, err := peerCreds{}.ServerHandshake(c)
		if err == nil && s.refuse != nil && s.refuse(info.(PeerCred).UID) {
			return nil, nil, ErrWorkerPeer
		}
		return conn, info, err
	}
	if s.tls == nil {
		return nil, nil, errors.New("not a unix socket connection and no TLS configured")
	}
	return s.tls.ServerHandshake(c)
}

func (s *serverCreds) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "peercred+tls"}
}

func (s *serverCreds) Clone() credentials.TransportCredentials {
	return &serverCreds{tls: s.tls, refuse: s.refuse}
}

func (s *serverCreds) OverrideServerName(string) error { return nil }

// identityOf is the authenticated caller of a call: the unix socket
// peer's account and groups, or the TLS client certificate's CN. nil when
// the connection carried neither (an in-process server).
func identityOf(ctx context.Context) (*job.Identity, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return nil, nil
	}
	switch info := p.AuthInfo.(type) {
	case PeerCred:
		return unixIdentity(info.UID), nil
	case credentials.TLSInfo:
		chains := info.State.VerifiedChains
		if len(chains) == 0 || len(chains[0]) == 0 {
			return nil, errors.New("no verified client certificate")
		}
		cn := chains[0][0].Subject.CommonName
		if cn == "" {
			return nil, errors.New("the client certificate's subject has no common name")
		}
		return &job.Identity{Name: cn, UID: -1, Cert: cn}, nil
	}
	return nil, nil
}

// unixIdentity names a uid from the user database: its account name and
// every group it is in (primary and supplementary). A uid without an
// account is named by its number and is in no group.
func unixIdentity(uid int) *job.Identity {
	id := &job.Identity{Name: strconv.Itoa(uid), UID: uid}
	u, err := user.LookupId(id.Name)
	if err != nil {
		return id
	}
	id.Name = u.Username
	gids, err := u.GroupIds()
	if err != nil {
		gids = []string{u.Gid}
	}
	seen := map[string]bool{}
	for _, gid := range append([]string{u.Gid}, gids...) {
		if seen[gid] {
			continue
		}
		seen[gid] = true
		if g, err := user.LookupGroupId(gid); err == nil {
			id.Groups = append(id.Groups, g.Name)
		}
	}
	return id
}
