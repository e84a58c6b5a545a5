"""Launchpad Python runtime: runs one user script against a BXL data plane.

PythonLauncher stages this file and its sibling modules in the job's private
folder and starts it as

    /usr/bin/python3 -I -B launchpad_runtime.py

with that folder as working directory, file descriptor 3 = the BXL data plane
(a connected unix SOCK_STREAM socket, contract: docs/bxl.md) and fds 1/2 =
the user's stdout/stderr, which the launcher forwards to the caller.

Conversation (runtime side):

    send HELLO; read HELLO, JOB, PARAMS, SCHEMA, BATCH*, END (whole input first)
    build the input pandas DataFrame and the param variables, exec the script
        (each launchpad_query call: send QUERY, read SCHEMA BATCH* END or ERROR)
    send [SCHEMA BATCH*] (only when the output variable is bound) PARAMS END
    or ERROR (kind script | output | input | protocol | internal)

The parts, each with its own unit tests beside it:

    launchpad_bxl         framing, schemas, batches, params, conversation (pure stdlib;
                          shipped by the SDK as sdk/bxl/pybxl)
    launchpad_frames_in   SCHEMA/BATCH/END -> pandas DataFrame (numpy, no per-row loops)
    launchpad_frames_out  DataFrame -> SCHEMA/BATCH (dtype inference, numpy buffers)
    launchpad_params      OUTPUT params: coercion to the declared types
    launchpad_script      compile and run the script, errors with the user's lines
    launchpad_chunks      chunked jobs (JOB key chunked=1): the script once per chunk
    launchpad_query       launchpad_query(sql): the script's queries back to the instance

Only the standard library, numpy and pandas are needed (no pyarrow).

Exit status: 0 after END, 1 after ERROR was sent, 2 when the data plane failed
(host closed it, host sent ERROR, fd 3 missing), so nothing could be reported.
"""

import collections
import gc
import os
import socket
import sys
import traceback

# python3 -I leaves the script's folder off sys.path: add it for the sibling
# modules only, so the user's script imports exactly what it would without them.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
try:
    import pandas as pd

    import launchpad_bxl as bxl
    from launchpad_bxl import BxlError, Conn, OutputError, PeerGone
    from launchpad_frames_in import read_dataset
    from launchpad_frames_out import send_dataset
    from launchpad_params import send_out_params
    from launchpad_chunks import run_chunks
    import launchpad_query
    from launchpad_script import ScriptFailed, run_script
finally:
    sys.path.remove(_HERE)

Input = collections.namedtuple("Input", "job param_fields params fields frame")


def read_head(conn):
    """Reads HELLO, JOB and PARAMS; returns (job, param fields, params)."""
    bxl.read_hello(conn)
    job = bxl.read_job(conn)
    param_fields, params = bxl.read_params(conn)
    return job, param_fields, params


def read_input(conn):
    """Reads HELLO..END; returns an Input (fields: the input's schema)."""
    job, param_fields, params = read_head(conn)
    fields, frame = read_dataset(conn)
    return Input(job, param_fields, params, fields, frame)


def serve(conn):
    """Runs one job over conn; returns the process exit status."""
    bxl.send_hello(conn)
    # Decoding and encoding make millions of objects but no reference
    # cycles: the cyclic collector only costs time there. The user's script
    # runs with it on, as Python's default.
    gc.disable()
    try:
        job, pfields, params = read_head(conn)
        if job.get("chunked") == "1":
            launchpad_query.refuse("launchpad_query is not available in a chunked job "
                                   "(@r_rowsPerRead, partitions): the host is still sending its input")
            return _serve_chunks(conn, job, pfields, params)
        fields, frame = read_dataset(conn)
        launchpad_query.bind(conn)
        try:
            gc.enable()
            ns = run_script(job, params, frame)
            gc.disable()
        except ScriptFailed as failed:
            _send_error(conn, failed.info)
            return 1
        del frame
        total = _send_output(conn, job, ns, fields)
        send_out_params(conn, pfields, ns)
        _close_stdio()
        bxl.send_end(conn, total)
        return 0
    except BxlError as exc:
        _send_error(conn, bxl.error_info(exc))
        return 1


def _serve_chunks(conn, job, pfields, params):
    """Runs the script once per chunk of the input (launchpad_chunks)."""
    try:
        ns, total = run_chunks(conn, job, params)
    except ScriptFailed as failed:
        _send_error(conn, failed.info)
        return 1
    send_out_params(conn, pfields, ns)
    _close_stdio()
    bxl.send_end(conn, total)
    return 0


def _send_output(conn, job, ns, fields):
    """Sends the output data set when the script bound it; returns its row count."""
    out_name = job.get("output_name") or "OutputDataSet"
    out = ns.get(out_name)
    if out is None:
        return 0
    if not isinstance(out, pd.DataFrame):
        raise OutputError("%s must be a pandas DataFrame, got %s" % (out_name, type(out).__name__))
    return send_dataset(conn, out, hints=fields)


def _flush_stdio():
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # a script may have closed or replaced them
            pass


def _close_stdio():
    """Flushes, then points fds 1 and 2 at /dev/null: the launcher sees the
    output end, and the host answers the job without waiting for this
    process's exit (10-20 ms of unmapping pandas)."""
    _flush_stdio()
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        os.close(null)
    except OSError:
        pass  # the host then waits for the exit, as it always may


def _send_error(conn, info):
    _flush_stdio()
    bxl.send_error(conn, info)


def main():
    try:
        sock = socket.socket(fileno=3)
        # The script's child processes must not keep the data plane open.
        os.set_inheritable(sock.fileno(), False)
    except OSError as exc:
        print("launchpad runtime: fd 3 is not the data-plane socket: %s" % exc, file=sys.stderr)
        return 2
    conn = Conn(sock)
    try:
        try:
            return serve(conn)
        except PeerGone:
            raise
        except Exception as exc:
            _send_error(conn, {"kind": "internal", "type": type(exc).__name__, "message": str(exc),
                               "traceback": traceback.format_exc()})
            return 1
    except PeerGone as exc:
        print("launchpad runtime: %s" % exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    code = main()
    _flush_stdio()
    # os._exit: a script's leftover non-daemon threads must not keep the job alive.
    os._exit(code)
