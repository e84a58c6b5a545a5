//go:build !unix

package bxl

import "syscall"

const haveWritev = false

// writevRaw is never called where writev(2) does not exist: Writer uses net.Buffers.
func writevRaw(syscall.RawConn, [][]byte) error { panic("bxl: writev unavailable") }
