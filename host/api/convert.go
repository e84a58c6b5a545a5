package api

import (
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
	}
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
