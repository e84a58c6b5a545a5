//go:build !linux

package launcher

// forbidTracing has nothing to do where the launcher's sandbox is not Linux's.
func forbidTracing() error { return nil }
