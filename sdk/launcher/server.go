package launcher

import (
	"context"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openlaunchpad/launchpad/sdk/launcher/proto"
)

// server adapts a Launcher to the gRPC service, inside the satellite.
type server struct {
	proto.UnimplementedLauncherServer
	impl Launcher

	// inheritedFD is where the data plane really is: DataFD, unless a test
	// that cannot give up its own descriptor 3 sets another.
	inheritedFD int

	// mu guards used: a satellite serves one job, so its data plane is handed
	// out once.
	mu   sync.Mutex
	used bool
}

func (s *server) Info(ctx context.Context, _ *proto.InfoRequest) (*proto.InfoResponse, error) {
	info, err := s.impl.Info(ctx)
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return infoToProto(info), nil
}

func (s *server) Run(req *proto.RunRequest, stream proto.Launcher_RunServer) error {
	data, err := s.takeDataPlane(req.GetDataFd())
	if err != nil {
		return status.Error(codes.FailedPrecondition, err.Error())
	}
	defer data.Close()

	r := runRequestFromProto(req)
	r.DataPlane = data
	out := &eventSender{stream: stream}
	exit, err := s.impl.Run(stream.Context(), r, out.writer(true), out.writer(false))
	if err != nil {
		return status.Error(codes.Internal, err.Error())
	}
	return out.send(&proto.RunEvent{Event: &proto.RunEvent_Exit{Exit: exitToProto(exit)}})
}

// takeDataPlane opens the inherited data-plane descriptor once, checking that
// it really is a socket so a launcher never writes BXL into something else.
func (s *server) takeDataPlane(fd uint32) (*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used {
		return nil, fmt.Errorf("data plane already handed to a job")
	}
	if fd != DataFD {
		return nil, fmt.Errorf("data plane expected at fd %d, host named fd %d", DataFD, fd)
	}
	if s.inheritedFD != 0 {
		fd = uint32(s.inheritedFD)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(fd), &st); err != nil {
		return nil, fmt.Errorf("data plane fd %d: %w", fd, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return nil, fmt.Errorf("data plane fd %d is not a socket", fd)
	}
	s.used = true
	return os.NewFile(uintptr(fd), "bxl-data-plane"), nil
}

// eventSender serialises Send calls: stdout and stderr are copied by two
// goroutines and a gRPC stream allows one sender at a time.
type eventSender struct {
	mu     sync.Mutex
	stream proto.Launcher_RunServer
	closed int // streams closed; at 2 the host hears OutputClosed
}

func (e *eventSender) send(ev *proto.RunEvent) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stream.Send(ev)
}

func (e *eventSender) writer(stdout bool) *streamWriter {
	return &streamWriter{sender: e, stdout: stdout}
}

type streamWriter struct {
	sender *eventSender
	stdout bool
	once   sync.Once
}

// Close says the runtime's side of this stream ended (RunRuntime closes
// both at EOF); once both did, the host is told it has all of the output.
func (w *streamWriter) Close() error {
	var err error
	w.once.Do(func() {
		e := w.sender
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.closed++; e.closed == 2 {
			err = e.stream.Send(&proto.RunEvent{Event: &proto.RunEvent_OutputClosed{OutputClosed: true}})
		}
	})
	return err
}

// Write sends p in events of at most MaxEventChunk bytes: the host refuses
// larger gRPC messages from a launcher.
func (w *streamWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := p[:min(len(p), MaxEventChunk)]
		// Send marshals before returning, but copy anyway: callers may reuse p.
		b := append([]byte(nil), c...)
		ev := &proto.RunEvent{Event: &proto.RunEvent_Stderr{Stderr: b}}
		if w.stdout {
			ev = &proto.RunEvent{Event: &proto.RunEvent_Stdout{Stdout: b}}
		}
		if err := w.sender.send(ev); err != nil {
			return n, err
		}
		n += len(c)
		p = p[len(c):]
	}
	return n, nil
}
