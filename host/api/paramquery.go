package api

import (
	"fmt"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/host/job"
	"github.com/openlaunchpad/launchpad/host/sqltype"
)

// paramQueries reads the request's param queries, parsing each query's
// variable declarations; the runner checks the rest before the job runs.
func paramQueries(req *proto.ExecuteRequest) ([]job.ParamQuery, error) {
	var out []job.ParamQuery
	for _, pq := range req.GetParamQueries() {
		decls, err := sqltype.ParseParams(pq.GetParams())
		if err != nil {
			return nil, fmt.Errorf("param @%s's query: its variables: %w", pq.GetParam(), err)
		}
		out = append(out, job.ParamQuery{Param: pq.GetParam(), Query: pq.GetQuery(), Params: decls, ParamValues: pq.GetParamValues()})
	}
	return out, nil
}
