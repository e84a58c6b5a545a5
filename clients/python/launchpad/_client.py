"""The connection to a host: addresses, TLS, the gRPC calls.

The API is host/api/proto/launchpad.proto; launchpad_pb2 is generated from
it (make proto). The stubs are written here with grpc's generic
unary_stream / unary_unary, so no grpc-tools is needed.
"""

import os

import grpc

from . import _params, _stream, errors
from . import launchpad_pb2 as pb

# The packaged host's socket, as `launchpad exec` defaults to it.
DEFAULT_ADDRESS = "unix:///var/lib/launchpad/launchpad.sock"
# Largest message taken from the host: a batch of a few MiB plus framing,
# with room for hosts configured with larger batches (as the Go client).
MAX_RECV_BYTES = 256 << 20
_SERVICE = "/launchpad.api.v1.Launchpad/"


def resolve(address=None, cert=None, key=None, ca=None):
    """Returns (gRPC target, channel credentials or None) for an address:
    unix://PATH (relative or absolute) or tls://HOST:PORT with a client
    certificate, its key and the CA the host's certificate chains to. Unset arguments come from LAUNCHPAD_ADDR, LAUNCHPAD_CERT,
    LAUNCHPAD_KEY and LAUNCHPAD_CA, as for `launchpad exec`."""
    address = address or os.environ.get("LAUNCHPAD_ADDR") or DEFAULT_ADDRESS
    if address.startswith("unix://"):
        path = address[len("unix://"):]
        if not path:
            raise ValueError("address %r: want unix://PATH" % address)
        if not os.path.exists(path):
            raise errors.HostUnreachable("no socket at %s (is the host running?)" % path)
        return "unix:" + os.path.abspath(path), None
    if address.startswith("tls://"):
        target = address[len("tls://"):]
        if not target or ":" not in target:
            raise ValueError("address %r: want tls://HOST:PORT" % address)
        return target, _tls_credentials(cert, key, ca)
    raise ValueError("address %r: want unix://PATH or tls://HOST:PORT" % address)


def _tls_credentials(cert, key, ca):
    cert = cert or os.environ.get("LAUNCHPAD_CERT")
    key = key or os.environ.get("LAUNCHPAD_KEY")
    ca = ca or os.environ.get("LAUNCHPAD_CA")
    if not cert or not key or not ca:
        raise ValueError("a tls:// host wants a client certificate, its key and the host's CA: give "
                         "cert=, key= and ca= (or LAUNCHPAD_CERT, LAUNCHPAD_KEY, LAUNCHPAD_CA)")
    # The host's certificate must chain to ca, never to the system's roots:
    # as `launchpad exec`, the caller names the CA it trusts for the host.
    return grpc.ssl_channel_credentials(root_certificates=_read(ca, "ca"), private_key=_read(key, "key"),
                                        certificate_chain=_read(cert, "cert"))


def _read(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise ValueError("%s file %s: %s" % (what, path, exc.strerror or exc)) from exc


class Client:
    """A connection to one host; reuse it for many jobs, close it (or use
    it as a context manager) when done. Arguments as for resolve."""

    def __init__(self, address=None, cert=None, key=None, ca=None):
        target, creds = resolve(address, cert, key, ca)
        opts = [("grpc.max_receive_message_length", MAX_RECV_BYTES)]
        if creds is None:
            self._channel = grpc.insecure_channel(target, options=opts)
        else:
            self._channel = grpc.secure_channel(target, creds, options=opts)
        self._execute = self._channel.unary_stream(
            _SERVICE + "Execute", request_serializer=pb.ExecuteRequest.SerializeToString,
            response_deserializer=pb.ExecuteResponse.FromString)
        self._cancel = self._channel.unary_unary(
            _SERVICE + "Cancel", request_serializer=pb.CancelRequest.SerializeToString,
            response_deserializer=pb.CancelResponse.FromString)
        self._list_jobs = self._channel.unary_unary(
            _SERVICE + "ListJobs", request_serializer=pb.ListJobsRequest.SerializeToString,
            response_deserializer=pb.ListJobsResponse.FromString)

    def close(self):
        self._channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def execute(self, script, input_query=None, params=None, language="Python", timeout=None,
                input_name=None, output_name=None, job_id=None, result_schema=None,
                into_table=None, create_table=False, on_message=None):
        """Runs a script on the host; see launchpad.execute."""
        req = request(script, input_query, params, language, input_name, output_name, job_id,
                      result_schema, into_table, create_table)
        call = self._execute(req, timeout=timeout, wait_for_ready=False)
        result = _stream.Result()
        try:
            return _stream.collect(call, on_message, result)
        except grpc.RpcError as exc:
            raise rpc_error(exc, result.job_id or job_id or "", result.messages) from None
        except BaseException:
            call.cancel()  # dropping the call cancels the job on the host
            raise

    def cancel(self, job_id, timeout=30):
        """Asks the host to cancel a job; True when the host knew it."""
        try:
            return self._cancel(pb.CancelRequest(job_id=job_id), timeout=timeout).found
        except grpc.RpcError as exc:
            raise rpc_error(exc, job_id) from None

    def list_jobs(self, limit=0, timeout=30):
        """The host's running and queued jobs, then up to limit of the most
        recent ended ones (0: all it keeps), as `launchpad jobs` lists them:
        one dict per job with the API's JobInfo fields (error_code by name)."""
        if not isinstance(limit, int) or limit < 0:
            raise ValueError("list_jobs: limit %r: want a count >= 0" % (limit,))
        try:
            resp = self._list_jobs(pb.ListJobsRequest(limit=min(limit, 1 << 30)), timeout=timeout)
        except grpc.RpcError as exc:
            raise rpc_error(exc, "") from None
        return [_job_info(j) for j in resp.jobs]


def _job_info(j):
    info = {f.name: getattr(j, f.name) for f in j.DESCRIPTOR.fields}
    info["error_code"] = _stream.code_name(j.error_code) if j.error_code else ""
    return info


def request(script, input_query, params, language, input_name, output_name, job_id,
            result_schema, into_table, create_table):
    """The ExecuteRequest of a job."""
    if not isinstance(script, str) or not script.strip():
        raise ValueError("script: want the script's text")
    decls, values = _params.build(params)
    return pb.ExecuteRequest(
        language=language, script=script, input_query=input_query or "",
        input_name=input_name or "InputDataSet", output_name=output_name or "OutputDataSet",
        params=decls, param_values=values, job_id=job_id or "",
        result_schema=result_schema or "", into_table=into_table or "",
        create_table=bool(create_table))


def rpc_error(exc, job_id, messages=()):
    """The client error for a failed gRPC call (messages: what the job
    printed before)."""
    code, details = exc.code(), exc.details() or ""
    if code == grpc.StatusCode.UNAVAILABLE:
        return errors.HostUnreachable("host unreachable: %s" % details)
    if code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
        return errors.PermissionDenied(details, job_id=job_id, code="PERMISSION_DENIED", messages=messages)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return errors.JobTimeout("timed out: %s" % details, job_id=job_id, code="TIMEOUT", messages=messages)
    if code == grpc.StatusCode.CANCELLED:
        return errors.JobCancelled(details, job_id=job_id, code="CANCELLED", messages=messages)
    return errors.LaunchpadError("host call failed: %s: %s" % (code.name, details))


def execute(script, input_query=None, params=None, language="Python", address=None, cert=None,
            key=None, ca=None, timeout=None, **kwargs):
    """Runs a script on a Launchpad host and returns its Result (which
    unpacks as data, params). See launchpad.__doc__ and docs/python-client.md."""
    with Client(address, cert, key, ca) as c:
        return c.execute(script, input_query, params, language, timeout, **kwargs)


def cancel(job_id, address=None, cert=None, key=None, ca=None):
    """Asks the host to cancel a job; True when the host knew it."""
    with Client(address, cert, key, ca) as c:
        return c.cancel(job_id)
