"""End-to-end tests of launchpad.R: the real Rscript, real pipes on fds 3/4.

Run: /usr/bin/python3 -m unittest discover -s plugins/r/runtime -v

A small BXL v1 codec lives here so the runtime can be tested before the Go
codec and launcher exist. Values in this codec: bool, int, float, str, bytes,
None; decimal = unscaled int; date = days; time/datetime = microseconds;
datetimeoffset = (utc_us, offset_min); uuid = uuid.UUID.
"""

import fcntl
import os
import shutil
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = os.path.join(HERE, "launchpad.R")
RSCRIPT = os.environ.get("LAUNCHPAD_RSCRIPT", "/usr/bin/Rscript")

HELLO, JOB, PARAMS, SCHEMA, BATCH, END, ERROR = range(7)
T = dict(bool=1, int8=2, int16=3, int32=4, int64=5, float32=6, float64=7, decimal=8,
         string=9, binary=10, date=11, time=12, datetime=13, datetimeoffset=14, uuid=15)
TN = {v: k for k, v in T.items()}
NBUF = {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 2, 10: 2, 11: 1, 12: 1, 13: 1, 14: 2, 15: 1}
FIXED = {2: "b", 3: "h", 4: "i", 5: "q", 6: "f", 7: "d", 11: "i", 12: "q", 13: "q"}
NULLABLE, OUTPUT = 1, 2


class Field:
    def __init__(self, name, typ, flags=NULLABLE, prec=0, scale=0):
        self.name, self.type, self.flags, self.prec, self.scale = name, T[typ] if isinstance(typ, str) else typ, flags, prec, scale

    def __repr__(self):
        return "Field(%r, %s)" % (self.name, TN[self.type])


def pad8(n):
    return (8 - n % 8) % 8


def enc_str(s):
    b = s.encode("utf-8")
    return struct.pack("<I", len(b)) + b


def enc_dict(d):
    return struct.pack("<I", len(d)) + b"".join(enc_str(k) + enc_str(v) for k, v in d.items())


def enc_schema(fields):
    out = [struct.pack("<I", len(fields))]
    for f in fields:
        out.append(enc_str(f.name) + struct.pack("<BBBB", f.type, f.flags, f.prec, f.scale))
    return b"".join(out)


def bitmap(bits):
    out = bytearray((len(bits) + 7) // 8)
    for i, b in enumerate(bits):
        if b:
            out[i >> 3] |= 1 << (i & 7)
    return bytes(out)


def enc_column(f, col):
    n = len(col)
    nulls = [v is None for v in col]
    bufs = [bitmap([not x for x in nulls]) if any(nulls) else b""]
    t = f.type
    if t in FIXED:
        bufs.append(struct.pack("<%d%s" % (n, FIXED[t]), *[0 if v is None else v for v in col]))
    elif t == 1:
        bufs.append(bitmap([bool(v) for v in col]))
    elif t == 8:
        bufs.append(b"".join((0 if v is None else v).to_bytes(16, "little", signed=True) for v in col))
    elif t in (9, 10):
        parts = [b"" if v is None else (v.encode("utf-8") if t == 9 else v) for v in col]
        offs, o = [0], 0
        for p in parts:
            o += len(p)
            offs.append(o)
        bufs.append(struct.pack("<%di" % (n + 1), *offs))
        bufs.append(b"".join(parts))
    elif t == 14:
        bufs.append(struct.pack("<%dq" % n, *[0 if v is None else v[0] for v in col]))
        bufs.append(struct.pack("<%dh" % n, *[0 if v is None else v[1] for v in col]))
    elif t == 15:
        bufs.append(b"".join(b"\0" * 16 if v is None else v.bytes for v in col))
    return bufs


def enc_batch(fields, cols, n):
    bufs = []
    for f, c in zip(fields, cols):
        assert len(c) == n
        bufs.extend(enc_column(f, c))
    hdr = 8 + 16 * len(bufs)
    pos = hdr + pad8(hdr)
    table, body = [], bytearray(b"\0" * pad8(hdr))
    for b in bufs:
        table.append(struct.pack("<QQ", pos, len(b)))
        body += b + b"\0" * pad8(len(b))
        pos += len(b) + pad8(len(b))
    return struct.pack("<II", n, len(bufs)) + b"".join(table) + bytes(body)


def enc_params(fields, values):
    s = enc_schema(fields)
    head = struct.pack("<I", len(s)) + s
    head += b"\0" * pad8(len(head))
    n = 1 if fields else 0
    return head + enc_batch(fields, [[v] for v in values] if fields else [], n)


def frame(t, payload):
    return struct.pack("<IB", len(payload), t) + payload


HELLO_PAYLOAD = b"BXL1" + struct.pack("<HH", 1, 0)


class Reader:
    def __init__(self, b):
        self.b, self.pos = b, 0

    def take(self, k):
        if self.pos + k > len(self.b):
            raise ValueError("truncated")
        v = self.b[self.pos:self.pos + k]
        self.pos += k
        return v

    def u32(self):
        return struct.unpack("<I", self.take(4))[0]

    def str(self):
        return self.take(self.u32()).decode("utf-8")


def dec_dict(b):
    r = Reader(b)
    return {r.str(): r.str() for _ in range(r.u32())}


def dec_schema(r):
    fields = []
    for _ in range(r.u32()):
        name = r.str()
        t, flags, prec, scale = struct.unpack("<BBBB", r.take(4))
        fields.append(Field(name, t, flags, prec, scale))
    return fields


def bits(b, n):
    return [bool(b[i >> 3] >> (i & 7) & 1) for i in range(n)]


def dec_batch(b, fields):
    n, nb = struct.unpack_from("<II", b, 0)
    want = sum(1 + NBUF[f.type] for f in fields)
    assert nb == want, (nb, want)
    bufs = []
    end_hdr = 8 + 16 * nb
    for i in range(nb):
        off, ln = struct.unpack_from("<QQ", b, 8 + 16 * i)
        assert off % 8 == 0 and off >= end_hdr and off + ln <= len(b), (off, ln, len(b))
        bufs.append(b[off:off + ln])
    cols, k = [], 0
    for f in fields:
        my = bufs[k:k + 1 + NBUF[f.type]]
        k += 1 + NBUF[f.type]
        valid = bits(my[0], n) if my[0] else [True] * n
        if my[0]:
            assert len(my[0]) == (n + 7) // 8
        t = f.type
        if t in FIXED:
            assert len(my[1]) == n * struct.calcsize(FIXED[t])
            vals = list(struct.unpack("<%d%s" % (n, FIXED[t]), my[1]))
        elif t == 1:
            vals = bits(my[1], n)
        elif t == 8:
            vals = [int.from_bytes(my[1][16 * i:16 * i + 16], "little", signed=True) for i in range(n)]
        elif t in (9, 10):
            offs = struct.unpack("<%di" % (n + 1), my[1]) if n else (0,)
            assert offs[0] == 0 and offs[-1] == len(my[2])
            vals = [my[2][offs[i]:offs[i + 1]] for i in range(n)]
            if t == 9:
                vals = [v.decode("utf-8") for v in vals]
        elif t == 14:
            us = struct.unpack("<%dq" % n, my[1])
            off = struct.unpack("<%dh" % n, my[2])
            vals = list(zip(us, off))
        elif t == 15:
            vals = [uuid.UUID(bytes=my[1][16 * i:16 * i + 16]) for i in range(n)]
        for i, ok in enumerate(valid):
            if not ok:
                assert vals[i] in (0, False, "", b"", (0, 0), uuid.UUID(int=0), 0.0), (f, vals[i])
                vals[i] = None
        cols.append(vals)
    return n, cols


class Result:
    def __init__(self):
        self.frames, self.schema, self.cols, self.rows = [], None, None, 0
        self.out_params, self.error, self.end_rows = None, None, None
        self.stdout = self.stderr = ""
        self.rc, self.seconds = None, 0.0

    def col(self, name):
        return self.cols[[f.name for f in self.schema].index(name)]

    def param(self, name):
        fields, vals = self.out_params
        return vals[[f.name for f in fields].index(name)]


def parse_output(data, res):
    pos, kinds = 0, []
    while pos < len(data):
        ln, t = struct.unpack_from("<IB", data, pos)
        payload = data[pos + 5:pos + 5 + ln]
        assert len(payload) == ln, "truncated output frame"
        pos += 5 + ln
        kinds.append(t)
        if t == SCHEMA:
            res.schema = dec_schema(Reader(payload))
            res.cols = [[] for _ in res.schema]
        elif t == BATCH:
            n, cols = dec_batch(payload, res.schema)
            res.rows += n
            for acc, c in zip(res.cols, cols):
                acc.extend(c)
        elif t == PARAMS:
            r = Reader(payload)
            fields = dec_schema(Reader(r.take(r.u32())))
            r.take(pad8(r.pos))
            n, cols = dec_batch(payload[r.pos:], fields)
            res.out_params = (fields, [c[0] for c in cols] if n else [])
        elif t == END:
            res.end_rows = struct.unpack("<Q", payload)[0]
        elif t == ERROR:
            res.error = dec_dict(payload)
    res.frames = kinds
    return res


def input_stream(script, fields=(), cols=None, params=(), job=None, batches=1):
    fields = list(fields)
    cols = cols or [[] for _ in fields]
    n = len(cols[0]) if cols else 0
    d = {"job_id": "t1", "language": "R", "script": script}
    d.update(job or {})
    out = [frame(HELLO, HELLO_PAYLOAD), frame(JOB, enc_dict(d)),
           frame(PARAMS, enc_params([p[0] for p in params], [p[1] for p in params])),
           frame(SCHEMA, enc_schema(fields))]
    if fields:
        step = max(1, -(-n // batches))
        for s in range(0, n, step):
            e = min(n, s + step)
            out.append(frame(BATCH, enc_batch(fields, [c[s:e] for c in cols], e - s)))
    out.append(frame(END, struct.pack("<Q", n)))
    return b"".join(out)


def run_raw(data, env=None, timeout=120):
    """Runs the runtime with data on fd 3; returns (output bytes, Result)."""
    res = Result()
    work = tempfile.mkdtemp(prefix="lp-r-test-")
    r3, w3 = os.pipe()
    r4, w4 = os.pipe()

    def place():
        a = fcntl.fcntl(r3, fcntl.F_DUPFD, 10)
        b = fcntl.fcntl(w4, fcntl.F_DUPFD, 10)
        os.dup2(a, 3)
        os.dup2(b, 4)

    e = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": work}
    e.update(env or {})
    t0 = time.monotonic()
    p = subprocess.Popen([RSCRIPT, "--vanilla", RUNTIME], cwd=work, env=e, preexec_fn=place,
                         pass_fds=(3, 4), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    os.close(r3)
    os.close(w4)
    captured = {}

    def writer():
        try:
            with os.fdopen(w3, "wb") as f:
                f.write(data)
        except BrokenPipeError:
            pass

    def drain(name, stream):
        captured[name] = stream.read()

    threads = [threading.Thread(target=writer), threading.Thread(target=drain, args=("out", p.stdout)),
               threading.Thread(target=drain, args=("err", p.stderr))]
    for th in threads:
        th.start()
    chunks = []
    with os.fdopen(r4, "rb") as f:
        while True:
            c = f.read(1 << 20)
            if not c:
                break
            chunks.append(c)
    try:
        p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise
    finally:
        for th in threads:
            th.join(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    res.seconds = time.monotonic() - t0
    res.rc = p.returncode
    res.stdout = captured.get("out", b"").decode("utf-8", "replace")
    res.stderr = captured.get("err", b"").decode("utf-8", "replace")
    out = b"".join(chunks)
    return out, parse_output(out, res)


def run(script, fields=(), cols=None, params=(), env=None, job=None, batches=1):
    return run_raw(input_stream(script, fields, cols, params, job, batches), env)[1]


US = 1_000_000
DAY_US = 86400 * US
U1 = uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")

ALL_TYPES = [
    (Field("b", "bool"), [True, None, False]),
    (Field("i8", "int8"), [-128, None, 127]),
    (Field("i16", "int16"), [-32768, None, 32767]),
    (Field("i32", "int32"), [-2147483647, None, 2147483647]),
    (Field("i64", "int64"), [-(2**53), None, 2**53]),
    (Field("f32", "float32"), [1.5, None, -0.25]),
    (Field("f64", "float64"), [3.141592653589793, None, -1e300]),
    (Field("dec", "decimal", prec=18, scale=2), [12345, None, -99999]),
    (Field("s", "string"), ["héllo ✓", None, ""]),
    (Field("bin", "binary"), [b"\x00\x01\xff", None, b""]),
    (Field("d", "date"), [19000, None, -1]),
    (Field("t", "time"), [12 * 3600 * US + 345678, None, 0]),
    (Field("dt", "datetime"), [1_700_000_000 * US + 123456, None, -1 * US]),
    (Field("dto", "datetimeoffset"), [(1_700_000_000 * US, 120), None, (0, -300)]),
    (Field("u", "uuid"), [U1, None, uuid.UUID(int=1)]),
]

IDENTITY = "OutputDataSet <- InputDataSet\n"


class RuntimeTest(unittest.TestCase):
    def assertOK(self, res):
        self.assertIsNone(res.error, "runtime error: %r\nstderr: %s" % (res.error, res.stderr))
        self.assertEqual(res.rc, 0, res.stderr)
        self.assertEqual(res.frames[-1], END)
        self.assertEqual(res.end_rows, res.rows)

    def assertError(self, res, kind):
        self.assertIsNotNone(res.error, "expected an ERROR, frames %r, stderr %s" % (res.frames, res.stderr))
        self.assertEqual(res.error["kind"], kind, res.error)
        self.assertEqual(res.frames[-1], ERROR)
        self.assertEqual(res.rc, 1)

    def test_Runtime_IdentityEveryTypeWithNulls(self):
        fields = [f for f, _ in ALL_TYPES]
        cols = [c for _, c in ALL_TYPES]
        for name, env in (("integer64", {"LAUNCHPAD_R_INTEGER64": "1"}), ("default", {})):
            with self.subTest(name):
                res = run(IDENTITY + "stopifnot(is.data.frame(InputDataSet), nrow(InputDataSet) == 3L)\n",
                          fields, cols, env=env)
                self.assertOK(res)
                got = {f.name: TN[f.type] for f in res.schema}
                self.assertEqual(got, dict(b="bool", i8="int32", i16="int32", i32="int32", i64="int64",
                                           f32="float64", f64="float64", dec="float64", s="string", bin="binary",
                                           d="date", t="time", dt="datetime", dto="datetime", u="string"))
                self.assertEqual(res.col("b"), [True, None, False])
                self.assertEqual(res.col("i8"), [-128, None, 127])
                self.assertEqual(res.col("i16"), [-32768, None, 32767])
                self.assertEqual(res.col("i32"), [-2147483647, None, 2147483647])
                self.assertEqual(res.col("i64"), [-(2**53), None, 2**53])
                self.assertEqual(res.col("f32"), [1.5, None, -0.25])
                self.assertEqual(res.col("f64"), [3.141592653589793, None, -1e300])
                self.assertEqual(res.col("dec"), [123.45, None, -999.99])
                self.assertEqual(res.col("s"), ["héllo ✓", None, ""])
                self.assertEqual(res.col("bin"), [b"\x00\x01\xff", None, b""])
                self.assertEqual(res.col("d"), [19000, None, -1])
                self.assertEqual(res.col("t"), [12 * 3600 * US + 345678, None, 0])
                self.assertEqual(res.col("dt"), [1_700_000_000 * US + 123456, None, -1 * US])
                self.assertEqual(res.col("dto"), [1_700_000_000 * US, None, 0])
                # R holds a uniqueidentifier as upper-case text, as SQL Server gives it.
                self.assertEqual(res.col("u"), [str(U1).upper(), None, str(uuid.UUID(int=1)).upper()])

    def test_Runtime_InputRClasses(self):
        fields = [f for f, _ in ALL_TYPES]
        cols = [c for _, c in ALL_TYPES]
        script = r'''
cls <- vapply(InputDataSet, function(x) class(x)[1], "")
cat(paste(names(cls), cls, sep = "=", collapse = ","), "\n")
x <- InputDataSet
stopifnot(Encoding(x$s[1]) == "UTF-8", x$s[1] == "h\u00e9llo \u2713", is.na(x$s[2]))
stopifnot(is.null(x$bin[[2]]), identical(x$bin[[1]], as.raw(c(0, 1, 255))))
stopifnot(format(x$dt[1], "%Y-%m-%d %H:%M:%OS6", tz = "UTC") == "2023-11-14 22:13:20.123456")
stopifnot(attr(x$dt, "tzone") == "UTC", identical(x$d[1], as.Date("2022-01-08")))
stopifnot(units(x$t) == "secs", as.numeric(x$t[1]) == 43200.345678)
stopifnot(x$u[1] == "12345678-9ABC-DEF0-1234-56789ABCDEF0")
stopifnot(all(vapply(x[-c(5, 10)], function(c) is.na(c[2]), NA)), is.na(x$i64[2]))
'''
        res = run(script, fields, cols)
        self.assertOK(res)
        self.assertIn("b=logical,i8=integer,i16=integer,i32=integer,i64=numeric,f32=numeric,f64=numeric,"
                      "dec=numeric,s=character,bin=list,d=Date,t=difftime,dt=POSIXct,dto=POSIXct,u=character",
                      res.stdout)
        self.assertIsNone(res.schema)  # no OutputDataSet -> no result set
        self.assertEqual(res.frames, [HELLO, PARAMS, END])

    def test_Runtime_FactorsAsStrings(self):
        res = run('OutputDataSet <- data.frame(f = factor(c("b", NA, "a", "b"), levels = c("b", "a", "zz")))\n')
        self.assertOK(res)
        self.assertEqual(TN[res.schema[0].type], "string")
        self.assertEqual(res.col("f"), ["b", None, "a", "b"])

    def test_Runtime_NAInEveryOutputType(self):
        script = r'''
OutputDataSet <- data.frame(
  l = c(TRUE, NA), i = c(1L, NA), d = c(NaN, NA), s = c("x", NA), f = factor(c(NA, "y")),
  dt = as.Date(c(NA, "2024-02-29")), ct = as.POSIXct(c("2024-01-01 00:00:01", NA), tz = "UTC"),
  tm = as.difftime(c(NA, 90), units = "mins"), stringsAsFactors = FALSE)
OutputDataSet$bin <- I(list(NULL, as.raw(7)))
if (requireNamespace("bit64", quietly = TRUE)) OutputDataSet$i64 <- bit64::as.integer64(c(NA, "9007199254740993"))
'''
        res = run(script)
        self.assertOK(res)
        types = {f.name: TN[f.type] for f in res.schema}
        self.assertEqual(types, dict(l="bool", i="int32", d="float64", s="string", f="string", dt="date",
                                     ct="datetime", tm="time", bin="binary", i64="int64"))
        self.assertEqual(res.col("l"), [True, None])
        self.assertEqual(res.col("i"), [1, None])
        d = res.col("d")
        self.assertTrue(d[0] != d[0], "NaN stays a value")
        self.assertIsNone(d[1])
        self.assertEqual(res.col("s"), ["x", None])
        self.assertEqual(res.col("f"), [None, "y"])
        self.assertEqual(res.col("dt"), [None, 19782])
        self.assertEqual(res.col("ct"), [1704067201 * US, None])
        self.assertEqual(res.col("tm"), [None, 5400 * US])
        self.assertEqual(res.col("bin"), [None, b"\x07"])
        self.assertEqual(res.col("i64"), [None, 2**53 + 1])

    def test_Runtime_POSIXctTimeZones(self):
        script = r'''
ny <- as.POSIXct("2024-07-01 08:00:00", tz = "America/New_York")
tk <- as.POSIXct("2024-01-01 09:00:00.25", tz = "Asia/Tokyo")
lt <- as.POSIXlt("2024-01-01 12:00:00", tz = "Europe/Paris")
OutputDataSet <- data.frame(ny = ny, tk = tk, lt = as.POSIXct(lt))
OutputDataSet$plt <- list(lt)[[1]]
'''
        res = run(script)
        self.assertOK(res)
        self.assertEqual(res.col("ny"), [1719835200 * US])  # 12:00 UTC
        self.assertEqual(res.col("tk"), [1704067200 * US + 250000])  # 00:00:00.25 UTC
        self.assertEqual(res.col("lt"), [1704106800 * US])  # 11:00 UTC
        self.assertEqual(res.col("plt"), [1704106800 * US])

    def test_Runtime_Int64AsBaseRExpects(self):
        # integer when every value fits, double when every value is exact,
        # else an error naming the column (integer64 only when turned on).
        on = {"LAUNCHPAD_R_INTEGER64": "1"}
        f = [Field("x", "int64")]
        cases = {
            "integer": ([[2**31 - 1, None], [-(2**31 - 1)]], {}, "integer", "int64"),
            "integer_with_integer64_on": ([[2**31 - 1, None], [5]], on, "integer", "int64"),
            "double": ([[2**31 - 1, None], [2**53]], {}, "numeric", "int64"),
            "double_at_int_min": ([[-(2**31)]], {}, "numeric", "int64"),
        }
        for name, (batches, env, cls, out) in cases.items():
            with self.subTest(name):
                want = [v for b in batches for v in b]
                res = run(IDENTITY + 'cat("class", class(InputDataSet$x), "\\n")\n', f, [want], env=env,
                          batches=len(batches))
                self.assertOK(res)
                self.assertIn("class %s \n" % cls, res.stdout)
                self.assertEqual(TN[res.schema[0].type], out)
                self.assertEqual(res.col("x"), want)

    def test_Runtime_Int64BeyondDoubles(self):
        big = [2**53 + 1, -(2**63) + 1, 2**63 - 1, None]
        f = [Field("big", "int64")]
        with self.subTest("integer64 turned on keeps every value"):
            res = run(IDENTITY + 'stopifnot(inherits(InputDataSet$big, "integer64"))\n'
                      'print(InputDataSet$big[1] + 1L)\n', f, [big], env={"LAUNCHPAD_R_INTEGER64": "1"})
            self.assertOK(res)
            self.assertEqual(res.col("big"), big)
            self.assertIn("9007199254740994", res.stdout)
        for name, env in (("default", {}),
                          ("package hidden", {"LAUNCHPAD_R_INTEGER64": "1", "R_LIBS_SITE": "/nonexistent",
                                              "R_LIBS_USER": "/nonexistent"})):
            with self.subTest(name + " refuses to round"):
                res = run(IDENTITY, f, [big], env=env)
                self.assertError(res, "input")
                self.assertEqual(res.error["column"], "big")
                self.assertIn("column big holds bigint values beyond", res.error["message"])
                self.assertIn("CAST", res.error["message"])

    def test_Runtime_Int64MinIsRefusedWithIntegers64(self):
        res = run(IDENTITY, [Field("m", "int64")], [[-(2**63)]], env={"LAUNCHPAD_R_INTEGER64": "1"})
        self.assertError(res, "input")
        res = run("OutputDataSet <- data.frame(z = 1:2)\nOutputDataSet$z <- c(1i, 2i)\n")
        self.assertError(res, "output")
        self.assertEqual(res.error["column"], "z")

    def test_Runtime_ParamsInAndOut(self):
        params = [
            (Field("n", "int32"), 41), (Field("name", "string"), "zoë"), (Field("when", "date"), 19000),
            (Field("big", "int64"), 2**50), (Field("nothing", "float64"), None),
            (Field("total", "int32", NULLABLE | OUTPUT), None),
            (Field("msg", "string", NULLABLE | OUTPUT), "in"),
            (Field("amount", "decimal", NULLABLE | OUTPUT, 10, 2), None),
            (Field("stamp", "datetime", NULLABLE | OUTPUT), None),
            (Field("nul", "float64", NULLABLE | OUTPUT), 1.0),
            (Field("big_out", "int64", NULLABLE | OUTPUT), None),
        ]
        script = r'''
stopifnot(identical(n, 41L), name == "zo\u00eb", when == as.Date("2022-01-08"), is.na(nothing))
stopifnot(identical(big, 2^50), is.na(total), msg == "in")
total <- n + 1
msg <- paste(name, "ok")
amount <- 1234.5
stamp <- as.POSIXct("2024-01-01 01:00:00", tz = "Europe/Paris")
nul <- NA
big_out <- big + 1024
'''
        res = run(script, params=params)
        self.assertOK(res)
        names = [f.name for f in res.out_params[0]]
        self.assertEqual(names, ["total", "msg", "amount", "stamp", "nul", "big_out"])
        self.assertTrue(all(f.flags & OUTPUT for f in res.out_params[0]))
        self.assertEqual(res.param("total"), 42)
        self.assertEqual(res.param("msg"), "zoë ok")
        self.assertEqual(res.param("amount"), 123450)
        self.assertEqual(res.param("stamp"), 1704067200 * US)
        self.assertIsNone(res.param("nul"))
        self.assertEqual(res.param("big_out"), 2**50 + 1024)

    def test_Runtime_OutputParamWrongType(self):
        res = run('total <- "many"\n', params=[(Field("total", "int32", NULLABLE | OUTPUT), None)])
        self.assertError(res, "output")
        self.assertEqual(res.error["column"], "total")

    def test_Runtime_StopInsideFunctionReportsUserLine(self):
        script = "x <- 1\n\nf <- function(v) {\n  y <- v * 2\n  stop(\"boom: \", y)\n}\ng <- function() f(21)\n\ng()\ncat('never\\n')\n"
        res = run(script)
        self.assertError(res, "script")
        self.assertEqual(res.error["line"], "5")
        self.assertEqual(res.error["type"], "simpleError")
        self.assertEqual(res.error["message"], "boom: 42")
        tb = res.error["traceback"]
        self.assertIn("<script>#9: g()", tb)
        self.assertIn("<script>#7: f(21)", tb)
        self.assertIn("<script>#5", tb)
        self.assertNotIn("never", res.stdout)

    def test_Runtime_TopLevelErrorLine(self):
        res = run("a <- 1\nb <- log(-1)\nc <- a + 'x'\n")
        self.assertError(res, "script")
        self.assertEqual(res.error["line"], "3")
        self.assertIn("non-numeric", res.error["message"])
        self.assertIn("NaNs produced", res.stderr)

    def test_Runtime_ParseErrorLine(self):
        res = run("x <- 1\ny <- (2 +\nz <- ]\n")
        self.assertError(res, "script")
        self.assertEqual(res.error["line"], "3")

    def test_Runtime_MessagesAndWarnings(self):
        res = run('print(1:3)\ncat("to stdout\\n")\nmessage("to stderr")\nwarning("careful")\n'
                  'f <- function() warning("inner")\nf()\nx <- 5\nx\n')
        self.assertOK(res)
        self.assertIn("[1] 1 2 3", res.stdout)
        self.assertIn("to stdout", res.stdout)
        self.assertIn("[1] 5", res.stdout)
        self.assertIn("to stderr", res.stderr)
        self.assertIn("Warning: careful", res.stderr)
        self.assertIn("Warning in f() : inner", res.stderr)
        self.assertNotIn("to stderr", res.stdout)

    def test_Runtime_ScriptKeepsTheJIT(self):
        res = run('cat("jit", compiler::enableJIT(-1), "\\n")\n')
        self.assertOK(res)
        self.assertIn("jit 3", res.stdout)

    def test_Runtime_WarnTwoBecomesError(self):
        res = run('options(warn = 2)\nwarning("now fatal")\n')
        self.assertError(res, "script")
        self.assertIn("now fatal", res.error["message"])

    def test_Runtime_ScriptSeesNothingOfTheRuntime(self):
        res = run('OutputDataSet <- data.frame(\n'
                  '  global = length(ls(globalenv(), all.names = TRUE)),\n'
                  '  parts = sum(vapply(c("decode_batch", "prep_column", "run_script", "main", "FRAME"),\n'
                  '                    exists, NA)),\n'
                  '  attached = sum(!startsWith(search(), "package:") & !(search() %in% c(".GlobalEnv", "Autoloads"))))\n')
        self.assertOK(res)
        self.assertEqual((res.col("global"), res.col("parts"), res.col("attached")), ([0], [0], [0]))

    def test_Runtime_ConfigurableNames(self):
        res = run("result <- df[df$x > 1, , drop = FALSE]\n", [Field("x", "int32")], [[1, 2, 3]],
                  job={"input_name": "df", "output_name": "result"})
        self.assertOK(res)
        self.assertEqual(res.col("x"), [2, 3])

    def test_Runtime_ManyBatchesBothWays(self):
        n = 5000
        cols = [list(range(n)), ["v%d" % i if i % 7 else None for i in range(n)]]
        res = run(IDENTITY, [Field("i", "int32"), Field("s", "string")], cols, batches=9,
                  env={"LAUNCHPAD_BXL_BATCH_BYTES": "4096"})
        self.assertOK(res)
        self.assertGreater(res.frames.count(BATCH), 5)
        self.assertEqual(res.col("i"), cols[0])
        self.assertEqual(res.col("s"), cols[1])

    def test_Runtime_ScriptCannotBreakTheDataPlane(self):
        res = run("closeAllConnections()\nsink(tempfile())\nOutputDataSet <- data.frame(a = 1)\n")
        self.assertOK(res)
        self.assertEqual(res.col("a"), [1.0])

    def test_Runtime_ProtocolErrors(self):
        good = input_stream(IDENTITY, [Field("x", "int32")], [[1, 2]])
        cases = {
            "truncated": good[:-7],
            "bad major": frame(HELLO, b"BXL1" + struct.pack("<HH", 2, 0)) + good[len(frame(HELLO, HELLO_PAYLOAD)):],
            "huge frame": good[:9 + 4] + struct.pack("<IB", 0xFFFFFFF0, JOB),
            "unknown type": frame(HELLO, HELLO_PAYLOAD) + frame(9, b""),
            "end mismatch": good[:-13] + frame(END, struct.pack("<Q", 3)),
            "empty": b"",
        }
        for name, data in cases.items():
            with self.subTest(name):
                _, res = run_raw(data, timeout=30)
                self.assertError(res, "protocol")

    def test_Runtime_RefusesNonPipeDescriptors(self):
        with tempfile.TemporaryDirectory() as d:
            victim = os.path.join(d, "victim")
            with open(victim, "wb") as f:
                f.write(b"keep me")
            with open(victim, "rb+") as f:
                fd = f.fileno()
                p = subprocess.run([RSCRIPT, "--vanilla", RUNTIME], cwd=d, capture_output=True, timeout=60,
                                   env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                                   preexec_fn=lambda: (os.dup2(fd, 3), os.dup2(fd, 4)), pass_fds=(3, 4))
            self.assertEqual(p.returncode, 2)
            self.assertIn(b"must be a pipe", p.stderr)
            with open(victim, "rb") as f:
                self.assertEqual(f.read(), b"keep me")

    def test_Runtime_OneMillionRows(self):
        n = 1_000_000
        cols = [list(range(n)), [i * 0.5 for i in range(n)], ["row%d" % i for i in range(n)]]
        fields = [Field("i", "int32"), Field("f", "float64"), Field("s", "string")]
        data = input_stream(IDENTITY + "stopifnot(nrow(InputDataSet) == 1e6)\n", fields, cols, batches=40)
        _, res = run_raw(data, timeout=300)
        self.assertOK(res)
        self.assertEqual(res.rows, n)
        self.assertEqual(res.col("i")[-1], n - 1)
        self.assertEqual(res.col("f")[n // 2], n / 4)
        self.assertEqual(res.col("s")[123457], "row123457")
        print("\n1M rows (int32, float64, string) identity: %.2f s, %d input bytes" % (res.seconds, len(data)))


if __name__ == "__main__":
    unittest.main()
