package clientcmd

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// rpcError is what a caller should read for a failed call: a host that is
// shutting down says so ("host is shutting down"), and a refusal its
// "permission denied: …", without gRPC's framing.
func rpcError(err error) error {
	st, ok := status.FromError(err)
	if ok && (st.Code() == codes.Unavailable && st.Message() == "host is shutting down" || st.Code() == codes.PermissionDenied) {
		return errors.New(st.Message())
	}
	return err
}

// hostError is rpcError for a call to address; a TLS connection that
// broke says what to check, since TLS 1.3 refuses a client certificate
// after the client's side of the handshake (the client often reads only a
// broken pipe).
func hostError(address string, err error) error {
	err = rpcError(err)
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unavailable && strings.HasPrefix(address, "tls://") {
		return fmt.Errorf("%s (over TLS: the host refuses a client certificate its client_ca did not sign; --ca must hold the host certificate's CA)", st.Message())
	}
	return err
}
