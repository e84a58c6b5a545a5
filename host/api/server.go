package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/host/grant"
	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/host/sqltype"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// Server implements the Launchpad gRPC service on a job runner.
type Server struct {
	proto.UnimplementedLaunchpadServer
	runner *job.Runner
	log    hclog.Logger
	jobs   JobLister
	grants func() *grant.Grants // nil: no checks
	audit  Auditor

	// mu guards running: the running jobs by id.
	mu      sync.Mutex
	running map[string]runningJob
}

// runningJob is a running job's cancel function and its caller's name.
type runningJob struct {
	cancel context.CancelFunc
	caller string
}

// JobLister lists running and recent jobs (host/history's Store).
type JobLister interface {
	List(limit int) []job.Info
}

// Option changes how NewServer builds a server.
type Option func(*Server)

// WithJobs serves ListJobs from l; without it ListJobs is unimplemented.
func WithJobs(l JobLister) Option { return func(s *Server) { s.jobs = l } }

// NewServer returns a server running jobs on runner.
func NewServer(runner *job.Runner, logger hclog.Logger, opts ...Option) *Server {
	s := &Server{runner: runner, log: logger.Named("api"), running: map[string]runningJob{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Register adds the service to a gRPC server.
func (s *Server) Register(g *grpc.Server) { proto.RegisterLaunchpadServer(g, s) }

// Execute runs one job.
func (s *Server) Execute(req *proto.ExecuteRequest, stream proto.Launchpad_ExecuteServer) error {
	sink := newStreamSink(stream)
	id := req.GetJobId()
	if id == "" {
		id = job.NewJobID()
	}
	fail := func(err *job.Error) error {
		return sink.final(&proto.ExecuteResponse{Event: &proto.ExecuteResponse_Status{Status: &proto.Status{
			JobId: id, Error: errorToProto(err)}}})
	}
	if !job.ValidJobID(id) {
		return fail(&job.Error{JobID: id, Code: job.CodeInvalidRequest, Err: errors.New("job id: use 1-64 letters, digits, '-' or '_'")})
	}
	params, err := sqltype.ParseParams(req.GetParams())
	if err != nil {
		return fail(&job.Error{JobID: id, Code: job.CodeInvalidRequest, Err: err})
	}
	queries, err := paramQueries(req)
	if err != nil {
		return fail(&job.Error{JobID: id, Code: job.CodeInvalidRequest, Err: err})
	}
	if st := req.GetStart(); st != job.StartAuto && st != job.StartCold && st != job.StartWarm {
		return fail(&job.Error{JobID: id, Code: job.CodeInvalidRequest, Err: fmt.Errorf("start %q: want cold or warm (or nothing)", st)})
	}
	shape, none, err := resultSets(req.GetResultSchema())
	if err != nil {
		return fail(&job.Error{JobID: id, Code: job.CodeInvalidRequest, Err: fmt.Errorf("result schema: %w", err)})
	}
	who, access, jerr := s.admit(stream.Context(), id, req)
	if jerr != nil {
		return fail(jerr)
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	if !s.track(id, runningJob{cancel: cancel, caller: who.name}) {
		return fail(&job.Error{JobID: id, Code: job.CodeInvalidRequest, Err: errors.New("a job with this id is running")})
	}
	defer s.untrack(id)

	res, err := s.runner.Run(ctx, &job.Request{
		ID: id, Caller: who.name, Identity: who.id, Access: access, Language: req.GetLanguage(), Script: req.GetScript(), InputQuery: req.GetInputQuery(),
		InputName: req.GetInputName(), OutputName: req.GetOutputName(),
		Params: params, ParamValues: req.GetParamValues(),
		DataSource: req.GetDataSource(), IntoTable: req.GetIntoTable(), CreateTable: req.GetCreateTable(),
		ResultSchema: shape, NoResultSet: none, ParamQueries: queries,
		RowsPerRead: req.GetRowsPerRead(), PartitionBy: req.GetPartitionBy(), OrderBy: req.GetOrderBy(), Parallel: req.GetParallel(),
		Start: req.GetStart(),
	}, sink)
	if err != nil {
		var jerr *job.Error
		if !errors.As(err, &jerr) {
			jerr = &job.Error{JobID: id, Code: job.CodeHostFault, Err: err}
		}
		return fail(jerr)
	}
	return sink.final(&proto.ExecuteResponse{Event: &proto.ExecuteResponse_Status{Status: &proto.Status{
		JobId: id, OutputParams: res.OutputParamsPayload, Stats: statsToProto(res.Stats)}}})
}

// admit identifies the caller and checks its grants for req; a refusal
// is audited.
func (s *Server) admit(ctx context.Context, id string, req *proto.ExecuteRequest) (caller, *job.Access, *job.Error) {
	who, err := s.callerOf(ctx)
	if err != nil {
		s.refused("job.refused", id, who, err, nil)
		return who, nil, &job.Error{JobID: id, Code: job.CodePermissionDenied, Err: err}
	}
	access, err := s.mayRun(who, req.GetLanguage(), req.GetIntoTable())
	if errors.Is(err, grant.ErrPermissionDenied) {
		s.refused("job.refused", id, who, err, map[string]string{"language": req.GetLanguage(), "into_table": req.GetIntoTable()})
		return who, nil, &job.Error{JobID: id, Code: job.CodePermissionDenied, Err: err}
	}
	if err != nil {
		return who, nil, &job.Error{JobID: id, Code: job.CodeInvalidRequest, Err: err}
	}
	return who, access, nil
}

// resultSets reads --result-schema as WITH RESULT SETS does: a column list,
// NONE (the script must return no result set) or UNDEFINED (no check, as
// when nothing is given).
func resultSets(s string) (cols []sqltype.Decl, none bool, err error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "NONE":
		return nil, true, nil
	case "UNDEFINED":
		return nil, false, nil
	}
	cols, err = sqltype.ParseColumns(s)
	return cols, false, err
}

// Cancel stops a running job. A caller may cancel only its own jobs
// unless its grants make it an admin.
func (s *Server) Cancel(ctx context.Context, req *proto.CancelRequest) (*proto.CancelResponse, error) {
	who, err := s.callerOf(ctx)
	if err != nil {
		s.refused("job.cancel", req.GetJobId(), who, err, nil)
		return nil, status.Error(grpccodes.PermissionDenied, err.Error())
	}
	s.mu.Lock()
	run, ok := s.running[req.GetJobId()]
	s.mu.Unlock()
	if ok && !who.admin && run.caller != who.name {
		err := fmt.Errorf("%w: caller %s may not cancel job %s of another caller", grant.ErrPermissionDenied, who.name, req.GetJobId())
		s.refused("job.cancel", req.GetJobId(), who, err, map[string]string{"owner": run.caller})
		return nil, status.Error(grpccodes.PermissionDenied, err.Error())
	}
	if ok {
		s.log.Info("cancelling job", "job_id", req.GetJobId(), "caller", who.name)
		run.cancel()
	}
	return &proto.CancelResponse{Found: ok}, nil
}

func (s *Server) track(id string, run runningJob) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.running[id]; dup {
		return false
	}
	s.running[id] = run
	return true
}

func (s *Server) untrack(id string) {
	s.mu.Lock()
	delete(s.running, id)
	s.mu.Unlock()
}

// streamSink sends a job's events on the Execute stream; gRPC allows one
// sender at a time and events come from several goroutines.
type streamSink struct {
	turn   chan struct{} // one Send at a time
	stream proto.Launchpad_ExecuteServer
}

func newStreamSink(stream proto.Launchpad_ExecuteServer) *streamSink {
	return &streamSink{turn: make(chan struct{}, 1), stream: stream}
}

func (k *streamSink) send(r *proto.ExecuteResponse) error {
	k.turn <- struct{}{}
	defer func() { <-k.turn }()
	return k.stream.Send(r)
}

// finalWait bounds how long the job's final status waits for a caller that
// stopped reading. The job itself no longer waits (job.Runner bounds its
// sends by the job's own deadline); this frees the call.
const finalWait = 10 * time.Second

// final sends the job's status. When the caller has not read for finalWait,
// the call ends with the status as a gRPC error instead, which also ends the
// send still waiting for that caller.
func (k *streamSink) final(r *proto.ExecuteResponse) error {
	done := make(chan error, 1)
	go func() { done <- k.send(r) }()
	select {
	case err := <-done:
		return err
	case <-time.After(finalWait):
		st := r.GetStatus()
		msg := fmt.Sprintf("job %s: the caller did not read its results", st.GetJobId())
		if e := st.GetError(); e != nil {
			msg = fmt.Sprintf("job %s: %s (the caller did not read its results)", st.GetJobId(), e.GetMessage())
		}
		return status.Error(grpccodes.DeadlineExceeded, msg)
	}
}

func (k *streamSink) Started(st job.Started) error {
	return k.send(&proto.ExecuteResponse{Event: &proto.ExecuteResponse_Started{Started: &proto.JobStarted{
		JobId: st.JobID, Launcher: st.Launcher, Warnings: st.Warnings}}})
}

func (k *streamSink) Schema(p []byte, _ *bxl.Schema) error {
	return k.send(&proto.ExecuteResponse{Event: &proto.ExecuteResponse_Schema{Schema: p}})
}

func (k *streamSink) Batch(p []byte, _ *bxl.Batch) error {
	return k.send(&proto.ExecuteResponse{Event: &proto.ExecuteResponse_Batch{Batch: p}})
}

func (k *streamSink) Message(st job.Stream, text []byte) error {
	return k.send(&proto.ExecuteResponse{Event: &proto.ExecuteResponse_Message{Message: &proto.Message{
		Stream: streamToProto(st), Text: text}}})
}
