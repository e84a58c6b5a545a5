//go:build unix

package bxl

import (
	"net"
	"os"
	"syscall"
)

// Socketpair makes a data plane: a connected unix stream socketpair, one end
// as a connection for the side that reads and writes frames (a Writer on it
// sends each frame with one writev), the other as a file to hand to a child
// process (exec.Cmd.ExtraFiles).
func Socketpair() (*net.UnixConn, *os.File, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	f := os.NewFile(uintptr(fds[0]), "bxl-conn")
	c, err := net.FileConn(f) // a duplicate: f is ours to close
	f.Close()
	if err != nil {
		syscall.Close(fds[1])
		return nil, nil, err
	}
	return c.(*net.UnixConn), os.NewFile(uintptr(fds[1]), "bxl-child"), nil
}
