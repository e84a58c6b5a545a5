package main

import (
	"errors"

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
