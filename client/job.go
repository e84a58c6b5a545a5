package client

import (
	"errors"
	"fmt"
	"io"

	"github.com/openlaunchpad/launchpad/host/api/proto"
	"github.com/openlaunchpad/launchpad/sdk/bxl"
)

// ErrBadStream is wrapped by Job.Recv when the host's stream breaks the
// protocol: undecodable schema, batch or params, rows before their schema,
// or an end without a status.
var ErrBadStream = errors.New("bad stream from host")

// Event is one step of a job's stream; exactly one field is set. Status
// comes last.
type Event struct {
	Started *proto.JobStarted
	Message *proto.Message
	Schema  *bxl.Schema
	Batch   *bxl.Batch
	Status  *Status
}

// Status is a job's final status with its OUTPUT params decoded.
type Status struct {
	*proto.Status
	// ParamSchema and Params are the OUTPUT params (one row); nil when the
	// job has none.
	ParamSchema *bxl.Schema
	Params      *bxl.Batch
}

// Failed reports whether the job ended with an error.
func (s *Status) Failed() bool { return s.GetError() != nil }

// Job is a started job's event stream.
type Job struct {
	stream proto.Launchpad_ExecuteClient
	schema *bxl.Schema
	done   bool
}

// Recv returns the next event, decoded. After the Status event it returns
// io.EOF. A transport error (the host went away) is returned as gRPC gave
// it; a protocol error wraps ErrBadStream.
func (j *Job) Recv() (Event, error) {
	for !j.done {
		ev, err := j.stream.Recv()
		if err == io.EOF {
			return Event{}, fmt.Errorf("%w: host ended the job's stream without a status", ErrBadStream)
		}
		if err != nil {
			return Event{}, err
		}
		switch e := ev.GetEvent().(type) {
		case *proto.ExecuteResponse_Started:
			return Event{Started: e.Started}, nil
		case *proto.ExecuteResponse_Message:
			return Event{Message: e.Message}, nil
		case *proto.ExecuteResponse_Schema:
			if j.schema, err = bxl.DecodeSchema(e.Schema); err != nil {
				return Event{}, fmt.Errorf("%w: bad result schema: %w", ErrBadStream, err)
			}
			return Event{Schema: j.schema}, nil
		case *proto.ExecuteResponse_Batch:
			return j.batch(e.Batch)
		case *proto.ExecuteResponse_Status:
			j.done = true
			return j.status(e.Status)
		}
		// An event a newer host sends and this client does not know: skip it.
	}
	return Event{}, io.EOF
}

func (j *Job) batch(b []byte) (Event, error) {
	if j.schema == nil {
		return Event{}, fmt.Errorf("%w: rows before their schema", ErrBadStream)
	}
	batch, err := bxl.DecodeBatch(b, j.schema)
	if err != nil {
		return Event{}, fmt.Errorf("%w: bad result batch: %w", ErrBadStream, err)
	}
	return Event{Batch: batch}, nil
}

func (j *Job) status(st *proto.Status) (Event, error) {
	s := &Status{Status: st}
	if len(st.GetOutputParams()) > 0 {
		var err error
		if s.ParamSchema, s.Params, err = bxl.DecodeParams(st.GetOutputParams()); err != nil {
			return Event{}, fmt.Errorf("%w: job %s: bad output params: %w", ErrBadStream, st.GetJobId(), err)
		}
	}
	return Event{Status: s}, nil
}
