package api

import (
	"context"

	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/host/pool"
)

// maxListJobs bounds one ListJobs answer (a host keeps 1000 by default).
const maxListJobs = 10000

// ListJobs lists running and queued jobs, then recent ended ones.
func (s *Server) ListJobs(_ context.Context, req *proto.ListJobsRequest) (*proto.ListJobsResponse, error) {
	if s.jobs == nil {
		return nil, status.Error(grpccodes.Unimplemented, "this host keeps no job history")
	}
	limit := int(req.GetLimit())
	if limit < 0 {
		return nil, status.Error(grpccodes.InvalidArgument, "limit must not be negative")
	}
	if limit == 0 || limit > maxListJobs {
		limit = maxListJobs
	}
	infos := s.jobs.List(limit)
	out := &proto.ListJobsResponse{Jobs: make([]*proto.JobInfo, 0, len(infos))}
	for _, in := range infos {
		out.Jobs = append(out.Jobs, jobInfoToProto(in))
	}
	if s.pools != nil {
		for _, f := range s.pools() {
			out.Pools = append(out.Pools, poolToProto(f))
		}
	}
	return out, nil
}

func poolToProto(f pool.Figures) *proto.PoolInfo {
	return &proto.PoolInfo{
		Name: f.Name, Running: int32(f.Running), Queued: int32(f.Queued), MaxJobs: int32(f.MaxJobs),
		MemoryBytes: f.MemoryBytes, MemoryLimitBytes: f.MemoryLimitBytes, CpuSeconds: f.CPUSeconds,
		MaxCpuPercent: int32(f.MaxCPUPercent), CpuWeight: int32(f.CPUWeight),
	}
}
