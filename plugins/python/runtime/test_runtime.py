"""Tests for launchpad_runtime.py: the real runtime as a subprocess over a real socketpair.

The BXL encoder/decoder here is written separately from the runtime's (plain struct,
one value at a time) so the two check each other against docs/bxl.md.

Run:  /usr/bin/python3 -m unittest discover -s plugins/python/runtime -v
Benchmarks (slow, print figures): LAUNCHPAD_BENCH=1 with the same command.
"""

import datetime
import decimal
import math
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = os.path.join(HERE, "launchpad_runtime.py")
PYTHON = "/usr/bin/python3"

HELLO, JOB, PARAMS, SCHEMA, BATCH, END, ERROR = range(7)
CODES = {"bool": 1, "int8": 2, "int16": 3, "int32": 4, "int64": 5, "float32": 6, "float64": 7,
         "decimal": 8, "string": 9, "binary": 10, "date": 11, "time": 12, "datetime": 13,
         "datetimeoffset": 14, "uuid": 15}
NAMES = {v: k for k, v in CODES.items()}
FIXED = {"int8": "b", "int16": "h", "int32": "i", "int64": "q", "float32": "f", "float64": "d",
         "date": "i", "time": "q", "datetime": "q"}
EPOCH = datetime.datetime(1970, 1, 1)
EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
US = datetime.timedelta(microseconds=1)
DEC = decimal.Context(prec=100)


class Fld:
    def __init__(self, name, typ, nullable=True, output=False, precision=0, scale=0):
        self.name, self.typ, self.nullable, self.output = name, typ, nullable, output
        self.precision, self.scale = precision, scale

    def __repr__(self):
        return "Fld(%r, %r, p=%d, s=%d)" % (self.name, self.typ, self.precision, self.scale)


# ------------------------------------------------------------ test-side BXL codec


def frame(ftype, payload):
    return struct.pack("<IB", len(payload), ftype) + payload


def hello(major=1, minor=0):
    return frame(HELLO, b"BXL1" + struct.pack("<HH", major, minor))


def enc_string(s):
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


def enc_dict(d):
    return struct.pack("<I", len(d)) + b"".join(enc_string(k) + enc_string(v) for k, v in d.items())


def enc_schema(fields):
    out = struct.pack("<I", len(fields))
    for f in fields:
        flags = (1 if f.nullable else 0) | (2 if f.output else 0)
        out += enc_string(f.name) + struct.pack("<BBBB", CODES[f.typ], flags, f.precision, f.scale)
    return out


def bitmap(bits):
    out = bytearray((len(bits) + 7) // 8)
    for i, b in enumerate(bits):
        if b:
            out[i // 8] |= 1 << (i % 8)
    return bytes(out)


def enc_column(f, values):
    """Buffers (validity first) of one column; values is a list (None = NULL) or a numpy array."""
    if isinstance(values, np.ndarray):
        return [b"", values.astype("<" + FIXED[f.typ]).tobytes()]
    n = len(values)
    nulls = [v is None for v in values]
    validity = bitmap([not z for z in nulls]) if any(nulls) else b""
    t = f.typ
    if t == "bool":
        return [validity, bitmap([bool(v) for v in values])]
    if t in FIXED:
        conv = {"date": lambda d: (d - datetime.date(1970, 1, 1)).days,
                "time": lambda x: ((x.hour * 60 + x.minute) * 60 + x.second) * 10**6 + x.microsecond,
                "datetime": lambda d: (d - EPOCH) // US}.get(t, lambda v: v)
        return [validity, struct.pack("<%d%s" % (n, FIXED[t]),
                                      *[0 if v is None else conv(v) for v in values])]
    if t == "decimal":
        return [validity, b"".join(
            (0 if v is None else int(v.scaleb(f.scale, DEC))).to_bytes(16, "little", signed=True)
            for v in values)]
    if t in ("string", "binary"):
        datas = [b"" if v is None else (v.encode("utf-8") if t == "string" else v) for v in values]
        offs, pos = [0], 0
        for d in datas:
            pos += len(d)
            offs.append(pos)
        return [validity, struct.pack("<%di" % (n + 1), *offs), b"".join(datas)]
    if t == "datetimeoffset":
        us = [0 if v is None else (v - EPOCH_UTC) // US for v in values]
        zones = [0 if v is None else int(v.utcoffset().total_seconds() // 60) for v in values]
        return [validity, struct.pack("<%dq" % n, *us), struct.pack("<%dh" % n, *zones)]
    if t == "uuid":
        return [validity, b"".join(bytes(16) if v is None else v.bytes for v in values)]
    raise ValueError(t)


def enc_batch(fields, columns, n=None):
    if n is None:
        n = len(columns[0]) if columns else 0
    bufs = []
    for f, col in zip(fields, columns):
        bufs.extend(enc_column(f, col))
    head = 8 + 16 * len(bufs)
    pos = head + (-head & 7)
    spans, body = [], []
    for b in bufs:
        spans.append((pos, len(b)))
        body.append(b + bytes(-len(b) & 7))
        pos += len(b) + (-len(b) & 7)
    out = struct.pack("<II", n, len(bufs)) + b"".join(struct.pack("<QQ", o, ln) for o, ln in spans)
    return out + bytes(-len(out) & 7) + b"".join(body)


def enc_params(fields, values):
    schema = enc_schema(fields)
    head = struct.pack("<I", len(schema)) + schema
    head += bytes(-len(head) & 7)
    return head + enc_batch(fields, [[v] for v in values], 1 if fields else 0)


def parse_schema(buf, pos):
    (count,), pos = struct.unpack_from("<I", buf, pos), pos + 4
    fields = []
    for _ in range(count):
        (ln,) = struct.unpack_from("<I", buf, pos)
        name = bytes(buf[pos + 4:pos + 4 + ln]).decode()
        pos += 4 + ln
        code, flags, p, s = struct.unpack_from("<BBBB", buf, pos)
        pos += 4
        fields.append(Fld(name, NAMES[code], bool(flags & 1), bool(flags & 2), p, s))
    return fields, pos


def getbit(buf, i):
    return (buf[i // 8] >> (i % 8)) & 1


def dec_batch(tc, buf, start, fields):
    """Decodes a record batch, asserting the writer rules of docs/bxl.md."""
    n, nbuf = struct.unpack_from("<II", buf, start)
    spans = [struct.unpack_from("<QQ", buf, start + 8 + 16 * i) for i in range(nbuf)]
    tc.assertEqual(nbuf, sum(3 if f.typ in ("string", "binary", "datetimeoffset") else 2
                             for f in fields))
    for off, ln in spans:
        tc.assertEqual(off % 8, 0, "buffer offset not aligned")
        tc.assertLessEqual(start + off + ln, len(buf), "buffer outside payload")
    live = sorted((o, ln) for o, ln in spans if ln)
    for (o1, l1), (o2, _) in zip(live, live[1:]):
        tc.assertLessEqual(o1 + l1, o2, "buffers overlap")

    def raw(i):
        off, ln = spans[i]
        return bytes(buf[start + off:start + off + ln])

    cols, k = [], 0
    for f in fields:
        validity = raw(k)
        tc.assertIn(len(validity), (0, (n + 7) // 8))
        valid = [True] * n if not validity else [bool(getbit(validity, i)) for i in range(n)]
        t = f.typ
        if t == "bool":
            vb = raw(k + 1)
            tc.assertEqual(len(vb), (n + 7) // 8)
            vals = [bool(getbit(vb, i)) for i in range(n)]
        elif t in FIXED:
            b = raw(k + 1)
            tc.assertEqual(len(b), n * struct.calcsize(FIXED[t]))
            vals = list(struct.unpack("<%d%s" % (n, FIXED[t]), b))
            if t == "date":
                vals = [datetime.date(1970, 1, 1) + datetime.timedelta(days=v) for v in vals]
            elif t == "time":
                vals = [(EPOCH + v * US).time() for v in vals]
            elif t == "datetime":
                vals = [EPOCH + v * US for v in vals]
        elif t == "decimal":
            b = raw(k + 1)
            tc.assertEqual(len(b), 16 * n)
            vals = [decimal.Decimal(int.from_bytes(b[i:i + 16], "little", signed=True)).scaleb(-f.scale, DEC)
                    for i in range(0, 16 * n, 16)]
        elif t in ("string", "binary"):
            ob, data = raw(k + 1), raw(k + 2)
            tc.assertEqual(len(ob), 4 * (n + 1))
            offs = struct.unpack("<%di" % (n + 1), ob)
            tc.assertEqual(offs[0], 0)
            tc.assertEqual(offs[-1], len(data))
            vals = [data[a:b] for a, b in zip(offs, offs[1:])]
            if t == "string":
                vals = [v.decode("utf-8") for v in vals]
        elif t == "datetimeoffset":
            us = struct.unpack("<%dq" % n, raw(k + 1))
            zones = struct.unpack("<%dh" % n, raw(k + 2))
            vals = [(EPOCH_UTC + u * US).astimezone(datetime.timezone(datetime.timedelta(minutes=z)))
                    for u, z in zip(us, zones)]
        elif t == "uuid":
            b = raw(k + 1)
            vals = [uuid.UUID(bytes=b[i:i + 16]) for i in range(0, 16 * n, 16)]
        k += 3 if t in ("string", "binary", "datetimeoffset") else 2
        if not all(valid):
            tc.assertTrue(f.nullable, "NULLs in non-nullable field %s" % f.name)
        cols.append([v if ok else None for v, ok in zip(vals, valid)])
    return n, cols


class Result:
    def __init__(self):
        self.schema = None
        self.columns = None
        self.batches = 0
        self.batch_sizes = []
        self.params = None
        self.param_fields = None
        self.end = None
        self.error = None
        self.order = []


def parse_output(tc, frames):
    res = Result()
    tc.assertTrue(frames, "runtime sent nothing")
    ftype, payload = frames[0]
    tc.assertEqual(ftype, HELLO)
    tc.assertEqual(payload, b"BXL1" + struct.pack("<HH", 1, 1))
    rows = 0
    for i, (ftype, payload) in enumerate(frames[1:], 1):
        res.order.append(ftype)
        tc.assertIsNone(res.end, "frame after END")
        tc.assertIsNone(res.error, "frame after ERROR")
        if ftype == SCHEMA:
            tc.assertIsNone(res.schema)
            res.schema, pos = parse_schema(payload, 0)
            tc.assertEqual(pos, len(payload))
            res.columns = [[] for _ in res.schema]
        elif ftype == BATCH:
            n, cols = dec_batch(tc, payload, 0, res.schema)
            res.batches += 1
            res.batch_sizes.append(len(payload))
            rows += n
            for acc, col in zip(res.columns, cols):
                acc.extend(col)
        elif ftype == PARAMS:
            (slen,) = struct.unpack_from("<I", payload)
            fields, pos = parse_schema(payload, 4)
            tc.assertEqual(pos, 4 + slen)
            pos += -pos & 7
            n, cols = dec_batch(tc, payload, pos, fields)
            tc.assertEqual(n, 1 if fields else 0)
            res.param_fields = fields
            res.params = {f.name: c[0] for f, c in zip(fields, cols)}
        elif ftype == END:
            (res.end,) = struct.unpack("<Q", payload)
            tc.assertEqual(res.end, rows, "END row count != batch rows")
        elif ftype == ERROR:
            (count,) = struct.unpack_from("<I", payload)
            pos, d = 4, {}
            for _ in range(count):
                kv = []
                for _ in range(2):
                    (ln,) = struct.unpack_from("<I", payload, pos)
                    kv.append(payload[pos + 4:pos + 4 + ln].decode())
                    pos += 4 + ln
                d[kv[0]] = kv[1]
            res.error = d
        else:
            tc.fail("unexpected frame type %d" % ftype)
    return res


def recv_exact(sock, n):
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            return None
        got += k
    return buf


class Run:
    """One runtime process: its output frames, exit status, stdout/stderr, wall time."""

    def __init__(self, frames, code, stdout, stderr, elapsed):
        self.frames, self.code = frames, code
        self.stdout, self.stderr, self.elapsed = stdout, stderr, elapsed


def run_runtime(tc, input_bytes, close_after=None, timeout=120):
    """Runs the runtime with fd 3 = one end of a socketpair; writes input_bytes concurrently."""
    host, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    work = tempfile.TemporaryDirectory()
    tc.addCleanup(work.cleanup)
    out_path, err_path = os.path.join(work.name, "out"), os.path.join(work.name, "err")
    cfd = child.fileno()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        # The runtime needs the socket at fd 3. pass_fds cannot move an fd, and subprocess
        # closes unlisted fds after preexec_fn, so dup2 in the child with close_fds=False:
        # Python's own fds are non-inheritable (PEP 446), so nothing else leaks.
        proc = subprocess.Popen([PYTHON, "-I", "-B", RUNTIME], cwd=work.name, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, close_fds=False,
                                preexec_fn=lambda: os.dup2(cfd, 3))
    child.close()
    tc.addCleanup(lambda: proc.poll() is None and proc.kill())

    def write():
        try:
            data = memoryview(input_bytes)
            if close_after is not None:
                data = data[:close_after]
            host.sendall(data)
            if close_after is not None:
                host.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # the runtime may stop reading after an early ERROR

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    host.settimeout(timeout)
    frames = []
    try:
        while True:
            hdr = recv_exact(host, 5)
            if hdr is None:
                break
            length, ftype = struct.unpack("<IB", hdr)
            payload = recv_exact(host, length) if length else bytearray()
            frames.append((ftype, payload))
            if ftype in (END, ERROR):
                break
    except OSError:
        pass
    elapsed = time.perf_counter() - start
    code = proc.wait(timeout=timeout)
    writer.join(timeout)
    host.close()
    with open(out_path, "rb") as f:
        stdout = f.read().decode()
    with open(err_path, "rb") as f:
        stderr = f.read().decode()
    return Run(frames, code, stdout, stderr, elapsed)


def job_input(script, fields=(), batches=(), params=(), param_values=(), job_extra=None, rows=None):
    """Encodes a full host stream: HELLO JOB PARAMS SCHEMA BATCH* END."""
    job = {"job_id": "j1", "language": "Python", "script": script,
           "input_name": "InputDataSet", "output_name": "OutputDataSet"}
    job.update(job_extra or {})
    parts = [hello(), frame(JOB, enc_dict(job)), frame(PARAMS, enc_params(list(params), list(param_values))),
             frame(SCHEMA, enc_schema(list(fields)))]
    total = 0
    for cols in batches:
        n = len(cols[0]) if cols else 0
        total += n
        parts.append(frame(BATCH, enc_batch(list(fields), cols, n)))
    parts.append(frame(END, struct.pack("<Q", total if rows is None else rows)))
    return b"".join(parts)


def run_job(tc, script, **kw):
    run = run_runtime(tc, job_input(script, **kw))
    res = parse_output(tc, run.frames)
    res.run = run
    return res


# ------------------------------------------------------------ tests

TZ545 = datetime.timezone(datetime.timedelta(hours=5, minutes=45))
TZM8 = datetime.timezone(datetime.timedelta(hours=-8))
U1 = uuid.UUID("12345678-1234-5678-9abc-def012345678")

ALL_TYPES = [
    (Fld("b", "bool"), [True, None, False]),
    (Fld("i8", "int8"), [-128, None, 127]),
    (Fld("i16", "int16"), [-32768, 7, None]),
    (Fld("i32", "int32"), [None, -(2**31), 2**31 - 1]),
    (Fld("i64", "int64"), [2**53 + 1, None, -(2**63)]),
    (Fld("f32", "float32"), [1.5, None, -0.25]),
    (Fld("f64", "float64"), [math.pi, None, 1e300]),
    (Fld("dec", "decimal", precision=38, scale=4),
     [decimal.Decimal("12345678901234567890123456789012.3456"), None, decimal.Decimal("-0.0001")]),
    (Fld("s", "string"), ["héllo ✓ 世界", None, ""]),
    (Fld("bin", "binary"), [b"\x00\xff", b"", None]),
    (Fld("d", "date"), [datetime.date(1969, 7, 20), None, datetime.date(1, 1, 1)]),
    (Fld("t", "time"), [datetime.time(0, 0), datetime.time(23, 59, 59, 999999), None]),
    (Fld("dt", "datetime"), [datetime.datetime(1950, 1, 2, 3, 4, 5, 6), None,
                             datetime.datetime(2262, 4, 11)]),
    (Fld("dto", "datetimeoffset"), [datetime.datetime(2024, 2, 29, 23, 30, tzinfo=TZ545), None,
                                    datetime.datetime(1900, 1, 1, tzinfo=TZM8)]),
    (Fld("u", "uuid"), [U1, None, uuid.UUID(int=0)]),
]

EXPECTED_IN_DTYPES = {
    "b": "boolean", "i8": "float64", "i16": "float64", "i32": "float64", "i64": "Int64", "f32": "float32",
    "f64": "float64", "dec": "object", "s": "object", "bin": "object", "d": "object", "t": "object",
    "dt": "datetime64[ns]", "dto": "object", "u": "object",
}


class RuntimeTest(unittest.TestCase):
    def assertSameValues(self, got, want, where):
        self.assertEqual(len(got), len(want), where)
        for i, (g, w) in enumerate(zip(got, want)):
            if isinstance(w, float) and isinstance(g, float):
                if math.isnan(w):
                    self.assertTrue(math.isnan(g), "%s row %d: %r" % (where, i, g))
                    continue
            self.assertEqual(g, w, "%s row %d" % (where, i))
            if isinstance(w, datetime.datetime) and w.tzinfo is not None:
                self.assertEqual(g.utcoffset(), w.utcoffset(), "%s row %d offset" % (where, i))

    def test_Runtime_IdentityKeepsEveryTypeWithNulls(self):
        fields = [f for f, _ in ALL_TYPES]
        cols = [v for _, v in ALL_TYPES]
        script = (
            "import pandas as pd, decimal, datetime, uuid\n"
            "df = InputDataSet\n"
            "assert {c: str(t) for c, t in df.dtypes.items()} == %r, df.dtypes\n"
            "assert df['i64'][0] == 2**53 + 1 and type(df['i64'][0]).__name__ == 'int64'\n"
            "assert df['s'][1] is None and df['s'][2] == ''\n"
            "assert type(df['d'][0]) is datetime.date and df['dec'][1] is None\n"
            "assert df['dto'][0].utcoffset() == datetime.timedelta(hours=5, minutes=45)\n"
            "assert isinstance(df['u'][0], uuid.UUID) and pd.isna(df['f64'][1])\n"
            "print('rows', len(df))\n"
            "OutputDataSet = df\n" % EXPECTED_IN_DTYPES)
        res = run_job(self, script, fields=fields, batches=[cols])
        self.assertIsNone(res.error, res.error)
        self.assertEqual(res.run.code, 0)
        self.assertIn("rows 3", res.run.stdout)
        self.assertEqual([f.name for f in res.schema], [f.name for f in fields])
        want_types = [f.typ for f in fields]
        self.assertEqual([f.typ for f in res.schema], want_types)
        self.assertEqual((res.schema[7].precision, res.schema[7].scale), (38, 4))
        for f, want, got in zip(fields, cols, res.columns):
            self.assertSameValues(got, want, f.name)
        self.assertEqual(res.end, 3)
        self.assertEqual(res.params, {})

    def test_Runtime_ConcatenatesBatchesAndKeepsNonNullableTypes(self):
        fields = [Fld("id", "int64", nullable=False), Fld("ok", "bool", nullable=False),
                  Fld("x", "float64", nullable=False), Fld("name", "string")]
        b1 = [[1, 2], [True, False], [0.5, float("nan")], ["a", None]]
        b2 = [[3, 4, 5], [False, False, True], [1.0, 2.0, 3.0], ["ü", "", "nul\x00inside"]]
        script = ("assert str(InputDataSet['id'].dtype) == 'int64', InputDataSet.dtypes\n"
                  "assert str(InputDataSet['ok'].dtype) == 'bool'\n"
                  "OutputDataSet = InputDataSet\n")
        res = run_job(self, script, fields=fields, batches=[b1, b2, [[], [], [], []]])
        self.assertIsNone(res.error, res.error)
        self.assertEqual([(f.typ, f.nullable) for f in res.schema],
                         [("int64", False), ("bool", False), ("float64", True), ("string", True)])
        self.assertEqual(res.columns[0], [1, 2, 3, 4, 5])
        self.assertEqual(res.columns[1], [True, False, False, False, True])
        # NaN from a non-nullable float column leaves as NULL (SQL has no NaN).
        self.assertEqual(res.columns[2], [0.5, None, 1.0, 2.0, 3.0])
        self.assertEqual(res.columns[3], ["a", None, "ü", "", "nul\x00inside"])

    def test_Runtime_StringAndBinaryValuesSurviveEverySplitPath(self):
        # The runtime builds str/bytes objects by splitting on a separator byte
        # the data lacks; each case forces another separator or the fallback.
        every_ascii = "".join(map(chr, range(128)))
        cases = {
            "fixed_width": ("string", ["abcd", "efgh", "ijkl", "mnop"]),
            "varying_with_empty": ("string", ["", "a", "", "bcd", ""]),
            "nul_inside": ("string", ["a\x00b", "\x00", "c", ""]),
            "non_ascii": ("string", ["\u00fc\u00e9", "\U0001f600x", "\x00\u4e2d", ""]),
            "every_ascii_byte": ("string", [every_ascii, "x", "\u00e9" + every_ascii]),
            "fixed_width_nul": ("string", ["\x00\x01", "\x01\x00", "ab"]),
            "single_value": ("string", ["only"]),
            "binary_fixed": ("binary", [b"\x00\x01", b"\xff\x00", b"ab"]),
            "binary_every_byte": ("binary", [bytes(range(256)), b"", b"\x00", bytes(range(255, -1, -1))]),
            "binary_varying": ("binary", [b"", b"\x00\x00", b"\xff", b"", b"z"]),
        }
        for name, (typ, vals) in cases.items():
            with self.subTest(name):
                want = vals + [None] + vals[::-1]
                fields = [Fld("v", typ)]
                script = ("vals = InputDataSet['v'].tolist()\n"
                          "assert vals == %r, vals\n"
                          "OutputDataSet = InputDataSet\n" % (want,))
                res = run_job(self, script, fields=fields, batches=[[vals + [None]], [vals[::-1]]])
                self.assertIsNone(res.error, res.error)
                self.assertEqual(res.columns[0], want)

    def test_Runtime_RejectsUTF8SplitAcrossValues(self):
        # "\xc3" + "\xa9" is valid UTF-8 only when the two values are read as one.
        batch = enc_batch([Fld("s", "binary")], [[b"a\xc3", b"\xa9b"]])  # same layout as string
        data = (hello() + frame(JOB, enc_dict({"script": "pass"})) + frame(PARAMS, enc_params([], []))
                + frame(SCHEMA, enc_schema([Fld("s", "string")])) + frame(BATCH, batch)
                + frame(END, struct.pack("<Q", 2)))
        res = parse_output(self, run_runtime(self, data).frames)
        self.assertIsNotNone(res.error)
        self.assertEqual(res.error["kind"], "input", res.error)
        self.assertEqual(res.error["column"], "s")

    def test_Runtime_FixedWidthColumnsGrowOverManyBatches(self):
        # Past the first capacity of the grow-in-place arrays (65536 rows), with
        # NULLs and a zone column (datetimeoffset has two fixed buffers).
        step, nb = 30_000, 5
        fields = [Fld("id", "int64"), Fld("x", "float32", nullable=False),
                  Fld("dto", "datetimeoffset"), Fld("s", "string")]
        tz = datetime.timezone(datetime.timedelta(hours=-3, minutes=-30))
        batches = []
        for b in range(nb):
            ids = [None if i % 7 == 3 else i for i in range(b * step, (b + 1) * step)]
            batches.append([ids, [float(i % 1000) for i in range(b * step, (b + 1) * step)],
                            [datetime.datetime(2020, 1, 1, tzinfo=tz) if b % 2 else None] * step,
                            ["r%d" % i for i in range(b * step, (b + 1) * step)]])
        batches.insert(2, [[], [], [], []])
        script = ("df = InputDataSet\n"
                  "assert len(df) == %d and str(df['id'].dtype) == 'float64', df.dtypes\n"
                  "assert df['id'][%d] == %d and df['id'].isna()[3]\n"
                  "OutputDataSet = df\n" % (nb * step, nb * step - 2, nb * step - 2))
        res = run_job(self, script, fields=fields, batches=batches)
        self.assertIsNone(res.error, res.error)
        self.assertEqual(res.end, nb * step)
        # Long lists: report the first difference (a full diff would take minutes).
        for got, want in ((res.columns[0], [None if i % 7 == 3 else i for i in range(nb * step)]),
                          (res.columns[1], [float(i % 1000) for i in range(nb * step)])):
            self.assertEqual(len(got), len(want))
            bad = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w), None)
            self.assertIsNone(bad, bad is not None and "row %d: %r != %r" % (bad, got[bad], want[bad]))
        self.assertEqual(res.columns[2][step - 1], None)
        self.assertEqual(res.columns[2][step], datetime.datetime(2020, 1, 1, tzinfo=tz))
        self.assertEqual(res.columns[3][-1], "r%d" % (nb * step - 1))

    def test_Runtime_DatetimeOutsideNanosecondRangeStaysExact(self):
        fields = [Fld("dt", "datetime")]
        vals = [datetime.datetime(1, 1, 1), None, datetime.datetime(9999, 12, 31, 23, 59, 59, 999999)]
        script = ("import datetime\n"
                  "assert type(InputDataSet['dt'][0]) is datetime.datetime\n"
                  "OutputDataSet = InputDataSet\n")
        res = run_job(self, script, fields=fields, batches=[[vals]])
        self.assertIsNone(res.error, res.error)
        self.assertEqual(res.schema[0].typ, "datetime")
        self.assertEqual(res.columns[0], vals)

    def test_Runtime_ParamsInAndOut(self):
        params = [Fld("n", "int64"), Fld("big", "int64", output=True), Fld("name", "string"),
                  Fld("total", "decimal", output=True, precision=10, scale=2),
                  Fld("when", "datetime", output=True), Fld("flag", "bool", output=True),
                  Fld("msg", "string", output=True), Fld("none", "float64", output=True)]
        values = [7, 2**62 + 1, "ab", decimal.Decimal("1.50"), datetime.datetime(2020, 1, 2, 3, 4, 5),
                  None, "x", 1.5]
        script = (
            "import decimal, datetime\n"
            "assert type(n) is int and n == 7 and big == 2**62 + 1 and name == 'ab'\n"
            "assert total == decimal.Decimal('1.50') and flag is None\n"
            "assert type(when) is datetime.datetime, type(when)\n"
            "big = big + 2\n"
            "total = total * 3 + decimal.Decimal('0.004')\n"
            "when = when + datetime.timedelta(days=1)\n"
            "flag = True\n"
            "msg = 'done ✓'\n"
            "none = None\n")
        res = run_job(self, script, params=params, param_values=values)
        self.assertIsNone(res.error, res.error)
        self.assertIsNone(res.schema, "no OutputDataSet must mean no SCHEMA")
        self.assertEqual([f.name for f in res.param_fields], ["big", "total", "when", "flag", "msg", "none"])
        self.assertTrue(all(f.output for f in res.param_fields))
        self.assertEqual((res.param_fields[1].precision, res.param_fields[1].scale), (10, 2))
        self.assertEqual(res.params, {"big": 2**62 + 3, "total": decimal.Decimal("4.50"),
                                      "when": datetime.datetime(2020, 1, 3, 3, 4, 5), "flag": True,
                                      "msg": "done ✓", "none": None})
        self.assertEqual(res.order, [PARAMS, END])
        self.assertEqual(res.end, 0)

    def test_Runtime_RejectsOutputParamOfWrongType(self):
        cases = {
            "str_for_int": (Fld("count", "int32", output=True), 1, "count = 'three'\n"),
            "overflow": (Fld("count", "int8", output=True), 1, "count = 300\n"),
            "naive_for_dto": (Fld("count", "datetimeoffset", output=True), None,
                              "import datetime\ncount = datetime.datetime(2020, 1, 1)\n"),
        }
        for name, (fld, value, script) in cases.items():
            with self.subTest(name):
                res = run_job(self, script, params=[fld], param_values=[value])
                self.assertIsNotNone(res.error)
                self.assertEqual(res.error["kind"], "output")
                self.assertIn("'count'", res.error["message"])
                self.assertEqual(res.run.code, 1)

    def test_Runtime_ScriptErrorReportsUserLineOnly(self):
        script = ("x = 1\n"
                  "def f(d):\n"
                  "    return 1 / d\n"
                  "print('before')\n"
                  "f(0)\n")
        res = run_job(self, script)
        self.assertEqual(res.error["kind"], "script")
        self.assertEqual(res.error["type"], "ZeroDivisionError")
        self.assertEqual(res.error["message"], "division by zero")
        self.assertEqual(res.error["line"], "3")
        tb = res.error["traceback"]
        self.assertIn('File "<script>", line 5', tb)
        self.assertIn('File "<script>", line 3, in f', tb)
        self.assertIn("return 1 / d", tb)
        self.assertNotIn("launchpad_runtime", tb)
        self.assertIn("before", res.run.stdout)
        self.assertEqual(res.order, [ERROR])

    def test_Runtime_SyntaxErrorReportsLine(self):
        res = run_job(self, "x = 1\ny = (\nz = 2 +\n")
        self.assertEqual(res.error["kind"], "script")
        self.assertEqual(res.error["type"], "SyntaxError")
        self.assertIn(res.error["line"], ("2", "3"))
        self.assertNotIn("launchpad_runtime", res.error["traceback"])

    def test_Runtime_SystemExitZeroIsNormalEnd(self):
        script = "import pandas as pd, sys\nOutputDataSet = pd.DataFrame({'a': [1]})\nsys.exit(0)\n"
        res = run_job(self, script)
        self.assertIsNone(res.error, res.error)
        self.assertEqual(res.columns, [[1]])
        res = run_job(self, "import sys\nsys.exit(3)\n")
        self.assertEqual((res.error["kind"], res.error["type"]), ("script", "SystemExit"))

    def test_Runtime_OutputErrors(self):
        cases = {
            "not_a_frame": ("OutputDataSet = [1, 2]\n", None, "DataFrame"),
            "mixed_object": ("import pandas as pd\nOutputDataSet = pd.DataFrame({'mix': ['a', 1]})\n",
                             "mix", "str and int"),
            "uint64_too_big": ("import pandas as pd, numpy as np\n"
                               "OutputDataSet = pd.DataFrame({'u': np.array([2**64 - 1], np.uint64)})\n",
                               "u", "uint64"),
            "unsupported_dtype": ("import pandas as pd\n"
                                  "OutputDataSet = pd.DataFrame({'td': pd.to_timedelta([1], unit='s')})\n",
                                  "td", "timedelta"),
        }
        for name, (script, column, text) in cases.items():
            with self.subTest(name):
                res = run_job(self, script)
                self.assertIsNotNone(res.error, name)
                self.assertEqual(res.error["kind"], "output")
                self.assertIn(text, res.error["message"])
                self.assertEqual(res.error.get("column"), column)
                self.assertIsNone(res.schema)

    def test_Runtime_InfersOutputTypes(self):
        script = (
            "import pandas as pd, numpy as np, decimal, datetime, uuid\n"
            "OutputDataSet = pd.DataFrame({\n"
            "  'u8': np.array([0, 255], np.uint8),\n"
            "  'u32': np.array([0, 2**32 - 1], np.uint32),\n"
            "  'u64': np.array([1, 2**63 - 1], np.uint64),\n"
            "  'nint': pd.array([None, -5], dtype='Int16'),\n"
            "  'nbool': pd.array([True, None], dtype='boolean'),\n"
            "  'f16': np.array([0.5, np.nan], np.float16),\n"
            "  'cat': pd.Categorical(['b', None], categories=['a', 'b']),\n"
            "  'pstr': pd.array(['x', None], dtype='string'),\n"
            "  'dec': [decimal.Decimal('1.5'), decimal.Decimal('-22.125')],\n"
            "  'pyint': pd.Series([2**63 - 1, None], dtype=object),\n"
            "  'pyfloat': [None, 2.5],\n"
            "  'allnull': [None, None],\n"
            "  'date': [datetime.date(1900, 3, 1), None],\n"
            "  'time': [None, datetime.time(12, 30, 0, 5)],\n"
            "  'naive': [pd.Timestamp('2001-02-03 04:05:06.000007'), None],\n"
            "  'aware': [datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc), None],\n"
            "  'tzcol': pd.to_datetime(['2020-01-01 10:00', '2020-07-01 10:00']).tz_localize('Europe/Paris'),\n"
            "  'nat': pd.to_datetime(['1960-01-01 00:00:00.5', None]),\n"
            "  'uuid': [uuid.UUID(int=1), None],\n"
            "  'bytes': [bytearray(b'ab'), b''],\n"
            "  'pybool': [True, None],\n"
            "})\n")
        res = run_job(self, script)
        self.assertIsNone(res.error, res.error)
        types = {f.name: f.typ for f in res.schema}
        self.assertEqual(types, {
            "u8": "int16", "u32": "int64", "u64": "int64", "nint": "int16", "nbool": "bool",
            "f16": "float32", "cat": "string", "pstr": "string", "dec": "decimal", "pyint": "int64",
            "pyfloat": "float64", "allnull": "string", "date": "date", "time": "time",
            "naive": "datetime", "aware": "datetimeoffset", "tzcol": "datetimeoffset",
            "nat": "datetime", "uuid": "uuid", "bytes": "binary", "pybool": "bool"})
        got = {f.name: c for f, c in zip(res.schema, res.columns)}
        self.assertEqual(got["u8"], [0, 255])
        self.assertEqual(got["u64"], [1, 2**63 - 1])
        self.assertEqual(got["nint"], [None, -5])
        self.assertEqual(got["nbool"], [True, None])
        self.assertEqual(got["f16"], [0.5, None])
        self.assertEqual(got["cat"], ["b", None])
        self.assertEqual(got["pstr"], ["x", None])
        dec = next(f for f in res.schema if f.name == "dec")
        self.assertEqual((dec.precision, dec.scale), (38, 3))
        self.assertEqual(got["dec"], [decimal.Decimal("1.5"), decimal.Decimal("-22.125")])
        self.assertEqual(got["pyint"], [2**63 - 1, None])
        self.assertEqual(got["allnull"], [None, None])
        self.assertEqual(got["date"], [datetime.date(1900, 3, 1), None])
        self.assertEqual(got["time"], [None, datetime.time(12, 30, 0, 5)])
        self.assertEqual(got["naive"], [datetime.datetime(2001, 2, 3, 4, 5, 6, 7), None])
        self.assertEqual([d.utcoffset() for d in got["tzcol"]],
                         [datetime.timedelta(hours=1), datetime.timedelta(hours=2)])
        self.assertEqual(got["tzcol"][1], datetime.datetime(2020, 7, 1, 8, 0, tzinfo=datetime.timezone.utc))
        self.assertEqual(got["nat"], [datetime.datetime(1960, 1, 1, 0, 0, 0, 500000), None])
        self.assertEqual(got["uuid"], [uuid.UUID(int=1), None])
        self.assertEqual(got["bytes"], [b"ab", b""])
        self.assertEqual(got["pybool"], [True, None])

    def test_Runtime_EmptyInputGivesEmptyFrame(self):
        script = ("import pandas as pd\n"
                  "assert InputDataSet.empty and len(InputDataSet.columns) == 0\n"
                  "OutputDataSet = pd.DataFrame({'a': pd.Series([], dtype='int64'),\n"
                  "                              'b': pd.Series([], dtype=object)})\n")
        res = run_job(self, script)
        self.assertIsNone(res.error, res.error)
        self.assertEqual([(f.name, f.typ) for f in res.schema], [("a", "int64"), ("b", "string")])
        self.assertEqual(res.batches, 0)
        self.assertEqual(res.end, 0)
        self.assertEqual(res.order, [SCHEMA, PARAMS, END])

    def test_Runtime_ZeroRowInputKeepsColumnTypes(self):
        fields = [Fld("a", "int32", nullable=False), Fld("s", "string")]
        script = ("assert list(InputDataSet.columns) == ['a', 's'] and len(InputDataSet) == 0\n"
                  "assert str(InputDataSet['a'].dtype) == 'int32'\n"
                  "OutputDataSet = InputDataSet\n")
        res = run_job(self, script, fields=fields)
        self.assertIsNone(res.error, res.error)
        self.assertEqual([f.typ for f in res.schema], ["int32", "string"])

    def test_Runtime_CustomDataSetNames(self):
        fields = [Fld("v", "int64")]
        res = run_job(self, "Out = In.assign(w=In['v'] * 2)\n", fields=fields, batches=[[[1, None]]],
                      job_extra={"input_name": "In", "output_name": "Out"})
        self.assertIsNone(res.error, res.error)
        self.assertEqual(res.columns, [[1, None], [2, None]])

    def test_Runtime_ProtocolErrors(self):
        job = frame(JOB, enc_dict({"script": "pass"}))
        empty_params = frame(PARAMS, enc_params([], []))
        cases = {
            "major_2": hello(major=2) + job,
            "end_count_mismatch": job_input("pass", fields=[Fld("a", "int64")], batches=[[[1, 2]]], rows=3),
            "unknown_frame": hello() + frame(9, b""),
            "frame_too_large": hello() + struct.pack("<IB", 300 << 20, JOB),
            "batch_buffer_count": hello() + job + empty_params + frame(SCHEMA, enc_schema([Fld("a", "int8")]))
            + frame(BATCH, struct.pack("<II", 0, 0)),
            "schema_before_job": hello() + frame(SCHEMA, enc_schema([])),
        }
        for name, data in cases.items():
            with self.subTest(name):
                run = run_runtime(self, data)
                res = parse_output(self, run.frames)
                self.assertIsNotNone(res.error, name)
                self.assertEqual(res.error["kind"], "protocol", res.error)
                self.assertEqual(run.code, 1)

    def test_Runtime_InvalidInputValues(self):
        bad_utf8 = enc_batch([Fld("s", "binary")], [[b"\xff\xfe"]])  # same layout as string
        bad_time = enc_batch([Fld("t", "int64")], [[86_400_000_000]])  # same layout as time
        cases = {
            "bad_utf8": ([Fld("s", "string")], bad_utf8),
            "time_out_of_range": ([Fld("t", "time")], bad_time),
        }
        for name, (fields, batch) in cases.items():
            with self.subTest(name):
                data = (hello() + frame(JOB, enc_dict({"script": "pass"})) + frame(PARAMS, enc_params([], []))
                        + frame(SCHEMA, enc_schema(fields)) + frame(BATCH, batch)
                        + frame(END, struct.pack("<Q", 1)))
                res = parse_output(self, run_runtime(self, data).frames)
                self.assertEqual(res.error["kind"], "input", res.error)
                self.assertEqual(res.error["column"], fields[0].name)

    def test_Runtime_ExitsWhenHostCloses(self):
        data = job_input("pass", fields=[Fld("a", "int64")], batches=[[[1, 2, 3]]])
        for cut in (0, 3, 40):
            with self.subTest(cut=cut):
                run = run_runtime(self, data, close_after=cut, timeout=30)
                self.assertEqual(run.code, 2)
                self.assertLess(run.elapsed, 20)

    def test_Runtime_ExitsWhenHostSendsError(self):
        data = hello() + frame(ERROR, enc_dict({"kind": "internal", "message": "host gave up"}))
        run = run_runtime(self, data, timeout=30)
        self.assertEqual(run.code, 2)
        self.assertEqual([t for t, _ in run.frames], [HELLO])

    def test_Runtime_PickleSeesScriptFunctions(self):
        script = ("import pickle\n"
                  "def double(x):\n"
                  "    return 2 * x\n"
                  "assert pickle.loads(pickle.dumps(double))(4) == 8\n"
                  "print(__name__)\n")
        res = run_job(self, script)
        self.assertIsNone(res.error, res.error)
        self.assertEqual(res.run.stdout.strip(), "__main__")

    def test_Runtime_MillionRows(self):
        n = 1_000_000
        ids = np.arange(n, dtype=np.int64) * 3 + (2**53)
        xs = np.linspace(0, 1, n)
        names = ["name-%09d" % i for i in range(n)]
        fields = [Fld("id", "int64", nullable=False), Fld("x", "float64", nullable=False),
                  Fld("s", "string", nullable=False)]
        data = job_input("OutputDataSet = InputDataSet\n", fields=fields, batches=[
            [ids[a:a + 200_000], xs[a:a + 200_000], names[a:a + 200_000]] for a in range(0, n, 200_000)])
        run = run_runtime(self, data)
        print("\n  1M rows (int64, float64, 13-char str) identity: %.2f s wall incl. start" % run.elapsed,
              file=sys.stderr)
        res = parse_output(self, run.frames)
        self.assertIsNone(res.error, res.error)
        self.assertEqual(res.end, n)
        self.assertGreater(res.batches, 1)
        self.assertLessEqual(max(res.batch_sizes), 5 << 20)
        self.assertEqual(res.columns[0], ids.tolist())
        self.assertEqual(res.columns[1], xs.tolist())
        self.assertEqual(res.columns[2], names)
        # Its speed is measured by make bench, not asserted here.


def load_runtime_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("launchpad_runtime", RUNTIME)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@unittest.skipUnless(os.environ.get("LAUNCHPAD_BENCH"), "set LAUNCHPAD_BENCH=1 to run benchmarks")
class BenchTest(unittest.TestCase):
    """Decode (read_input: frames -> DataFrame) and encode (send_dataset: DataFrame -> frames)
    timed inside one process over a real socketpair, so interpreter start does not blur them."""

    def _decode_encode(self, lr, data):
        host, rt = socket.socketpair()
        self.addCleanup(host.close)
        self.addCleanup(rt.close)
        feeder = threading.Thread(target=host.sendall, args=(data,), daemon=True)
        feeder.start()
        conn = lr.Conn(rt)
        t0 = time.perf_counter()
        df = lr.read_input(conn).frame
        t1 = time.perf_counter()
        got = [0]

        def drain():
            buf = bytearray(1 << 20)
            while True:
                k = host.recv_into(buf)
                if not k:
                    return
                got[0] += k

        drainer = threading.Thread(target=drain, daemon=True)
        drainer.start()
        t2 = time.perf_counter()
        rows = lr.send_dataset(conn, df)
        t3 = time.perf_counter()
        rt.shutdown(socket.SHUT_WR)
        drainer.join()
        self.assertEqual(rows, len(df))
        return t1 - t0, t3 - t2, got[0]

    def test_Bench_Throughput(self):
        lr = load_runtime_module()
        step = 200_000
        for rows in (1_000_000, 10_000_000):
            ids = np.arange(rows, dtype=np.int64)
            xs = ids / 7
            strs = ["%016d" % i for i in range(rows)]
            for with_str in (False, True):
                fields = [Fld("id", "int64", nullable=False), Fld("x", "float64", nullable=False)]
                if with_str:
                    fields.append(Fld("s", "string", nullable=False))
                data = job_input("pass", fields=fields, batches=[
                    [ids[a:a + step], xs[a:a + step]] + ([strs[a:a + step]] if with_str else [])
                    for a in range(0, rows, step)])
                runs = [self._decode_encode(lr, data) for _ in range(3)]
                dec = min(r[0] for r in runs)
                enc = min(r[1] for r in runs)
                print("\n  %8d rows %-21s decode %6.3f s (%5.1f Mrows/s, %4.0f MiB/s)  "
                      "encode %6.3f s (%5.1f Mrows/s, %4.0f MiB/s)"
                      % (rows, "(int64,float64,str16)" if with_str else "(int64,float64)",
                         dec, rows / dec / 1e6, len(data) / dec / 2**20,
                         enc, rows / enc / 1e6, runs[0][2] / enc / 2**20), end="", file=sys.stderr)
                del data, runs
        print(file=sys.stderr)

    def test_Bench_EndToEnd(self):
        rows = 1_000_000
        fields = [Fld("id", "int64", nullable=False), Fld("x", "float64", nullable=False),
                  Fld("s", "string", nullable=False)]
        ids = np.arange(rows, dtype=np.int64)
        strs = ["%016d" % i for i in range(rows)]
        data = job_input("OutputDataSet = InputDataSet\n", fields=fields, batches=[
            [ids[a:a + 200_000], ids[a:a + 200_000] / 7, strs[a:a + 200_000]]
            for a in range(0, rows, 200_000)])
        empty = min(run_runtime(self, job_input("pass\n")).elapsed for _ in range(3))
        full = min(run_runtime(self, data).elapsed for _ in range(3))
        print("\n  process start to END, empty job: %.3f s; 1M rows (int64,float64,str16) "
              "identity: %.3f s" % (empty, full), file=sys.stderr)

    def test_Bench_ImportPandas(self):
        def t(code):
            best = 1e9
            for _ in range(5):
                s = time.perf_counter()
                subprocess.run([PYTHON, "-I", "-B", "-c", code], check=True)
                best = min(best, time.perf_counter() - s)
            return best
        bare, pd_ = t("pass"), t("import pandas")
        print("\n  python3 -I start %.3f s; + import pandas %.3f s (pandas alone %.3f s)"
              % (bare, pd_, pd_ - bare), file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
