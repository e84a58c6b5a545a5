"""PythonLite runtime: a Launchpad runtime in pure standard-library Python.

The launcher stages this file and the SDK's BXL codec (launchpad_bxl.py, Go
package sdk/bxl/pybxl) side by side and starts `python3 -I -B runtime.py`
with the data plane on file descriptor 3 (docs/bxl.md). The script sees the
input as a dict of column lists (None is NULL) and sets OutputDataSet to a
dict of column lists. Framing, types and checks are the codec's; this file
holds only the conversation and the output's type inference.

Exit status: 0 after END, 1 after ERROR was sent, 2 when the data plane failed.
"""

import datetime
import decimal
import os
import socket
import sys
import traceback
import uuid

# python3 -I leaves this file's folder off sys.path: add it for the codec
# only, so the user's script imports exactly what it would without it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
try:
    import launchpad_bxl as bxl
finally:
    sys.path.remove(_HERE)

BATCH_ROWS = 65536
OUT = bxl.FLAG_NULLABLE | bxl.FLAG_OUTPUT

# bool before int: bool is a subclass of int; datetime before date likewise.
_KINDS = ((bool, bxl.T_BOOL), (int, bxl.T_I64), (float, bxl.T_F64), (str, bxl.T_STR), (bytes, bxl.T_BIN),
          (uuid.UUID, bxl.T_UUID), (datetime.datetime, bxl.T_DT), (datetime.date, bxl.T_DATE),
          (datetime.time, bxl.T_TIME))


def infer(name, vals, input_fields):
    """The output column's field: the input column's type when the name is
    the same, else the type of its first non-NULL value (all NULL: string)."""
    for f in input_fields:
        if f.name == name:
            return bxl.Field(name, f.code, bxl.FLAG_NULLABLE, f.precision, f.scale)
    sample = next((v for v in vals if v is not None), None)
    if sample is None:
        return bxl.Field(name, bxl.T_STR)
    if isinstance(sample, decimal.Decimal):
        scale = max(-v.as_tuple().exponent for v in vals if v is not None)
        return bxl.Field(name, bxl.T_DEC, bxl.FLAG_NULLABLE, 38, max(scale, 0))
    for typ, code in _KINDS:
        if isinstance(sample, typ):
            if code == bxl.T_DT and sample.tzinfo is not None:
                code = bxl.T_DTO
            return bxl.Field(name, code)
    raise bxl.OutputError("column %r: values of type %s are not supported" % (name, type(sample).__name__), name)


def read_input(conn):
    """Reads HELLO..END; returns (job, param fields, params, input fields, {column: list})."""
    bxl.read_hello(conn)
    job = bxl.read_job(conn)
    pfields, params = bxl.read_params(conn)
    fields = bxl.read_schema(conn)
    data = {f.name: [] for f in fields}
    for _, cols in bxl.read_batches(conn, fields):
        for f, col in zip(fields, cols):
            data[f.name].extend(col)
    return job, pfields, params, fields, data


def write_output(conn, out, input_fields, pfields, ns):
    """Sends [SCHEMA BATCH*] PARAMS END; returns nothing, raises OutputError."""
    n = 0
    if out is not None:
        if not isinstance(out, dict) or len({len(v) for v in out.values()}) > 1:
            raise bxl.OutputError("OutputDataSet must be a dict of equally long column lists")
        cols = [list(v) for v in out.values()]
        fields = [infer(name, col, input_fields) for name, col in zip(out, cols)]
        n = len(cols[0]) if cols else 0
        # Encode everything before sending anything: an error is then a lone ERROR.
        batches = [bxl.encode_batch(fields, [c[a:a + BATCH_ROWS] for c in cols], min(BATCH_ROWS, n - a))
                   for a in range(0, n, BATCH_ROWS)]
        bxl.send_schema(conn, fields)
        for parts in batches:
            conn.send(bxl.F_BATCH, parts)
    outs = [bxl.Field(f.name, f.code, OUT, f.precision, f.scale) for f in pfields if f.output]
    bxl.send_params(conn, outs, [ns.get(f.name) for f in outs])
    bxl.send_end(conn, n)


def script_error(e):
    """The ERROR dictionary of the script's exception, its traceback cut to the script's frames."""
    frames = [fr for fr in traceback.extract_tb(e.__traceback__) if fr.filename == "<script>"]
    tb = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(type(e), e))
    err = {"kind": "script", "type": type(e).__name__, "message": str(e), "traceback": tb}
    if frames:
        err["line"] = str(frames[-1].lineno)
    return err


def serve(conn):
    """Runs one job; returns the exit status."""
    bxl.send_hello(conn)
    try:
        job, pfields, params, fields, data = read_input(conn)
        ns = dict(params)
        ns[job.get("input_name", "InputDataSet")] = data
        try:
            exec(compile(job["script"], "<script>", "exec"), ns)
        except Exception as e:
            sys.stdout.flush()
            bxl.send_error(conn, script_error(e))
            return 1
        sys.stdout.flush()
        write_output(conn, ns.get(job.get("output_name", "OutputDataSet")), fields, pfields, ns)
        return 0
    except bxl.BxlError as e:
        bxl.send_error(conn, bxl.error_info(e))
        return 1


def main():
    conn = bxl.Conn(socket.socket(fileno=3))
    try:
        return serve(conn)
    except bxl.PeerGone as e:
        print("pythonlite runtime: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
