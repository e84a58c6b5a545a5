"""The exceptions of the Launchpad client.

Everything the client raises for a host, a job or a stream derives from
LaunchpadError; bad arguments raise ValueError or TypeError before anything
is sent. A failed job raises a JobError subclass chosen by the host's error
code, carrying the job id, the code, the message, the script's traceback and
line, and the messages the job printed before it failed.
"""


class LaunchpadError(Exception):
    """Base of the client's errors."""


class HostUnreachable(LaunchpadError):
    """No host answered at the address (no socket, connection refused, TLS
    handshake failed, host shutting down)."""


class ProtocolError(LaunchpadError):
    """The host's stream broke the protocol: an undecodable schema, batch or
    params payload, rows before their schema, an end without a status."""


class JobError(LaunchpadError):
    """A job the host ran (or refused) ended with an error.

    Attributes: job_id, code (the API's ErrorCode name without its prefix:
    "SCRIPT", "LIMIT_EXCEEDED", ...), message, error_type (the runtime's
    exception type), traceback, line (in the user's script; 0 when unknown),
    column, limit, and messages / stdout / stderr printed before the failure.
    """

    def __init__(self, message, job_id="", code="", error_type="", traceback="", line=0,
                 column="", limit="", messages=()):
        super().__init__(message)
        self.job_id, self.code, self.message = job_id, code, message
        self.error_type, self.traceback, self.line = error_type, traceback, line
        self.column, self.limit = column, limit
        self.messages = list(messages)

    @property
    def stdout(self):
        return stream_text(self.messages, "stdout")

    @property
    def stderr(self):
        return stream_text(self.messages, "stderr")

    def __str__(self):
        head = self.message
        if self.job_id and not head.startswith("job " + self.job_id):
            head = "job %s: %s" % (self.job_id, head)
        if self.code:
            head = "%s [%s]" % (head, self.code)
        tb = self.traceback.rstrip("\n")
        return head + ("\n" + tb if tb else "")


class ScriptError(JobError):
    """The user's script raised an error; traceback and line say where."""


class InvalidRequest(JobError):
    """The host refused the request: bad params, names, types or script."""


class PermissionDenied(JobError):
    """The host refused the caller: no grant for the language, table or pool,
    external scripts disabled, or a job that is not the caller's."""


class LimitExceeded(JobError):
    """A resource limit ended the job; limit names it (memory, time, ...)."""


class JobCancelled(JobError):
    """The job was cancelled (by the caller, an operator or a host stop)."""


class JobTimeout(JobError):
    """The client's timeout expired; the host cancels the job."""


# The subclass for each ErrorCode name; others are a plain JobError.
_BY_CODE = {
    "SCRIPT": ScriptError,
    "INVALID_REQUEST": InvalidRequest,
    "UNKNOWN_LANGUAGE": InvalidRequest,
    "PERMISSION_DENIED": PermissionDenied,
    "LIMIT_EXCEEDED": LimitExceeded,
    "CANCELLED": JobCancelled,
}


def job_error_class(code):
    """The JobError subclass raised for an ErrorCode name."""
    return _BY_CODE.get(code, JobError)


def stream_text(messages, stream):
    """The text of one stream ("stdout" or "stderr") of a job's messages."""
    return "".join(m.text for m in messages if m.stream == stream)
