package main

import (
	"errors"
	"os"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// rpcError is what a caller should read for a failed call: a host that is
// shutting down says so ("host is shutting down"), without gRPC's framing.
func rpcError(err error) error {
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unavailable && st.Message() == "host is shutting down" {
		return errors.New(st.Message())
	}
	return err
}

// envOr is the environment variable's value, or def when it is unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
