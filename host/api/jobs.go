package api

import (
	"context"

	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/host/job"
)

// maxListJobs bounds one ListJobs answer (a host keeps 1000 by default).
const maxListJobs = 10000

// ListJobs lists running and queued jobs, then recent ended ones: a
// caller's own only, unless its grants make it an admin.
func (s *Server) ListJobs(ctx context.Context, req *proto.ListJobsRequest) (*proto.ListJobsResponse, error) {
	if s.jobs == nil {
		return nil, status.Error(grpccodes.Unimplemented, "this host keeps no job history")
	}
	who, err := s.callerOf(ctx)
	if err != nil {
		return nil, status.Error(grpccodes.PermissionDenied, err.Error())
	}
	limit := int(req.GetLimit())
	if limit < 0 {
		return nil, status.Error(grpccodes.InvalidArgument, "limit must not be negative")
	}
	if limit == 0 || limit > maxListJobs {
		limit = maxListJobs
	}
	var infos []job.Info
	if who.admin {
		infos = s.jobs.List(limit)
	} else {
		infos = ownJobs(s.jobs.List(maxListJobs), who.name, limit)
	}
	out := &proto.ListJobsResponse{Jobs: make([]*proto.JobInfo, 0, len(infos))}
	for _, in := range infos {
		out.Jobs = append(out.Jobs, jobInfoToProto(in))
	}
	for _, w := range s.runner.WarmStatus() {
		out.Warm = append(out.Warm, warmToProto(w))
	}
	return out, nil
}

// ownJobs keeps caller's jobs of all: every running or queued one, then up
// to limit ended ones (all lists them in that order).
func ownJobs(all []job.Info, caller string, limit int) []job.Info {
	var out []job.Info
	ended := 0
	for _, in := range all {
		if in.Caller != caller {
			continue
		}
		if in.State != job.StateQueued && in.State != job.StateRunning {
			if ended == limit {
				continue
			}
			ended++
		}
		out = append(out, in)
	}
	return out
}
