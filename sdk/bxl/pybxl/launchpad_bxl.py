"""Launchpad BXL v1 codec in pure standard-library Python (contract: docs/bxl.md).

A Python runtime imports this module to speak the data plane on file
descriptor 3: frames, schemas, dictionaries, record batches and the
conversation (HELLO, JOB, PARAMS, SCHEMA, BATCH*, END or ERROR; QUERY and
its answer). It treats the host's bytes as hostile: every length, span and
value is checked before it is used, and a failure raises ProtocolError or InputError, which the runtime
reports as an ERROR frame of that kind.

Column values cross as plain Python lists, None for NULL:

    bool        bool              decimal         decimal.Decimal
    int8..64    int               string / binary str / bytes
    float32/64  float             date / time     datetime.date / datetime.time
    uuid        uuid.UUID         datetime        naive datetime.datetime
    datetimeoffset                tz-aware datetime.datetime (datetime.timezone(offset))

Launchers ship it beside their runtime (Go: sdk/bxl/pybxl, FileName and
Module); PythonLauncher's numpy runtime uses it for everything but its bulk
columns, PythonLite for everything.
"""

import datetime
import decimal
import struct
import uuid

# Frame types. QUERY (1.1) goes runtime -> host only.
F_HELLO, F_JOB, F_PARAMS, F_SCHEMA, F_BATCH, F_END, F_ERROR, F_QUERY = range(8)
FRAME_NAMES = ("HELLO", "JOB", "PARAMS", "SCHEMA", "BATCH", "END", "ERROR", "QUERY")

MAGIC = b"BXL1"
MAJOR, MINOR = 1, 1
MAX_QUERY = 1 << 20  # the host's default limit on a QUERY payload
MAX_FRAME = 256 << 20  # same default as the Go reader; also the largest frame sent
_MAX_IOV = 512  # stay well below IOV_MAX (1024) per sendmsg

# Type codes.
T_BOOL, T_I8, T_I16, T_I32, T_I64, T_F32, T_F64 = 1, 2, 3, 4, 5, 6, 7
T_DEC, T_STR, T_BIN, T_DATE, T_TIME, T_DT, T_DTO, T_UUID = 8, 9, 10, 11, 12, 13, 14, 15
TYPE_NAMES = {
    1: "bool", 2: "int8", 3: "int16", 4: "int32", 5: "int64", 6: "float32", 7: "float64",
    8: "decimal", 9: "string", 10: "binary", 11: "date", 12: "time", 13: "datetime",
    14: "datetimeoffset", 15: "uuid",
}
INT_CODES = (T_I8, T_I16, T_I32, T_I64)
INT_RANGE = {c: (-(1 << (8 * w - 1)), (1 << (8 * w - 1)) - 1)
             for c, w in ((T_I8, 1), (T_I16, 2), (T_I32, 4), (T_I64, 8))}
# struct format of the (first) values buffer of fixed-width types.
FIXED_FORMAT = {T_I8: "b", T_I16: "h", T_I32: "i", T_I64: "q", T_F32: "f", T_F64: "d",
                T_DATE: "i", T_TIME: "q", T_DT: "q", T_DTO: "q"}

FLAG_NULLABLE, FLAG_OUTPUT = 1, 2

US_PER_DAY = 86_400_000_000
EPOCH = datetime.datetime(1970, 1, 1)
EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
ONE_US = datetime.timedelta(microseconds=1)
# datetime.date/datetime range (years 1..9999) in days / microseconds since the epoch.
MIN_DAY, MAX_DAY = -719162, 2932896
MIN_US, MAX_US = -62135596800000000, 253402300799999999
MAX_ZONE_MINUTES = 840  # ±14:00
# Wide enough for any 38-digit decimal times 10**±38, so scaleb never rounds.
DEC_CTX = decimal.Context(prec=100, Emax=999999, Emin=-999999)
ZEROS = bytes(8)


class BxlError(Exception):
    """An error reported to the host as an ERROR frame of kind `kind`."""

    kind = "internal"

    def __init__(self, message, column=None):
        super().__init__(message)
        self.column = column


class ProtocolError(BxlError):
    kind = "protocol"


class InputError(BxlError):
    kind = "input"


class OutputError(BxlError):
    kind = "output"


class PeerGone(Exception):
    """The host closed the data plane or aborted with ERROR: nothing can be reported."""


class Field:
    __slots__ = ("name", "code", "flags", "precision", "scale")

    def __init__(self, name, code, flags=FLAG_NULLABLE, precision=0, scale=0):
        self.name, self.code, self.flags = name, code, flags
        self.precision, self.scale = precision, scale

    @property
    def nullable(self):
        return bool(self.flags & FLAG_NULLABLE)

    @property
    def output(self):
        return bool(self.flags & FLAG_OUTPUT)

    def __repr__(self):
        return "Field(%r, %s, flags=%d, p=%d, s=%d)" % (
            self.name, TYPE_NAMES.get(self.code, self.code), self.flags, self.precision, self.scale)


# ---------------------------------------------------------------- transport


class Conn:
    """Frame reader/writer over the data-plane socket (a connected SOCK_STREAM)."""

    def __init__(self, sock):
        self.sock = sock
        self.frames_in = 0
        self._hdr = bytearray(5)

    def _recv_exact(self, buf):
        view = memoryview(buf)
        got, size = 0, len(view)
        while got < size:
            try:
                k = self.sock.recv_into(view[got:])
            except InterruptedError:
                continue
            except OSError as exc:
                raise PeerGone("read data plane: %s" % exc) from exc
            if k == 0:
                raise PeerGone("host closed the data plane")
            got += k

    def read_header(self):
        """Reads one frame header; returns (frame type, checked payload length)."""
        self._recv_exact(self._hdr)
        length, ftype = struct.unpack_from("<IB", self._hdr)
        self.frames_in += 1
        if ftype > F_ERROR:
            raise ProtocolError("frame %d: unknown frame type %d" % (self.frames_in, ftype))
        if length > MAX_FRAME:
            raise ProtocolError("frame %d (%s): length %d exceeds limit %d"
                                % (self.frames_in, FRAME_NAMES[ftype], length, MAX_FRAME))
        return ftype, length

    def read_payload(self, length):
        payload = bytearray(length)
        self._recv_exact(payload)
        return payload

    def read_frame(self):
        """Returns (frame type, payload bytearray); one copy per frame."""
        ftype, length = self.read_header()
        return ftype, self.read_payload(length)

    def recv_into(self, view):
        """Fills the writable buffer view (a memoryview of bytes) from the stream."""
        self._recv_exact(view)

    def send(self, ftype, parts):
        """Sends one frame whose payload is the concatenation of parts (buffer
        objects), with vectored writes: the parts are never joined."""
        views = [memoryview(p).cast("B") for p in parts]
        length = sum(v.nbytes for v in views)
        if length > MAX_FRAME:
            raise OutputError("%s frame of %d bytes exceeds the %d-byte frame limit"
                              % (FRAME_NAMES[ftype], length, MAX_FRAME))
        views.insert(0, memoryview(struct.pack("<IB", length, ftype)))
        views = [v for v in views if v.nbytes]
        try:
            while views:
                sent = self.sock.sendmsg(views[:_MAX_IOV])
                # A stream socket may take part of the vector; resume after it.
                while sent:
                    if sent >= views[0].nbytes:
                        sent -= views[0].nbytes
                        views.pop(0)
                    else:
                        views[0] = views[0][sent:]
                        sent = 0
        except OSError as exc:
            raise PeerGone("write data plane: %s" % exc) from exc


class Reader:
    """Bounds-checked cursor over a payload."""

    def __init__(self, buf, start=0, end=None, what=""):
        self.buf, self.pos = buf, start
        self.end = len(buf) if end is None else end
        self.what = what

    def take(self, n):
        if n > self.end - self.pos:
            raise ProtocolError("%s: truncated at byte %d (need %d more, have %d)"
                                % (self.what, self.pos, n, self.end - self.pos))
        p = self.pos
        self.pos += n
        return p

    def u8(self):
        return self.buf[self.take(1)]

    def u32(self):
        return struct.unpack_from("<I", self.buf, self.take(4))[0]

    def u64(self):
        return struct.unpack_from("<Q", self.buf, self.take(8))[0]

    def string(self):
        n = self.u32()
        p = self.take(n)
        try:
            return str(memoryview(self.buf)[p:p + n], "utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("%s: string at byte %d is not UTF-8: %s" % (self.what, p, exc))

    def done(self):
        if self.pos != self.end:
            raise ProtocolError("%s: %d trailing bytes" % (self.what, self.end - self.pos))


def pad8(n):
    return -n & 7


def nbuffers(code):
    """Buffers per column of type code, validity included."""
    return 3 if code in (T_STR, T_BIN, T_DTO) else 2


# ---------------------------------------------------------------- dictionaries and schemas


def parse_dict(payload, what):
    r = Reader(payload, what=what)
    out = {}
    for _ in range(r.u32()):
        k = r.string()
        out[k] = r.string()
    r.done()
    return out


def encode_dict(d):
    parts = [struct.pack("<I", len(d))]
    for k, v in d.items():
        for s in (k, v):
            b = str(s).encode("utf-8", "replace")  # a traceback may hold lone surrogates
            parts.append(struct.pack("<I", len(b)))
            parts.append(b)
    return b"".join(parts)


def parse_schema(r):
    """Reads a schema from the Reader r; returns its Fields."""
    fields = []
    for i in range(r.u32()):
        name = r.string()
        code, flags, prec, scale = r.u8(), r.u8(), r.u8(), r.u8()
        where = "%s field %d (%r)" % (r.what, i, name)
        if code not in TYPE_NAMES:
            raise ProtocolError("%s: unknown type code %d" % (where, code))
        if flags & ~(FLAG_NULLABLE | FLAG_OUTPUT):
            raise ProtocolError("%s: unknown flag bits 0x%02x" % (where, flags))
        if code == T_DEC:
            if not 1 <= prec <= 38 or scale > prec:
                raise ProtocolError("%s: invalid decimal(%d,%d)" % (where, prec, scale))
        elif prec or scale:
            raise ProtocolError("%s: precision/scale set on a %s field" % (where, TYPE_NAMES[code]))
        fields.append(Field(name, code, flags, prec, scale))
    return fields


def encode_schema(fields):
    parts = [struct.pack("<I", len(fields))]
    for f in fields:
        b = f.name.encode("utf-8", "replace")
        parts.append(struct.pack("<I", len(b)))
        parts.append(b)
        parts.append(struct.pack("<BBBB", f.code, f.flags, f.precision, f.scale))
    return b"".join(parts)


# ---------------------------------------------------------------- record batches


def check_spans(spans, head, size, what):
    """Validates a batch's buffer table against a payload of size bytes whose
    table ends at head; returns the non-empty buffers as (offset, length, index)
    in payload order."""
    order = []
    for i, (off, ln) in enumerate(spans):
        if off % 8:
            raise ProtocolError("%s: buffer %d offset %d is not 8-byte aligned" % (what, i, off))
        if ln and (off < head or off > size or ln > size - off):
            raise ProtocolError("%s: buffer %d [%d,+%d) outside the payload (%d bytes, header %d)"
                                % (what, i, off, ln, size, head))
        if ln:
            order.append((off, ln, i))
    order.sort()
    for (o1, l1, i1), (o2, _, i2) in zip(order, order[1:]):
        if o1 + l1 > o2:
            raise ProtocolError("%s: buffers %d and %d overlap" % (what, i1, i2))
    return order


def check_len(cw, what, got, want):
    if got != want:
        raise ProtocolError("%s: %s buffer is %d bytes, want %d" % (cw, what, got, want))


def check_buffer_count(nbuf, fields, what):
    want = sum(nbuffers(f.code) for f in fields)
    if nbuf != want:
        raise ProtocolError("%s: %d buffers, schema needs %d" % (what, nbuf, want))


def read_batch_table(buf, start, end, fields, what):
    """Reads and checks the header of the batch in buf[start:end]; returns
    (rows, spans) with the spans as (absolute offset, length) per buffer."""
    r = Reader(buf, start, end, what)
    n = r.u32()
    nbuf = r.u32()
    check_buffer_count(nbuf, fields, what)
    spans = [(r.u64(), r.u64()) for _ in range(nbuf)]
    head = r.pos - start
    check_spans(spans, head + pad8(head), end - start, what)
    return n, [(start + off, ln) for off, ln in spans]


def decode_batch(buf, start, end, fields, what):
    """Decodes the batch in buf[start:end]; returns (rows, one list per column)."""
    n, spans = read_batch_table(buf, start, end, fields, what)
    view = memoryview(buf)
    cols, k = [], 0
    for f in fields:
        nb = nbuffers(f.code)
        bufs = [view[off:off + ln] for off, ln in spans[k:k + nb]]
        k += nb
        cols.append(decode_column(f, n, bufs, "%s column %r" % (what, f.name)))
    return n, cols


def bits(buf, n):
    """The first n bits of the little-endian bitmap buf as a list of bool."""
    if not n:
        return []
    text = format(int.from_bytes(buf, "little"), "0%db" % (8 * len(buf)))
    return [c == "1" for c in text[::-1][:n]]


def pack_bits(flags):
    value = 0
    for i, on in enumerate(flags):
        if on:
            value |= 1 << i
    return value.to_bytes((len(flags) + 7) // 8, "little")


def decode_validity(buf, n, cw):
    """The validity as a list of bool, or None when no row is NULL."""
    if len(buf) not in (0, (n + 7) // 8):
        raise ProtocolError("%s: validity is %d bytes, want 0 or %d" % (cw, len(buf), (n + 7) // 8))
    if not len(buf):
        return None
    valid = bits(buf, n)
    return None if all(valid) else valid


def decode_column(f, n, bufs, cw):
    """Decodes one column of n rows from its buffers (memoryviews, validity
    first); returns a list of Python values, None where NULL. Values outside
    the Python types' range are an InputError naming the column."""
    valid = decode_validity(bufs[0], n, cw)
    vals = _decode_values(f, n, bufs[1:], cw, valid)
    if valid is None:
        return vals
    return [v if ok else None for v, ok in zip(vals, valid)]


def _decode_values(f, n, bufs, cw, valid):
    code = f.code
    if code == T_BOOL:
        check_len(cw, "values", len(bufs[0]), (n + 7) // 8)
        return bits(bufs[0], n)
    if code in (T_STR, T_BIN):
        return _decode_varlen(f, n, bufs[0], bufs[1], cw)
    if code in (T_DEC, T_UUID):
        check_len(cw, "values", len(bufs[0]), 16 * n)
        raw = bytes(bufs[0])
        if code == T_UUID:
            return [uuid.UUID(bytes=raw[i:i + 16]) for i in range(0, 16 * n, 16)]
        return _decode_decimals(f, raw, n, cw, valid)
    fmt = "<%d%s" % (n, FIXED_FORMAT[code])
    check_len(cw, "values", len(bufs[0]), struct.calcsize(fmt))
    vals = struct.unpack(fmt, bufs[0])
    if code == T_DTO:
        check_len(cw, "offsets", len(bufs[1]), 2 * n)
        return _decode_dto(f, vals, struct.unpack("<%dh" % n, bufs[1]), valid)
    if code in (T_DATE, T_TIME, T_DT):
        return _decode_temporal(f, vals, valid)
    return list(vals)


def _decode_varlen(f, n, obuf, data, cw):
    if n == 0 and len(obuf) == 0:
        check_len(cw, "data", len(data), 0)
        return []
    check_len(cw, "offsets", len(obuf), 4 * (n + 1))
    offs = struct.unpack("<%di" % (n + 1), obuf)
    if offs[0] != 0 or offs[-1] != len(data) or any(a > b for a, b in zip(offs, offs[1:])):
        raise ProtocolError("%s: offsets do not run from 0 to the data length %d" % (cw, len(data)))
    raw = bytes(data)
    vals = [raw[a:b] for a, b in zip(offs, offs[1:])]
    if f.code == T_BIN:
        return vals
    try:
        return [str(v, "utf-8") for v in vals]
    except UnicodeDecodeError as exc:
        raise InputError("%s: invalid UTF-8: %s" % (cw, exc), f.name)


def _decode_decimals(f, raw, n, cw, valid):
    limit = 10 ** f.precision
    out = []
    for i in range(n):
        v = int.from_bytes(raw[16 * i:16 * i + 16], "little", signed=True)
        if abs(v) >= limit:
            if valid is not None and not valid[i]:
                out.append(None)
                continue
            raise InputError("%s: row %d: unscaled value %d exceeds decimal(%d,%d)"
                             % (cw, i, v, f.precision, f.scale), f.name)
        d = decimal.Decimal(v)
        out.append(d.scaleb(-f.scale, DEC_CTX) if f.scale else d)
    return out


def check_range(vals, valid, lo, hi, column, unit):
    """Raises InputError for the first non-NULL value outside lo..hi."""
    for i, v in enumerate(vals):
        if not lo <= v <= hi and (valid is None or valid[i]):
            raise InputError("input column %r: value %d %s outside the supported range %d..%d"
                             % (column, v, unit, lo, hi), column)


def _decode_temporal(f, vals, valid):
    out = []
    if f.code == T_DATE:
        check_range(vals, valid, MIN_DAY, MAX_DAY, f.name, "days")
        fromordinal = datetime.date.fromordinal
        for i, v in enumerate(vals):
            out.append(fromordinal(v + EPOCH_ORDINAL) if valid is None or valid[i] else None)
    elif f.code == T_TIME:
        check_range(vals, valid, 0, US_PER_DAY - 1, f.name, "microseconds")
        for i, v in enumerate(vals):
            out.append(time_from_us(v) if valid is None or valid[i] else None)
    else:
        check_range(vals, valid, MIN_US, MAX_US, f.name, "microseconds")
        for i, v in enumerate(vals):
            out.append(EPOCH + datetime.timedelta(microseconds=v) if valid is None or valid[i] else None)
    return out


def time_from_us(us):
    """The datetime.time us microseconds after midnight."""
    s, micro = divmod(us, 1_000_000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return datetime.time(h, m, s, micro)


_TZ_CACHE = {}


def timezone(minutes):
    """datetime.timezone of a UTC offset in minutes (cached: columns repeat few zones)."""
    tz = _TZ_CACHE.get(minutes)
    if tz is None:
        tz = _TZ_CACHE[minutes] = datetime.timezone(datetime.timedelta(minutes=minutes))
    return tz


def _decode_dto(f, us, zones, valid):
    check_range(zones, valid, -MAX_ZONE_MINUTES, MAX_ZONE_MINUTES, f.name, "offset minutes")
    local = [u + z * 60_000_000 for u, z in zip(us, zones)]
    check_range(local, valid, MIN_US, MAX_US, f.name, "local microseconds")
    out = []
    for i, (v, z) in enumerate(zip(local, zones)):
        if valid is None or valid[i]:
            out.append((EPOCH + datetime.timedelta(microseconds=v)).replace(tzinfo=timezone(z)))
        else:
            out.append(None)
    return out


def batch_parts(n, bufs):
    """Lays out a BATCH payload of n rows around bufs (buffer objects, in
    schema order); returns (parts for Conn.send, payload length). The buffers
    are referenced, never copied."""
    head = 8 + 16 * len(bufs)
    head += pad8(head)
    spans, parts, pos = [], [], head
    for buf in bufs:
        ln = memoryview(buf).nbytes
        spans.append((pos, ln))
        if ln:
            parts.append(buf)
            pad = pad8(ln)
            if pad:
                parts.append(ZEROS[:pad])
            pos += ln + pad
    header = bytearray(struct.pack("<II", n, len(bufs)))
    for off, ln in spans:
        header += struct.pack("<QQ", off, ln)
    header += ZEROS[:pad8(len(header))]
    return [header] + parts, pos


def encode_batch(fields, cols, n, where="output column"):
    """The BATCH parts for n rows of cols (lists, None = NULL), one per field."""
    bufs = []
    for f, vals in zip(fields, cols):
        bufs.extend(encode_column(f, vals, "%s %r" % (where, f.name)))
    return batch_parts(n, bufs)[0]


def encode_column(f, vals, where):
    """The buffers of one column (validity first) from a list of Python values
    (None = NULL); a value that does not fit f is an OutputError naming the column."""
    null = [v is None for v in vals]
    if any(null) and not f.nullable:
        raise OutputError("%s: NULL in a column that is not nullable" % where, f.name)
    validity = pack_bits([not z for z in null]) if any(null) else b""
    try:
        return [validity] + _encode_values(f, vals, where)
    except (TypeError, AttributeError, ValueError, OverflowError, struct.error,
            decimal.InvalidOperation) as exc:
        raise OutputError("%s: cannot encode as %s: %s" % (where, TYPE_NAMES.get(f.code, f.code), exc),
                          f.name)


def _encode_values(f, vals, where):
    code = f.code
    if code == T_BOOL:
        return [pack_bits([bool(v) for v in vals])]
    if code in (T_STR, T_BIN):
        return _encode_varlen(f, vals, where)
    if code == T_DEC:
        return [b"".join(unscaled_decimal(v, f.scale, f.precision, where, f.name)
                         .to_bytes(16, "little", signed=True) if v is not None else bytes(16) for v in vals)]
    if code == T_UUID:
        return [b"".join(bytes(16) if v is None else v.bytes for v in vals)]
    if code in INT_CODES:
        lo, hi = INT_RANGE[code]
        for v in vals:
            if v is not None and not lo <= v <= hi:
                raise OutputError("%s: %r does not fit %s" % (where, v, TYPE_NAMES[code]), f.name)
    if code == T_DTO:
        us, zones = dto_parts(vals, where, f.name)
        return [struct.pack("<%dq" % len(vals), *us), struct.pack("<%dh" % len(vals), *zones)]
    conv = {T_DATE: lambda d: d.toordinal() - EPOCH_ORDINAL, T_TIME: us_of_time,
            T_DT: lambda d: (d - EPOCH) // ONE_US}.get(code)
    zero = 0.0 if code in (T_F32, T_F64) else 0
    return [struct.pack("<%d%s" % (len(vals), FIXED_FORMAT[code]),
                        *[zero if v is None else (conv(v) if conv else v) for v in vals])]


def _encode_varlen(f, vals, where):
    if f.code == T_STR:
        try:
            data = [b"" if v is None else v.encode("utf-8") for v in vals]
        except UnicodeEncodeError as exc:
            raise OutputError("%s: string is not encodable as UTF-8: %s" % (where, exc), f.name)
    else:
        data = [b"" if v is None else bytes(v) for v in vals]
    offs, pos = [0], 0
    for d in data:
        pos += len(d)
        offs.append(pos)
    return [struct.pack("<%di" % len(offs), *offs), b"".join(data)]


def us_of_time(t):
    """Microseconds after midnight of a datetime.time."""
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def dto_parts(vals, where, column):
    """(µs since the epoch in UTC, offset minutes) per tz-aware datetime, 0 where None."""
    us, zones = [], []
    for d in vals:
        if d is None:
            us.append(0)
            zones.append(0)
            continue
        off = d.utcoffset()
        minutes, rest = divmod(off, datetime.timedelta(minutes=1))
        if rest or not -MAX_ZONE_MINUTES <= minutes <= MAX_ZONE_MINUTES:
            raise OutputError("%s: UTC offset %s of %s is not whole minutes within ±14:00"
                              % (where, off, d), column)
        us.append((d - EPOCH_UTC) // ONE_US)
        zones.append(minutes)
    return us, zones


def unscaled_decimal(d, scale, precision, where, column=None):
    """The unscaled integer of d at scale; OutputError when it needs more places or digits."""
    if not isinstance(d, decimal.Decimal):
        d = decimal.Decimal(d)
    if not d.is_finite():
        raise OutputError("%s: %s is not a finite decimal" % (where, d), column)
    q = d.scaleb(scale, DEC_CTX)
    if q != q.to_integral_value():
        raise OutputError("%s: %s has more than %d decimal places" % (where, d, scale), column)
    v = int(q)
    if abs(v) >= 10 ** precision:
        raise OutputError("%s: %s does not fit decimal(%d,%d)" % (where, d, precision, scale), column)
    return v


# ---------------------------------------------------------------- the conversation


def expect(conn, got, want):
    """Checks the type of the frame just read; ERROR from the host means it gave up."""
    if got == F_ERROR:
        raise PeerGone("host sent ERROR")
    if got != want:
        raise ProtocolError("frame %d: got %s, want %s"
                            % (conn.frames_in, FRAME_NAMES[got], FRAME_NAMES[want]))


def send_hello(conn):
    conn.send(F_HELLO, [MAGIC + struct.pack("<HH", MAJOR, MINOR)])


def read_hello(conn):
    ftype, payload = conn.read_frame()
    expect(conn, ftype, F_HELLO)
    if len(payload) != 8 or payload[:4] != MAGIC:
        raise ProtocolError("frame %d: bad HELLO (magic %r, %d bytes)"
                            % (conn.frames_in, bytes(payload[:4]), len(payload)))
    major, _minor = struct.unpack_from("<HH", payload, 4)
    if major != MAJOR:
        raise ProtocolError("host speaks BXL major version %d, runtime speaks %d" % (major, MAJOR))


def read_job(conn):
    """Reads JOB; returns its dictionary (script, input_name, output_name, ...)."""
    ftype, payload = conn.read_frame()
    expect(conn, ftype, F_JOB)
    return parse_dict(payload, "frame %d (JOB)" % conn.frames_in)


def read_params(conn):
    """Reads PARAMS; returns (fields, {name: value}) with None for NULL."""
    ftype, payload = conn.read_frame()
    expect(conn, ftype, F_PARAMS)
    what = "frame %d (PARAMS)" % conn.frames_in
    r = Reader(payload, what=what)
    slen = r.u32()
    sstart = r.take(slen)
    sr = Reader(payload, sstart, sstart + slen, what + " schema")
    fields = parse_schema(sr)
    sr.done()
    bstart = r.pos + pad8(r.pos)
    if bstart > len(payload):
        raise ProtocolError("%s: no record batch after the schema" % what)
    rows, cols = decode_batch(payload, bstart, len(payload), fields, what + " batch")
    if rows != (1 if fields else 0):
        raise ProtocolError("%s: batch has %d rows, want %d" % (what, rows, 1 if fields else 0))
    return fields, {f.name: c[0] for f, c in zip(fields, cols)}


def read_schema(conn):
    """Reads SCHEMA; returns the input's Fields."""
    ftype, payload = conn.read_frame()
    expect(conn, ftype, F_SCHEMA)
    r = Reader(payload, what="frame %d (SCHEMA)" % conn.frames_in)
    fields = parse_schema(r)
    r.done()
    return fields


def check_end(conn, payload, total):
    """Checks an END payload against the rows the batches held."""
    if len(payload) != 8:
        raise ProtocolError("frame %d: END payload is %d bytes, want 8" % (conn.frames_in, len(payload)))
    declared = struct.unpack_from("<Q", payload)[0]
    if declared != total:
        raise ProtocolError("frame %d: END says %d rows, batches held %d"
                            % (conn.frames_in, declared, total))


def read_batches(conn, fields):
    """Yields (rows, one list per column) for each BATCH up to a checked END."""
    total = 0
    while True:
        ftype, payload = conn.read_frame()
        if ftype != F_BATCH:
            expect(conn, ftype, F_END)
            check_end(conn, payload, total)
            return
        what = "frame %d (BATCH)" % conn.frames_in
        n, cols = decode_batch(payload, 0, len(payload), fields, what)
        total += n
        yield n, cols


def send_schema(conn, fields):
    conn.send(F_SCHEMA, [encode_schema(fields)])


def send_params(conn, fields, values, parts=None):
    """Sends PARAMS holding the OUTPUT params fields with values (a list, None
    = NULL). parts: the batch's parts when the caller encoded them itself."""
    schema = encode_schema(fields)
    head = struct.pack("<I", len(schema))
    if parts is None:
        parts = encode_batch(fields, [[v] for v in values], 1 if fields else 0, "OUTPUT param")
    conn.send(F_PARAMS, [head, schema, ZEROS[:pad8(len(head) + len(schema))]] + parts)


def send_end(conn, rows):
    conn.send(F_END, [struct.pack("<Q", rows)])


def send_query(conn, text):
    """Sends QUERY; the host answers SCHEMA BATCH* END, or ERROR (kind query)."""
    payload = encode_dict({"query": text})
    if len(payload) > MAX_QUERY:
        raise OutputError("query of %d bytes exceeds the %d-byte limit" % (len(payload), MAX_QUERY))
    conn.send(F_QUERY, [payload])


def send_error(conn, info):
    """Sends ERROR with the string items of info (kind, type, message, column,
    line, traceback); None values are left out."""
    conn.send(F_ERROR, [encode_dict({k: v for k, v in info.items() if v is not None})])


def error_info(exc):
    """The ERROR dictionary of a BxlError."""
    return {"kind": exc.kind, "type": type(exc).__name__, "message": str(exc), "column": exc.column}
