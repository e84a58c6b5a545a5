//go:build unix

package bxl

import (
	"io"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxIov stays under IOV_MAX (1024 on Linux).
const maxIov = 1024

const haveWritev = true

// writevRaw writes all of bufs to the descriptor behind rc with writev(2),
// resuming after partial writes and waiting on EAGAIN through the poller.
func writevRaw(rc syscall.RawConn, bufs [][]byte) error {
	var opErr error
	err := rc.Write(func(fd uintptr) bool {
		for len(bufs) > 0 {
			iov := bufs
			if len(iov) > maxIov {
				iov = iov[:maxIov]
			}
			n, err := unix.Writev(int(fd), iov)
			switch {
			case err == unix.EINTR:
				continue
			case err == unix.EAGAIN:
				return false
			case err != nil:
				opErr = err
				return true
			case n == 0 && totalLen(iov) > 0:
				opErr = io.ErrShortWrite
				return true
			}
			bufs = consume(bufs, n)
		}
		return true
	})
	if err != nil {
		return err
	}
	return opErr
}

func totalLen(b [][]byte) int {
	n := 0
	for _, x := range b {
		n += len(x)
	}
	return n
}

// consume drops n written bytes from the front of bufs.
func consume(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if len(bufs) > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}
