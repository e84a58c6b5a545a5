"""A job's event stream (ExecuteResponse messages) into a Result.

The result set arrives as BXL payloads, one SCHEMA then BATCHes, with
messages in between. They are decoded by the same code as the Python
runtime's input (launchpad_frames_in, on launchpad_bxl, the SDK's codec): the
payloads are presented to it as the framed byte stream it reads from its
socket, one event at a time, so a DataFrame here has exactly the types a
script's InputDataSet has for the same rows, and batches are received
straight into the column arrays without being held twice.
"""

import struct

import pandas as pd

import launchpad_bxl as bxl
import launchpad_frames_in as frames_in

from . import errors
from . import launchpad_pb2 as pb

_STREAMS = {pb.Message.STREAM_STDOUT: "stdout", pb.Message.STREAM_STDERR: "stderr",
            pb.Message.STREAM_HOST: "host"}


class Message:
    """One message of a job: stream ("stdout", "stderr" or "host") and text."""

    __slots__ = ("stream", "text")

    def __init__(self, stream, text):
        self.stream, self.text = stream, text

    def __repr__(self):
        return "Message(%r, %r)" % (self.stream, self.text)


class Result:
    """A job's outcome.

    data: the OutputDataSet as a pandas DataFrame (empty when the host sent
    no result set, e.g. with into_table); params: the OUTPUT params by name;
    messages: what the job printed, in order (stdout, stderr as text);
    job_id, launcher, warnings (isolation relaxations of the host); stats
    (rows_in, rows_out, duration_ms, peak_memory_bytes, ...).
    Unpacks as (data, params).
    """

    def __init__(self):
        self.data = None
        self.params = {}
        self.messages = []
        self.job_id = self.launcher = ""
        self.warnings = []
        self.stats = {}

    @property
    def stdout(self):
        return errors.stream_text(self.messages, "stdout")

    @property
    def stderr(self):
        return errors.stream_text(self.messages, "stderr")

    def __iter__(self):
        return iter((self.data, self.params))

    def __repr__(self):
        return "<launchpad.Result job %s: %d rows, params %r>" % (
            self.job_id, 0 if self.data is None else len(self.data), self.params)


class _Failed(Exception):
    """The status arrived with an error while rows were being decoded."""


class _Events:
    """Reads the job's events, keeping everything but result-set payloads in
    the Result; on_message, when set, sees each message as it arrives."""

    def __init__(self, responses, result, on_message=None):
        self.it, self.result, self.on_message = iter(responses), result, on_message
        self.status = None

    def next_data(self):
        """Returns ("schema"|"batch", payload) or None once the status came."""
        for resp in self.it:
            kind = resp.WhichOneof("event")
            if kind in ("schema", "batch"):
                return kind, getattr(resp, kind)
            if kind == "started":
                self.result.job_id = resp.started.job_id
                self.result.launcher = resp.started.launcher
                self.result.warnings = list(resp.started.warnings)
            elif kind == "message":
                self._message(resp.message)
            elif kind == "status":
                self.status = resp.status
                return None
            # None: an event a newer host sends and this client does not know.
        raise errors.ProtocolError("job %s: host ended the job's stream without a status"
                                   % (self.result.job_id or "?"))

    def _message(self, m):
        text = bytes(m.text).decode("utf-8", "replace")
        msg = Message(_STREAMS.get(m.stream, "host"), text)
        self.result.messages.append(msg)
        if self.on_message is not None:
            self.on_message(msg)


class _FrameSource:
    """The socket launchpad_bxl.Conn reads from: the SCHEMA payload, then
    each BATCH payload as it arrives, as BXL frames, and an END frame with
    the row count when the status arrives (or _Failed when it is an error)."""

    def __init__(self, events, schema):
        self.events = events
        self.parts = [_header(bxl.F_SCHEMA, schema), memoryview(schema)]
        self.rows, self.ended = 0, False

    def recv_into(self, view):
        while self.parts and not self.parts[0].nbytes:
            self.parts.pop(0)
        if not self.parts and not self._next():
            return 0
        part = self.parts[0]
        n = min(part.nbytes, view.nbytes)
        view[:n] = part[:n]
        self.parts[0] = part[n:]
        return n

    def _next(self):
        if self.ended:
            return False
        ev = self.events.next_data()
        if ev is None:
            if self.events.status.HasField("error"):
                raise _Failed()
            end = struct.pack("<Q", self.rows)
            self.parts = [_header(bxl.F_END, end), memoryview(end)]
            self.ended = True
            return True
        kind, payload = ev
        if kind == "schema":
            raise errors.ProtocolError("job %s: a second result schema" % self.events.result.job_id)
        if len(payload) >= 4:
            self.rows += struct.unpack_from("<I", payload)[0]
        self.parts = [_header(bxl.F_BATCH, payload), memoryview(payload)]
        return True


def _header(ftype, payload):
    return memoryview(struct.pack("<IB", len(payload), ftype))


def collect(responses, on_message=None, result=None):
    """Reads a job's whole event stream into result (a new Result when
    None) and returns it; raises the job's error (a JobError subclass) or
    ProtocolError."""
    result = Result() if result is None else result
    events = _Events(responses, result, on_message)
    ev = events.next_data()
    try:
        if ev is not None:
            if ev[0] != "schema":
                raise errors.ProtocolError("job %s: rows before their schema" % (result.job_id or "?"))
            _, result.data = frames_in.read_dataset(bxl.Conn(_FrameSource(events, ev[1])))
    except _Failed:
        pass
    except (bxl.BxlError, bxl.PeerGone) as exc:
        raise errors.ProtocolError("job %s: bad result set from host: %s" % (result.job_id or "?", exc)) from exc
    status = events.status
    fill_status(result, status)
    if result.data is None:
        result.data = pd.DataFrame()
    return result


def fill_status(result, status):
    """Puts a final status into result, or raises the job's error."""
    result.job_id = status.job_id or result.job_id
    if status.HasField("error"):
        raise job_error(status.job_id or result.job_id, status.error, result.messages)
    st = status.stats
    result.stats = {f.name: getattr(st, f.name) for f in st.DESCRIPTOR.fields}
    if status.output_params:
        result.params = decode_params(status.job_id, status.output_params)


def decode_params(job_id, payload):
    """The OUTPUT params of a BXL PARAMS payload, by name (None for NULL)."""
    src = _Bytes(_header(bxl.F_PARAMS, payload), memoryview(payload))
    try:
        _, values = bxl.read_params(bxl.Conn(src))
    except (bxl.BxlError, bxl.PeerGone) as exc:
        raise errors.ProtocolError("job %s: bad output params from host: %s" % (job_id, exc)) from exc
    return values


class _Bytes:
    """A socket over fixed byte parts (for Conn)."""

    def __init__(self, *parts):
        self.data = memoryview(b"".join(parts))

    def recv_into(self, view):
        n = min(self.data.nbytes, view.nbytes)
        view[:n] = self.data[:n]
        self.data = self.data[n:]
        return n


def code_name(code):
    """An ErrorCode's name without its prefix ("SCRIPT"), or its number for a
    code this client does not know."""
    try:
        return pb.ErrorCode.Name(code)[len("ERROR_CODE_"):]
    except ValueError:
        return str(code)


def job_error(job_id, e, messages=()):
    """The JobError for an API Error message."""
    code = code_name(e.code)
    cls = errors.job_error_class(code)
    return cls(e.message, job_id=job_id, code=code, error_type=e.error_type, traceback=e.traceback,
               line=e.line, column=e.column, limit=e.limit, messages=messages)
