package launcher

import (
	"errors"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// pipeBytes is the pipe buffer a Bridge asks for: a batch crosses in a few
// system calls rather than hundreds of 64 KiB ones.
const pipeBytes = 1 << 20

// Bridge carries the data plane over two pipes for runtimes that cannot use a
// socket descriptor (R cannot open one through /dev/fd). The runtime reads the
// host's stream from descriptor 3 and writes its own to descriptor 4.
type Bridge struct {
	data          *os.File
	inR, outW     *os.File // the runtime's ends
	wg            sync.WaitGroup
	outDone       chan struct{}
	inErr, outErr error
}

// NewBridge starts copying between the data plane and two new pipes. Set
// cmd.ExtraFiles = b.RuntimeFiles() before RunRuntime, and call Close after.
func NewBridge(data *os.File) (*Bridge, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	for _, f := range []*os.File{inW, outR} {
		// Best effort: a smaller pipe is slower, not wrong.
		unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, pipeBytes)
	}
	b := &Bridge{data: data, inR: inR, outW: outW, outDone: make(chan struct{})}
	b.wg.Add(2)
	go func() {
		defer b.wg.Done()
		defer inW.Close()
		_, b.inErr = io.Copy(inW, data)
	}()
	go func() {
		defer b.wg.Done()
		defer close(b.outDone)
		defer outR.Close()
		_, b.outErr = io.Copy(data, outR)
		// The runtime is done writing: let the host see the end.
		if sc, err := data.SyscallConn(); err == nil {
			sc.Control(func(fd uintptr) { unix.Shutdown(int(fd), unix.SHUT_WR) })
		}
	}()
	return b, nil
}

// RuntimeFiles are the runtime's descriptors 3 (input) and 4 (output).
func (b *Bridge) RuntimeFiles() []*os.File { return []*os.File{b.inR, b.outW} }

// Close waits until everything the runtime wrote reached the host, then
// closes the data plane. Call it after the runtime exited.
func (b *Bridge) Close() error {
	<-b.outDone
	// Unblocks the input copy if the host still has the socket open.
	err := b.data.Close()
	b.wg.Wait()
	if errors.Is(b.outErr, os.ErrClosed) {
		b.outErr = nil
	}
	return errors.Join(b.outErr, err)
}
