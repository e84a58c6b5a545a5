"""Queries a script makes back to the instance during its job.

SQL Server scripts open a connection back to their instance with implied
authentication; here the script calls

    df = launchpad_query("SELECT id, amount FROM sales")

(predefined in its namespace; also `import launchpad_query` and
`launchpad_query.query(...)`). The query travels to the host over the data
plane (BXL QUERY, docs/bxl.md), which runs it with the caller's rights (the
grant's tables on the SQLite instance, EXECUTE AS the caller's login on SQL
Server), within the job's query limits. No credentials, no network. The
rows come back typed as the input data set's are (launchpad_frames_in). A
refused or failed query raises QueryError in the script, which may catch
it and go on.

Queries are available once the whole input was read, so not in a chunked
job (@r_rowsPerRead, partitions): there the host is still sending input.
"""

import threading

import launchpad_bxl as bxl
from launchpad_frames_in import read_rows

__all__ = ["QueryError", "query", "launchpad_query"]


class QueryError(Exception):
    """A query the host refused (permission, limits) or that failed."""


# The data plane once the input was read; None before, and in chunked jobs.
_conn = None
# One query at a time: a script's threads must not interleave frames.
_lock = threading.Lock()
_why_not = "launchpad_query is only available inside a Launchpad job"


def bind(conn):
    """Lets the script query over conn (its input's END was read)."""
    global _conn
    _conn = conn


def refuse(why):
    """Makes launchpad_query raise QueryError(why) (chunked jobs)."""
    global _conn, _why_not
    _conn, _why_not = None, why


def query(text):
    """Runs text on the instance with the caller's rights; returns a pandas DataFrame."""
    if not isinstance(text, str):
        raise TypeError("launchpad_query takes the query as a str, got %s" % type(text).__name__)
    if _conn is None:
        raise QueryError(_why_not)
    with _lock:
        return _ask(text)


launchpad_query = query


def _ask(text):
    try:
        bxl.send_query(_conn, text)
    except bxl.OutputError as exc:
        raise QueryError(str(exc)) from None
    ftype, payload = _conn.read_frame()
    if ftype == bxl.F_ERROR:
        raise QueryError(_message(payload))
    bxl.expect(_conn, ftype, bxl.F_SCHEMA)
    r = bxl.Reader(payload, what="frame %d (SCHEMA)" % _conn.frames_in)
    fields = bxl.parse_schema(r)
    r.done()
    return read_rows(_conn, fields, on_error=lambda p: QueryError(_message(p)))


def _message(payload):
    info = bxl.parse_dict(payload, "query answer (ERROR)")
    return info.get("message") or "query failed"
