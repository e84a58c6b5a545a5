package api

import (
	"time"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/host/job"
)

var codes = map[job.Code]proto.ErrorCode{
	job.CodeScript:            proto.ErrorCode_ERROR_CODE_SCRIPT,
	job.CodeInvalidRequest:    proto.ErrorCode_ERROR_CODE_INVALID_REQUEST,
	job.CodeUnknownLanguage:   proto.ErrorCode_ERROR_CODE_UNKNOWN_LANGUAGE,
	job.CodeUntrustedLauncher: proto.ErrorCode_ERROR_CODE_UNTRUSTED_LAUNCHER,
	job.CodeLimitExceeded:     proto.ErrorCode_ERROR_CODE_LIMIT_EXCEEDED,
	job.CodeCancelled:         proto.ErrorCode_ERROR_CODE_CANCELLED,
	job.CodeLauncherFault:     proto.ErrorCode_ERROR_CODE_LAUNCHER_FAULT,
	job.CodeDataSource:        proto.ErrorCode_ERROR_CODE_DATA_SOURCE,
	job.CodeOutput:            proto.ErrorCode_ERROR_CODE_OUTPUT,
	job.CodeHostFault:         proto.ErrorCode_ERROR_CODE_HOST_FAULT,
	job.CodePermissionDenied:  proto.ErrorCode_ERROR_CODE_PERMISSION_DENIED,
}

func errorToProto(e *job.Error) *proto.Error {
	p := &proto.Error{Code: codes[e.Code], Message: e.Error(), Limit: e.Limit}
	if p.Code == proto.ErrorCode_ERROR_CODE_UNSPECIFIED {
		p.Code = proto.ErrorCode_ERROR_CODE_HOST_FAULT
	}
	if se := e.Script; se != nil {
		p.ErrorType, p.Traceback, p.Line, p.Column = se.Type, se.Traceback, int32(se.Line), se.Column
	}
	return p
}

func statsToProto(s job.Stats) *proto.Stats {
	return &proto.Stats{
		RowsIn: s.RowsIn, RowsOut: s.RowsOut, BytesIn: s.BytesIn, BytesOut: s.BytesOut,
		DurationMs: s.Duration.Milliseconds(), PeakMemoryBytes: s.PeakMemoryBytes,
		CpuUserMs: s.CPUUser.Milliseconds(), CpuSystemMs: s.CPUSystem.Milliseconds(), RowsWritten: s.RowsWritten,
		Start: s.Start, StartNote: s.StartNote,
	}
}

func warmToProto(w job.WarmStatus) *proto.WarmPool {
	return &proto.WarmPool{Launcher: w.Launcher, Target: int32(w.Target), Ready: int32(w.Ready),
		Preparing: int32(w.Preparing), MemoryBytes: w.MemoryBytes, Workers: int32(w.Workers), Served: w.Served, Note: w.Note}
}

func streamToProto(s job.Stream) proto.Message_Stream {
	switch s {
	case job.Stdout:
		return proto.Message_STREAM_STDOUT
	case job.Stderr:
		return proto.Message_STREAM_STDERR
	}
	return proto.Message_STREAM_HOST
}

// errorCodeByName maps job.Code names (as a job's Info keeps them) to the
// API's codes.
var errorCodeByName = func() map[string]proto.ErrorCode {
	m := map[string]proto.ErrorCode{}
	for c, p := range codes {
		m[c.String()] = p
	}
	return m
}()

func unixMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func jobInfoToProto(in job.Info) *proto.JobInfo {
	p := &proto.JobInfo{
		JobId: in.ID, Caller: in.Caller, Language: in.Language, Launcher: in.Launcher,
		LauncherVersion: in.LauncherVersion, State: in.State,
		SubmittedUnixMs: unixMs(in.Submitted), StartedUnixMs: unixMs(in.Started), EndedUnixMs: unixMs(in.Ended),
		QueueWaitMs: in.QueueWaitMs, ElapsedMs: in.ElapsedMs, CpuUserMs: in.CPUUserMs, CpuSystemMs: in.CPUSystemMs,
		PeakMemoryBytes: in.PeakMemoryBytes, RowsIn: in.RowsIn, BytesIn: in.BytesIn,
		RowsOut: in.RowsOut, BytesOut: in.BytesOut, OutputKnown: in.OutputKnown,
		ExitSignal: in.ExitSignal, Error: in.Error, ScriptSha256: in.ScriptSHA256, Start: in.Start,
	}
	for _, st := range in.Stages {
		p.Stages = append(p.Stages, &proto.JobStage{Name: st.Name, Ms: st.Ms})
	}
	if in.ExitCode != nil {
		p.HasExitCode, p.ExitCode = true, int32(*in.ExitCode)
	}
	if in.ErrorCode != "" {
		p.ErrorCode = errorCodeByName[in.ErrorCode]
		if p.ErrorCode == proto.ErrorCode_ERROR_CODE_UNSPECIFIED {
			p.ErrorCode = proto.ErrorCode_ERROR_CODE_HOST_FAULT
		}
	}
	return p
}
