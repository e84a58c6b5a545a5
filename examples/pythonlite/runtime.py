"""PythonLite runtime: a Launchpad runtime in pure standard-library Python.

The launcher starts `python3 -I -B runtime.py` with the BXL data plane on file
descriptor 3 (docs/bxl.md). The script sees the input as a dict of column
lists (None is NULL) and sets OutputDataSet to a dict of column lists.
"""

import datetime
import decimal
import os
import socket
import struct
import sys
import traceback
import uuid

HELLO, JOB, PARAMS, SCHEMA, BATCH, END, ERROR = range(7)
(BOOL, INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, DECIMAL, STRING, BINARY,
 DATE, TIME, DATETIME, DATETIMEOFFSET, UUID) = range(1, 16)
FIXED = {INT8: "b", INT16: "h", INT32: "i", INT64: "q", FLOAT32: "f", FLOAT64: "d",
         DATE: "i", TIME: "q", DATETIME: "q"}
EPOCH = datetime.datetime(1970, 1, 1)
EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
EPOCH_DATE = datetime.date(1970, 1, 1)
US = datetime.timedelta(microseconds=1)


class Field:
    def __init__(self, name, typ, nullable=True, output=False, precision=0, scale=0):
        self.name, self.type, self.nullable, self.output = name, typ, nullable, output
        self.precision, self.scale = precision, scale


class OutputError(Exception):
    """The output data set or an OUTPUT param cannot be encoded."""


# ---- framing -----------------------------------------------------------------

class Conn:
    def __init__(self, fd):
        self.sock = socket.socket(fileno=fd)
        self.rfile = self.sock.makefile("rb")

    def read(self):
        head = self.rfile.read(5)
        if len(head) < 5:
            raise EOFError("data plane closed")
        length, ftype = struct.unpack("<IB", head)
        payload = self.rfile.read(length)
        if len(payload) < length:
            raise EOFError("data plane closed mid-frame")
        return ftype, payload

    def write(self, ftype, payload):
        self.sock.sendall(struct.pack("<IB", len(payload), ftype) + payload)


class Reader:
    def __init__(self, buf, pos=0):
        self.buf, self.pos = buf, pos

    def take(self, fmt):
        vals = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return vals

    def string(self):
        (n,) = self.take("<I")
        self.pos += n
        return bytes(self.buf[self.pos - n:self.pos]).decode("utf-8")


def pack_string(s):
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


def decode_dict(buf):
    r = Reader(buf)
    (n,) = r.take("<I")
    return dict((r.string(), r.string()) for _ in range(n))


def encode_dict(d):
    return struct.pack("<I", len(d)) + b"".join(pack_string(k) + pack_string(str(v)) for k, v in d.items())


def decode_schema(r):
    (n,) = r.take("<I")
    fields = []
    for _ in range(n):
        name = r.string()
        typ, flags, precision, scale = r.take("<BBBB")
        fields.append(Field(name, typ, bool(flags & 1), bool(flags & 2), precision, scale))
    return fields


def encode_schema(fields):
    out = struct.pack("<I", len(fields))
    for f in fields:
        flags = (1 if f.nullable else 0) | (2 if f.output else 0)
        out += pack_string(f.name) + struct.pack("<BBBB", f.type, flags, f.precision, f.scale)
    return out


def pad8(n):
    return (8 - n % 8) % 8


# ---- record batches: bytes <-> lists of Python values -------------------------

def bits(buf, n):
    return [bool(buf[i >> 3] >> (i & 7) & 1) for i in range(n)]


def pack_bits(flags):
    out = bytearray((len(flags) + 7) // 8)
    for i, on in enumerate(flags):
        if on:
            out[i >> 3] |= 1 << (i & 7)
    return bytes(out)


def decode_column(f, n, bufs):
    valid = bits(bufs[0], n) if len(bufs[0]) else [True] * n
    t = f.type
    if t == BOOL:
        vals = bits(bufs[1], n)
    elif t in FIXED:
        vals = list(struct.unpack("<%d%s" % (n, FIXED[t]), bufs[1]))
        if t == DATE:
            vals = [EPOCH_DATE + datetime.timedelta(days=v) for v in vals]
        elif t == TIME:
            vals = [(datetime.datetime.min + v * US).time() for v in vals]
        elif t == DATETIME:
            vals = [EPOCH + v * US for v in vals]
    elif t == DECIMAL:
        vals = [decimal.Decimal("%de-%d" % (int.from_bytes(bufs[1][16 * i:16 * i + 16], "little", signed=True), f.scale))
                for i in range(n)]
    elif t in (STRING, BINARY):
        offs = struct.unpack("<%di" % (n + 1), bufs[1]) if n else (0,)
        data = bytes(bufs[2])
        vals = [data[offs[i]:offs[i + 1]] for i in range(n)]
        if t == STRING:
            vals = [v.decode("utf-8") for v in vals]
    elif t == DATETIMEOFFSET:
        us = struct.unpack("<%dq" % n, bufs[1])
        mins = struct.unpack("<%dh" % n, bufs[2])
        vals = [(EPOCH_UTC + u * US).astimezone(datetime.timezone(datetime.timedelta(minutes=m)))
                for u, m in zip(us, mins)]
    elif t == UUID:
        vals = [uuid.UUID(bytes=bytes(bufs[1][16 * i:16 * i + 16])) for i in range(n)]
    else:
        raise ValueError("unknown BXL type %d" % t)
    return [v if ok else None for v, ok in zip(vals, valid)]


NBUFS = {BOOL: 1, STRING: 2, BINARY: 2, DATETIMEOFFSET: 2}


def decode_batch(buf, fields, pos=0):
    r = Reader(buf, pos)
    n, count = r.take("<II")
    spans = [r.take("<QQ") for _ in range(count)]
    bufs = [memoryview(buf)[pos + o:pos + o + ln] for o, ln in spans]
    cols, i = [], 0
    for f in fields:
        k = 1 + NBUFS.get(f.type, 1)
        cols.append(decode_column(f, n, bufs[i:i + k]))
        i += k
    return n, cols


def encode_column(f, vals):
    """Returns the column's buffers; raises OutputError for a value that does not fit."""
    n = len(vals)
    nulls = [v is None for v in vals]
    validity = pack_bits([not x for x in nulls]) if any(nulls) else b""
    t = f.type
    try:
        if t == BOOL:
            return [validity, pack_bits([bool(v) for v in vals])]
        if t == DATE:
            vals = [0 if v is None else (v - EPOCH_DATE).days for v in vals]
        elif t == TIME:
            vals = [0 if v is None else ((v.hour * 60 + v.minute) * 60 + v.second) * 1000000 + v.microsecond for v in vals]
        elif t == DATETIME:
            vals = [0 if v is None else (v - EPOCH) // US for v in vals]
        if t in FIXED:
            zero = 0.0 if t in (FLOAT32, FLOAT64) else 0
            return [validity, struct.pack("<%d%s" % (n, FIXED[t]), *[zero if v is None else v for v in vals])]
        if t == DECIMAL:
            out = b""
            for v in vals:
                u = 0 if v is None else decimal.Decimal(v).scaleb(f.scale, decimal.Context(prec=60))
                if u != int(u):
                    raise OutputError("column %r: %s has more than %d decimal places" % (f.name, v, f.scale))
                out += (int(u) & (1 << 128) - 1).to_bytes(16, "little")
            return [validity, out]
        if t in (STRING, BINARY):
            data = [b"" if v is None else (v.encode("utf-8") if t == STRING else bytes(v)) for v in vals]
            offs = [0]
            for d in data:
                offs.append(offs[-1] + len(d))
            return [validity, struct.pack("<%di" % (n + 1), *offs), b"".join(data)]
        if t == DATETIMEOFFSET:
            us = [0 if v is None else (v - EPOCH_UTC) // US for v in vals]
            mins = [0 if v is None else v.utcoffset() // datetime.timedelta(minutes=1) for v in vals]
            return [validity, struct.pack("<%dq" % n, *us), struct.pack("<%dh" % n, *mins)]
        if t == UUID:
            return [validity, b"".join(b"\0" * 16 if v is None else v.bytes for v in vals)]
    except (TypeError, AttributeError, struct.error, decimal.InvalidOperation) as e:
        raise OutputError("column %r: cannot encode as BXL type %d: %s" % (f.name, t, e))
    raise OutputError("column %r: unknown BXL type %d" % (f.name, t))


def encode_batch(fields, cols, n):
    bufs = [b for f, c in zip(fields, cols) for b in encode_column(f, c)]
    head = 8 + 16 * len(bufs)
    pos = head + pad8(head)
    spans, body = [], b""
    for b in bufs:
        spans.append(struct.pack("<QQ", pos + len(body), len(b)))
        body += b + b"\0" * pad8(len(b))
    out = struct.pack("<II", n, len(bufs)) + b"".join(spans)
    return out + b"\0" * pad8(len(out)) + body


# ---- output types: a column keeps the input column's type, else it is inferred ----

def infer(name, vals, input_fields):
    for f in input_fields:
        if f.name == name:
            return Field(name, f.type, True, False, f.precision, f.scale)
    sample = next((v for v in vals if v is not None), None)
    # bool before int: bool is a subclass of int.
    for typ, t in ((bool, BOOL), (int, INT64), (float, FLOAT64), (str, STRING), (bytes, BINARY),
                   (uuid.UUID, UUID), (datetime.datetime, DATETIME), (datetime.date, DATE), (datetime.time, TIME)):
        if isinstance(sample, typ):
            if t == DATETIME and sample.tzinfo is not None:
                t = DATETIMEOFFSET
            return Field(name, t)
    if isinstance(sample, decimal.Decimal):
        scale = max(-v.as_tuple().exponent for v in vals if v is not None)
        return Field(name, DECIMAL, True, False, 38, max(scale, 0))
    if sample is None:
        return Field(name, STRING)
    raise OutputError("column %r: values of type %s are not supported" % (name, type(sample).__name__))


# ---- the conversation --------------------------------------------------------

def read_input(conn):
    ftype, payload = conn.read()
    if ftype != HELLO or payload[:4] != b"BXL1" or struct.unpack_from("<H", payload, 4)[0] != 1:
        raise ValueError("expected HELLO BXL1 v1")
    ftype, payload = conn.read()
    job = decode_dict(payload)
    ftype, payload = conn.read()
    r = Reader(payload)
    (slen,) = r.take("<I")
    pfields = decode_schema(r)
    start = 4 + slen
    _, pcols = decode_batch(payload, pfields, start + pad8(start)) if pfields else (0, [])
    params = {f.name: c[0] for f, c in zip(pfields, pcols)}
    ftype, payload = conn.read()
    fields = decode_schema(Reader(payload))
    data = {f.name: [] for f in fields}
    while True:
        ftype, payload = conn.read()
        if ftype == END:
            return job, pfields, params, fields, data
        _, cols = decode_batch(payload, fields)
        for f, c in zip(fields, cols):
            data[f.name].extend(c)


def write_output(conn, out, input_fields, pfields, ns):
    if out is not None:
        if not isinstance(out, dict) or len({len(v) for v in out.values()}) > 1:
            raise OutputError("OutputDataSet must be a dict of equally long column lists")
        fields = [infer(name, list(vals), input_fields) for name, vals in out.items()]
        cols = [list(v) for v in out.values()]
        n = len(cols[0]) if cols else 0
        batches = [encode_batch(fields, [c[i:i + 65536] for c in cols], min(65536, n - i)) for i in range(0, n, 65536)]
        conn.write(SCHEMA, encode_schema(fields))
        for b in batches:
            conn.write(BATCH, b)
    else:
        n = 0
    outs = [Field(f.name, f.type, True, True, f.precision, f.scale) for f in pfields if f.output]
    schema = encode_schema(outs)
    block = struct.pack("<I", len(schema)) + schema
    block += b"\0" * pad8(len(block))
    block += encode_batch(outs, [[ns.get(f.name)] for f in outs], 1 if outs else 0)
    conn.write(PARAMS, block)
    conn.write(END, struct.pack("<Q", n))


def script_error(e):
    frames = [fr for fr in traceback.extract_tb(e.__traceback__) if fr.filename == "<script>"]
    tb = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(type(e), e))
    err = {"kind": "script", "type": type(e).__name__, "message": str(e), "traceback": tb}
    if frames:
        err["line"] = frames[-1].lineno
    return err


def main():
    conn = Conn(3)
    conn.write(HELLO, b"BXL1" + struct.pack("<HH", 1, 0))
    job, pfields, params, fields, data = read_input(conn)
    ns = dict(params)
    ns[job.get("input_name", "InputDataSet")] = data
    out_name = job.get("output_name", "OutputDataSet")
    try:
        exec(compile(job["script"], "<script>", "exec"), ns)
    except Exception as e:
        sys.stdout.flush()
        conn.write(ERROR, encode_dict(script_error(e)))
        return 1
    sys.stdout.flush()
    try:
        write_output(conn, ns.get(out_name), fields, pfields, ns)
    except OutputError as e:
        conn.write(ERROR, encode_dict({"kind": "output", "type": "OutputError", "message": str(e)}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
