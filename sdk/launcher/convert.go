package launcher

import "github.com/openlaunchpad/launchpad/sdk/launcher/proto"

func infoToProto(i *Info) *proto.InfoResponse {
	return &proto.InfoResponse{
		Name:       i.Name,
		Version:    i.Version,
		Languages:  i.Languages,
		ApiVersion: uint32(i.APIVersion),
		Warm:       i.Warm,
	}
}

func infoFromProto(p *proto.InfoResponse) *Info {
	return &Info{
		Name:       p.GetName(),
		Version:    p.GetVersion(),
		Languages:  p.GetLanguages(),
		APIVersion: int(p.GetApiVersion()),
		Warm:       p.GetWarm(),
	}
}

// runRequestToProto leaves DataPlane out: a descriptor cannot travel over
// gRPC. The satellite inherits it at DataFD and the request only names it.
func runRequestToProto(r *RunRequest) *proto.RunRequest {
	return &proto.RunRequest{
		JobId:      r.JobID,
		Language:   r.Language,
		WorkingDir: r.WorkingDir,
		Settings:   r.Settings,
		DataFd:     DataFD,
	}
}

func runRequestFromProto(p *proto.RunRequest) *RunRequest {
	return &RunRequest{
		JobID:      p.GetJobId(),
		Language:   p.GetLanguage(),
		WorkingDir: p.GetWorkingDir(),
		Settings:   p.GetSettings(),
	}
}

func exitToProto(e *ExitStatus) *proto.Exit {
	return &proto.Exit{Code: int32(e.Code), Signal: e.Signal}
}

func exitFromProto(p *proto.Exit) *ExitStatus {
	return &ExitStatus{Code: int(p.GetCode()), Signal: p.GetSignal()}
}
