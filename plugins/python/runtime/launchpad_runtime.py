"""Launchpad Python runtime: runs one user script against a BXL data plane.

PythonLauncher starts this file as

    /usr/bin/python3 -I -B launchpad_runtime.py

with the job's private folder as working directory, file descriptor 3 = the BXL
data plane (a connected unix SOCK_STREAM socket, contract: docs/bxl.md) and
fds 1/2 = the user's stdout/stderr, which the launcher forwards to the caller.

Conversation (runtime side):

    send HELLO; read HELLO, JOB, PARAMS, SCHEMA, BATCH*, END (whole input first)
    build the input pandas DataFrame and the param variables, exec the script
    send [SCHEMA BATCH*] (only when the output variable is bound) PARAMS END
    or ERROR (kind script | output | input | protocol | internal)

Type mapping (BXL -> pandas, and back):

    bool            bool            (nullable field: pandas "boolean")
    int8..int64     numpy int       (nullable field: pandas "Int8".."Int64"; never float)
    float32/64      float32/64      NULL <-> NaN
    decimal         object Decimal  NULL <-> None
    string/binary   object str/bytes
    date / time     object datetime.date / datetime.time
    datetime        datetime64[ns]  NULL <-> NaT; outside pandas' ns range: object datetime
    datetimeoffset  object tz-aware datetime with datetime.timezone(offset)
    uuid            object uuid.UUID

Output columns are inferred from their dtype (object columns from their
non-null values; mixed types are an "output" error naming the column).

Only the standard library, numpy and pandas are needed (no pyarrow). Fixed-width
columns, validity and bool bitmaps are converted with numpy, never per row.

Exit status: 0 after END, 1 after ERROR was sent, 2 when the data plane failed
(host closed it, host sent ERROR, fd 3 missing), so nothing could be reported.
"""

import builtins
import gc
import datetime
import decimal
import linecache
import math
import mmap
import os
import socket
import struct
import sys
import traceback
import types
import uuid

import numpy as np
import pandas as pd

# Frame types.
F_HELLO, F_JOB, F_PARAMS, F_SCHEMA, F_BATCH, F_END, F_ERROR = range(7)
_FRAME_NAMES = ("HELLO", "JOB", "PARAMS", "SCHEMA", "BATCH", "END", "ERROR")

MAGIC = b"BXL1"
MAJOR, MINOR = 1, 0
MAX_FRAME = 256 << 20  # same default as the Go reader; also our largest output frame
BATCH_TARGET = 4 << 20  # buffer bytes per output batch
_MAX_IOV = 512  # stay well below IOV_MAX (1024) per sendmsg

# Type codes.
T_BOOL, T_I8, T_I16, T_I32, T_I64, T_F32, T_F64 = 1, 2, 3, 4, 5, 6, 7
T_DEC, T_STR, T_BIN, T_DATE, T_TIME, T_DT, T_DTO, T_UUID = 8, 9, 10, 11, 12, 13, 14, 15
TYPE_NAMES = {
    1: "bool", 2: "int8", 3: "int16", 4: "int32", 5: "int64", 6: "float32", 7: "float64",
    8: "decimal", 9: "string", 10: "binary", 11: "date", 12: "time", 13: "datetime",
    14: "datetimeoffset", 15: "uuid",
}
# numpy dtype of the (first) values buffer of fixed-width types.
_NP_DTYPE = {
    T_I8: np.dtype("<i1"), T_I16: np.dtype("<i2"), T_I32: np.dtype("<i4"), T_I64: np.dtype("<i8"),
    T_F32: np.dtype("<f4"), T_F64: np.dtype("<f8"), T_DATE: np.dtype("<i4"), T_TIME: np.dtype("<i8"),
    T_DT: np.dtype("<i8"), T_DTO: np.dtype("<i8"),
}
_INT_CODES = (T_I8, T_I16, T_I32, T_I64)
_PD_INT = {T_I8: "Int8", T_I16: "Int16", T_I32: "Int32", T_I64: "Int64"}
_INT_RANGE = {c: (-(1 << (8 * w - 1)), (1 << (8 * w - 1)) - 1)
              for c, w in ((T_I8, 1), (T_I16, 2), (T_I32, 4), (T_I64, 8))}

FLAG_NULLABLE, FLAG_OUTPUT = 1, 2

_US_PER_DAY = 86_400_000_000
_EPOCH = datetime.datetime(1970, 1, 1)
_EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_ONE_US = datetime.timedelta(microseconds=1)
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
# datetime.date/datetime range (years 1..9999) in days / microseconds since the epoch.
_MIN_DAY, _MAX_DAY = -719162, 2932896
_MIN_US, _MAX_US = -62135596800000000, 253402300799999999
# µs values whose ns form fits datetime64[ns] without hitting NaT (-2**63).
_NS_MIN_US, _NS_MAX_US = -(2**63 // 1000) + 1, (2**63 - 1) // 1000
# Wide enough for any 38-digit decimal times 10**±38, so scaleb never rounds.
_DEC_CTX = decimal.Context(prec=100, Emax=999999, Emin=-999999)
_ZEROS = bytes(8)


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


# ---------------------------------------------------------------- transport


class Conn:
    """Frame reader/writer over the data-plane socket."""

    def __init__(self, sock):
        self.sock = sock
        self.frames_in = 0
        self._hdr = bytearray(5)
        self._scratch = None

    def _recv_exact(self, buf):
        view = memoryview(buf)
        got, size = 0, len(buf)
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
                                % (self.frames_in, _FRAME_NAMES[ftype], length, MAX_FRAME))
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

    def release_scratch(self):
        self._scratch = None

    def scratch(self, size):
        """A reusable uint8 array of at least size bytes: one allocation for all
        batches instead of a fresh (zeroed, page-faulted) buffer per frame."""
        if self._scratch is None or len(self._scratch) < size:
            self._scratch = np.empty(max(size, 1 << 16), np.uint8)
        return self._scratch

    def send(self, ftype, parts):
        """Sends one frame whose payload is the concatenation of parts (buffer objects)."""
        views = [memoryview(p).cast("B") for p in parts]
        length = sum(v.nbytes for v in views)
        if length > MAX_FRAME:
            raise OutputError("%s frame of %d bytes exceeds the %d-byte frame limit"
                              % (_FRAME_NAMES[ftype], length, MAX_FRAME))
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

    def u16(self):
        return struct.unpack_from("<H", self.buf, self.take(2))[0]

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


def _pad8(n):
    return -n & 7


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
            b = s.encode("utf-8", "replace")  # a traceback may hold lone surrogates
            parts.append(struct.pack("<I", len(b)))
            parts.append(b)
    return b"".join(parts)


def parse_schema(r):
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


def _nbuffers(code):
    return 3 if code in (T_STR, T_BIN, T_DTO) else 2


# ---------------------------------------------------------------- decoding


def _check_spans(spans, head, size, what):
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


def _decode_validity(buf, off, ln, n, cw):
    """Returns the validity as a bool array, or None when no row is NULL."""
    if ln not in (0, (n + 7) // 8):
        raise ProtocolError("%s: validity is %d bytes, want 0 or %d" % (cw, ln, (n + 7) // 8))
    if not ln or not n:
        return None
    valid = np.unpackbits(np.frombuffer(buf, np.uint8, ln, off), count=n,
                          bitorder="little").view(np.bool_)
    return None if valid.all() else valid


def parse_batch(buf, start, end, fields, what):
    """Decodes the record batch in buf[start:end] into (rows, [(valid, values)] per column)."""
    r = Reader(buf, start, end, what)
    n = r.u32()
    nbuf = r.u32()
    want = sum(_nbuffers(f.code) for f in fields)
    if nbuf != want:
        raise ProtocolError("%s: %d buffers, schema needs %d" % (what, nbuf, want))
    spans = []
    for _ in range(nbuf):
        off, ln = r.u64(), r.u64()
        spans.append((off, ln))
    head = r.pos - start
    _check_spans(spans, head + _pad8(head), end - start, what)
    cols = []
    k = 0
    for f in fields:
        cw = "%s column %r" % (what, f.name)
        nb = _nbuffers(f.code)
        bufs = [(start + off, ln) for off, ln in spans[k:k + nb]]
        k += nb
        valid = _decode_validity(buf, bufs[0][0], bufs[0][1], n, cw)
        cols.append((valid, _decode_values(buf, f, n, bufs[1:], cw, valid)))
    return n, cols


class GrowArray:
    """A 1-D typed array that grows without copying or zero-filling.

    The memory is an anonymous mmap that mremap enlarges (mmap.resize), so a
    page costs memory only once it is written, and growing never copies:
    ndarray.resize would zero-fill (fault in) the whole new capacity, and
    per-batch arrays would need a final concatenate (a second copy).
    numpy arrays from np.frombuffer do not pin the map, so a view must not be
    kept across reserve (read_batch drops its views after each batch).
    """

    __slots__ = ("dtype", "map", "cap")

    def __init__(self, dtype):
        self.dtype, self.map, self.cap = np.dtype(dtype), None, 0

    def reserve(self, need):
        if need <= self.cap:
            return
        cap = max(need, 2 * self.cap, 1 << 16)
        if self.map is None:
            # Private: a shared anonymous map is a fixed-size shmem object, and
            # pages mremap adds beyond it fault (EFAULT/SIGBUS).
            self.map = mmap.mmap(-1, cap * self.dtype.itemsize, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        else:
            self.map.resize(cap * self.dtype.itemsize)
        self.cap = cap

    def view(self, a, b):
        """Rows a..b as a writable numpy array (drop it before the next reserve)."""
        return np.frombuffer(self.map, self.dtype, b - a, a * self.dtype.itemsize)

    def finish(self, rows):
        """Returns rows 0..rows as a numpy array; the GrowArray is spent."""
        m, self.map, self.cap = self.map, None, 0
        if not rows:
            return np.empty(0, self.dtype)
        m.resize(rows * self.dtype.itemsize)  # hand back the unused capacity
        return np.frombuffer(m, self.dtype)


class InputColumn:
    """One input column accumulated over the stream's batches.

    The row count is known only at END: fixed-width values go into a GrowArray
    that BATCH buffers are received straight into. Strings and binaries
    keep per-batch lists; other kinds per-batch arrays.
    """

    __slots__ = ("field", "rows", "valid", "values", "zones", "items", "parts")

    def __init__(self, field):
        self.field, self.rows, self.valid = field, 0, []
        self.values = self.zones = self.items = self.parts = None
        if field.code in _NP_DTYPE:
            self.values = GrowArray(_NP_DTYPE[field.code])
            if field.code == T_DTO:
                self.zones = GrowArray("<i2")
        elif field.code in (T_STR, T_BIN):
            self.items = []
        else:
            self.parts = []

    def reserve(self, n):
        """Makes room for n more rows in the fixed-width arrays."""
        if self.values is not None:
            self.values.reserve(self.rows + n)
            if self.zones is not None:
                self.zones.reserve(self.rows + n)

    def add(self, n, valid, vals=None):
        self.valid.append((n, valid))
        if self.items is not None:
            self.items.append(vals)
        elif self.parts is not None:
            self.parts.append(vals)
        self.rows += n

    def finish(self):
        """Returns (validity or None, values) over all batches."""
        valid = None
        if any(v is not None for _, v in self.valid):
            valid = np.concatenate([v if v is not None else np.ones(k, np.bool_) for k, v in self.valid])
        self.valid = []
        if self.values is not None:
            vals = self.values.finish(self.rows)
            if self.zones is not None:
                vals = (vals, self.zones.finish(self.rows))
        elif self.items is not None:
            vals = np.empty(self.rows, dtype=object)
            a = 0
            for part in self.items:  # one pass over the objects, no list.extend
                vals[a:a + len(part)] = part
                a += len(part)
        else:
            vals = _concat(self.parts, np.bool_ if self.field.code == T_BOOL else object)
        self.values = self.zones = self.items = self.parts = None
        return valid, vals


def read_batch(conn, length, cols, what):
    """Reads one BATCH payload of length bytes (its header already read) into
    cols, the InputColumns of the schema's fields; returns its row count.

    Fixed-width values are received straight into their column's array (one
    copy, kernel to array, like baseline (a)); validity bitmaps, strings and
    the other kinds pass through the connection's reused scratch buffer.
    """
    if length < 8:
        raise ProtocolError("%s: truncated at byte 0 (need 8 more, have %d)" % (what, length))
    n, nbuf = struct.unpack("<II", conn.read_payload(8))
    want = sum(_nbuffers(c.field.code) for c in cols)
    if nbuf != want:
        raise ProtocolError("%s: %d buffers, schema needs %d" % (what, nbuf, want))
    tlen = 16 * nbuf
    if tlen > length - 8:
        raise ProtocolError("%s: truncated at byte 8 (need %d more, have %d)" % (what, tlen, length - 8))
    flat = struct.unpack("<%dQ" % (2 * nbuf), conn.read_payload(tlen))
    spans = list(zip(flat[0::2], flat[1::2]))
    head = 8 + tlen
    order = _check_spans(spans, head + _pad8(head), length, what)

    direct = {}  # buffer index -> the column array slice it is received into
    k = 0
    for c in cols:
        if c.values is not None:
            cw = "%s column %r" % (what, c.field.name)
            _check_len(cw, "values", spans[k + 1][1], n * c.values.dtype.itemsize)
            if c.zones is not None:
                _check_len(cw, "offsets", spans[k + 2][1], n * 2)
            c.reserve(n)
            direct[k + 1] = c.values.view(c.rows, c.rows + n)
            if c.zones is not None:
                direct[k + 2] = c.zones.view(c.rows, c.rows + n)
        k += _nbuffers(c.field.code)
    scratch = conn.scratch(length)
    pos = head  # bytes of the payload consumed so far
    for off, ln, i in order:
        if off > pos:  # padding
            conn.recv_into(memoryview(scratch[pos:off]))
        dest = direct.pop(i, None)
        if dest is not None:
            conn.recv_into(memoryview(dest).cast("B"))
        else:
            conn.recv_into(memoryview(scratch[off:off + ln]))
        pos = off + ln
    dest = direct = None  # no view may outlive the read: the arrays grow by mremap
    if length > pos:
        conn.recv_into(memoryview(scratch[pos:length]))

    k = 0
    for c in cols:
        f = c.field
        cw = "%s column %r" % (what, f.name)
        nb = _nbuffers(f.code)
        valid = _decode_validity(scratch, spans[k][0], spans[k][1], n, cw)
        if c.values is not None:
            c.add(n, valid)
        else:
            c.add(n, valid, _decode_values(scratch, f, n, spans[k + 1:k + nb], cw, valid))
        k += nb
    return n


def _check_len(cw, what, got, want):
    if got != want:
        raise ProtocolError("%s: %s buffer is %d bytes, want %d" % (cw, what, got, want))


def _decode_values(buf, f, n, bufs, cw, valid):
    code = f.code
    off, ln = bufs[0]
    if code == T_BOOL:
        _check_len(cw, "values", ln, (n + 7) // 8)
        return np.unpackbits(np.frombuffer(buf, np.uint8, ln, off), count=n,
                             bitorder="little").view(np.bool_)
    if code in _NP_DTYPE:
        dt = _NP_DTYPE[code]
        _check_len(cw, "values", ln, n * dt.itemsize)
        vals = np.frombuffer(buf, dt, n, off)
        if code == T_DTO:
            zoff, zln = bufs[1]
            _check_len(cw, "offsets", zln, n * 2)
            return vals, np.frombuffer(buf, "<i2", n, zoff)
        return vals
    if code in (T_DEC, T_UUID):
        _check_len(cw, "values", ln, n * 16)
        if code == T_UUID:
            raw = bytes(memoryview(buf)[off:off + ln])
            out = _objects([uuid.UUID(bytes=raw[i:i + 16]) for i in range(0, ln, 16)])
        else:
            out = _objects(_decode_decimals(buf, off, n, f, cw, valid))
        if valid is not None:
            out[~valid] = None
        return out
    # string / binary: a list (NULL slots hold '' or b''; finish_column sets None)
    doff, dln = bufs[1]
    if n == 0 and ln == 0:
        _check_len(cw, "data", dln, 0)
        return []
    _check_len(cw, "offsets", ln, (n + 1) * 4)
    offs = np.frombuffer(buf, "<i4", n + 1, off)
    lens = np.diff(offs)
    if offs[0] != 0 or offs[-1] != dln or (n and lens.min() < 0):
        raise ProtocolError("%s: offsets do not run from 0 to the data length %d" % (cw, dln))
    data = np.frombuffer(buf, np.uint8, dln, doff)
    try:
        return _split_values(data, offs, lens, code == T_STR)
    except UnicodeDecodeError as exc:
        raise InputError("%s: invalid UTF-8: %s" % (cw, exc), f.name)


def _split_values(data, offs, lens, text):
    """Returns the n values data[offs[i]:offs[i+1]] as a list of str (text,
    UTF-8) or bytes.

    Python objects are built by str.split/bytes.split in C: the values are
    copied once with a separator byte after each (a byte the data does not
    hold; for text an ASCII one, which UTF-8 never uses inside a character),
    then split. That halves the cost of slicing value by value in Python, the
    wall of a string column. Data holding every candidate byte is sliced.
    """
    n = len(lens)
    if n <= 1:
        whole = bytes(data)
        return [str(whole, "utf-8") if text else whole] if n else []
    sep = 0
    if not data.all():
        free = np.flatnonzero(np.bincount(data, minlength=256)[:128 if text else 256] == 0)
        sep = int(free[0]) if len(free) else -1
    if sep < 0:
        raw, o = bytes(data), offs.tolist()
        if text:
            return [raw[a:b].decode("utf-8") for a, b in zip(o, o[1:])]
        return [raw[a:b] for a, b in zip(o, o[1:])]
    total = len(data)
    width = int(lens[0])
    if width and lens.min() == lens.max():  # fixed width (CHAR(n), codes): a strided copy
        pitched = np.empty((n, width + 1), np.uint8)
        pitched[:, :width] = data.reshape(n, width)
        pitched[:, width] = sep
        out = pitched.reshape(-1)[:-1]
    else:
        out = np.empty(total + n - 1, np.uint8)
        at = offs[1:-1].astype(np.int64)
        at += np.arange(n - 1)
        keep = np.ones(len(out), np.bool_)
        keep[at] = False
        out[at] = sep
        out[keep] = data
    if text:
        return str(out, "utf-8").split(chr(sep))
    return out.tobytes().split(bytes((sep,)))


def _objects(values):
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _decode_decimals(buf, off, n, f, cw, valid):
    words = np.frombuffer(buf, "<u8", 2 * n, off).reshape(n, 2)
    lo = words[:, 0].tolist()
    hi = words[:, 1].view("<i8").tolist()
    limit = 10 ** f.precision
    scale = f.scale
    out = []
    ok = valid.tolist() if valid is not None else None
    for i, (h, l) in enumerate(zip(hi, lo)):
        v = (h << 64) | l
        if abs(v) >= limit:
            if ok is not None and not ok[i]:
                out.append(None)
                continue
            raise InputError("%s: row %d: unscaled value %d exceeds decimal(%d,%d)"
                             % (cw, i, v, f.precision, scale), f.name)
        d = decimal.Decimal(v)
        out.append(d.scaleb(-scale, _DEC_CTX) if scale else d)
    return out


def _concat(arrays, dtype):
    if not arrays:
        return np.empty(0, dtype)
    if len(arrays) == 1 and arrays[0].dtype == object:
        return arrays[0]  # already our own array; copying would touch every object again
    return np.concatenate(arrays)


def finish_column(f, valid, vals):
    """Turns one input column (validity or None, values over all rows; for
    datetimeoffset a (values, zones) pair) into a pandas-ready array. vals is
    the caller's own writable array: NULL slots are overwritten in place."""
    code = f.code
    null = None if valid is None else ~valid
    where = "input column %r" % f.name
    if code == T_DTO:
        return _to_dto(vals[0], vals[1], null, where, f.name)
    if code == T_BOOL:
        if f.nullable or null is not None:
            return pd.arrays.BooleanArray(vals, np.zeros(len(vals), np.bool_) if null is None else null)
        return vals
    if code in _INT_CODES:
        if f.nullable or null is not None:
            return pd.arrays.IntegerArray(vals, np.zeros(len(vals), np.bool_) if null is None else null)
        return vals
    if code in (T_F32, T_F64):
        if null is not None:
            vals[null] = np.nan
        return vals
    if code in (T_DEC, T_STR, T_BIN, T_UUID):
        if null is not None:
            vals[null] = None
        return vals
    if null is not None:
        vals[null] = 0  # NULL slots are to be ignored; keep them out of range checks
    if code == T_DATE:
        _check_range(vals, _MIN_DAY, _MAX_DAY, where, f.name, "days")
        out = vals.astype("M8[D]").astype(object)
    elif code == T_TIME:
        _check_range(vals, 0, _US_PER_DAY - 1, where, f.name, "microseconds")
        out = _objects(list(map(datetime.datetime.time,
                                (vals.astype("m8[us]") + np.datetime64(0, "us")).astype(object))))
    else:  # T_DT
        if not len(vals) or (vals.min() >= _NS_MIN_US and vals.max() <= _NS_MAX_US):
            ns = np.multiply(vals, 1000, out=vals)  # in place: the column is ours
            if null is not None:
                ns[null] = np.iinfo(np.int64).min  # NaT
            return ns.view("M8[ns]")
        _check_range(vals, _MIN_US, _MAX_US, where, f.name, "microseconds")
        out = vals.astype("M8[us]").astype(object)
    if null is not None:
        out[null] = None
    return out


def _check_range(vals, lo, hi, where, column, unit):
    if len(vals) and (vals.min() < lo or vals.max() > hi):
        bad = vals[(vals < lo) | (vals > hi)][0]
        raise InputError("%s: value %d %s outside the supported range %d..%d"
                         % (where, bad, unit, lo, hi), column)


_TZ_CACHE = {}


def _tz(minutes):
    tz = _TZ_CACHE.get(minutes)
    if tz is None:
        tz = _TZ_CACHE[minutes] = datetime.timezone(datetime.timedelta(minutes=minutes))
    return tz


def _to_dto(vals, zones, null, where, column):
    vals = vals.copy()
    zones = zones.astype(np.int64)
    if null is not None:
        vals[null] = 0
        zones[null] = 0
    _check_range(zones, -840, 840, where, column, "offset minutes")
    local = vals + zones * 60_000_000
    _check_range(local, _MIN_US, _MAX_US, where, column, "local microseconds")
    naive = local.astype("M8[us]").astype(object)
    out = _objects([d.replace(tzinfo=_tz(z)) for d, z in zip(naive, zones.tolist())])
    if null is not None:
        out[null] = None
    return out


def build_frame(fields, cols, n):
    """Builds the input DataFrame from the finished InputColumns."""
    if not fields:
        return pd.DataFrame(index=pd.RangeIndex(n))
    arrays = []
    for c in cols:
        arrays.append(finish_column(c.field, *c.finish()))
    return frame_from_arrays(arrays, [f.name for f in fields], n)


def frame_from_arrays(arrays, names, n):
    """A DataFrame holding each array as its own block, without copying.

    pd.DataFrame({...}, copy=False) consolidates columns of one dtype into a
    2-D block, i.e. copies every numeric column once more. The block manager
    built with consolidate=False keeps the arrays as they are (pandas
    consolidates later only if an operation needs it). Falls back to the
    public constructor on a pandas without this internal API.
    """
    columns = pd.Index(names, dtype=object)
    index = pd.RangeIndex(n)
    try:
        from pandas.core.internals.construction import arrays_to_mgr
        mgr = arrays_to_mgr(arrays, columns, index, verify_integrity=False, typ="block",
                            consolidate=False)
        from_mgr = getattr(pd.DataFrame, "_from_mgr", None)
        return from_mgr(mgr, axes=mgr.axes) if from_mgr is not None else pd.DataFrame(mgr)
    except (ImportError, TypeError, AttributeError):
        df = pd.DataFrame(dict(enumerate(arrays)), index=index, copy=False)
        df.columns = columns
        return df


def param_values(fields, cols):
    """Python scalars (or None) for the 1-row params batch."""
    out = {}
    for f, (valid, data) in zip(fields, cols):
        if valid is not None and not valid[0]:
            out[f.name] = None
            continue
        code = f.code
        if code == T_DT:
            us = int(data[0])
            if not _MIN_US <= us <= _MAX_US:
                raise InputError("param %r: datetime %d µs out of range" % (f.name, us))
            out[f.name] = _EPOCH + datetime.timedelta(microseconds=us)
            continue
        if isinstance(data, list):
            data = _objects(data)
        v = finish_column(Field(f.name, code, 0, f.precision, f.scale), None, data)[0]
        out[f.name] = v.item() if isinstance(v, np.generic) else v
    return out


def read_input(conn):
    """Reads HELLO..END; returns (job dict, param fields, params, DataFrame)."""
    ftype, payload = conn.read_frame()
    _expect(conn, ftype, F_HELLO)
    if len(payload) != 8 or payload[:4] != MAGIC:
        raise ProtocolError("frame %d: bad HELLO (magic %r, %d bytes)"
                            % (conn.frames_in, bytes(payload[:4]), len(payload)))
    major, _minor = struct.unpack_from("<HH", payload, 4)
    if major != MAJOR:
        raise ProtocolError("host speaks BXL major version %d, runtime speaks %d" % (major, MAJOR))

    ftype, payload = conn.read_frame()
    _expect(conn, ftype, F_JOB)
    job = parse_dict(payload, "frame %d (JOB)" % conn.frames_in)

    ftype, payload = conn.read_frame()
    _expect(conn, ftype, F_PARAMS)
    what = "frame %d (PARAMS)" % conn.frames_in
    r = Reader(payload, what=what)
    slen = r.u32()
    sstart = r.take(slen)
    sr = Reader(payload, sstart, sstart + slen, what + " schema")
    pfields = parse_schema(sr)
    sr.done()
    bstart = r.pos + _pad8(r.pos)
    if bstart > len(payload):
        raise ProtocolError("%s: no record batch after the schema" % what)
    rows, pcols = parse_batch(payload, bstart, len(payload), pfields, what + " batch")
    if rows != (1 if pfields else 0):
        raise ProtocolError("%s: batch has %d rows, want %d" % (what, rows, 1 if pfields else 0))
    params = param_values(pfields, pcols)

    ftype, payload = conn.read_frame()
    _expect(conn, ftype, F_SCHEMA)
    r = Reader(payload, what="frame %d (SCHEMA)" % conn.frames_in)
    fields = parse_schema(r)
    # pandas keeps no decimal precision, and an object column with no values
    # has no type: remember the input's fields, so an output column of the
    # same name keeps its declared type when its values allow.
    INPUT_FIELDS.clear()
    INPUT_FIELDS.update((f.name, f) for f in fields)
    r.done()

    cols = [InputColumn(f) for f in fields]
    total = 0
    while True:
        ftype, length = conn.read_header()
        if ftype == F_BATCH:
            total += read_batch(conn, length, cols, "frame %d (BATCH)" % conn.frames_in)
            continue
        payload = conn.read_payload(length)
        _expect(conn, ftype, F_END)
        if len(payload) != 8:
            raise ProtocolError("frame %d: END payload is %d bytes, want 8" % (conn.frames_in, len(payload)))
        declared = struct.unpack_from("<Q", payload)[0]
        if declared != total:
            raise ProtocolError("frame %d: END says %d rows, batches held %d"
                                % (conn.frames_in, declared, total))
        break
    conn.release_scratch()
    return job, pfields, params, build_frame(fields, cols, total)


def _expect(conn, got, want):
    if got == F_ERROR:
        raise PeerGone("host sent ERROR")
    if got != want:
        raise ProtocolError("frame %d: got %s, want %s"
                            % (conn.frames_in, _FRAME_NAMES[got], _FRAME_NAMES[want]))


# ---------------------------------------------------------------- encoding


class OutCol:
    """One output column ready to be cut into batches.

    valid: bool array (True = not NULL) or None; values: bool array (T_BOOL),
    fixed: list of 1-D/2-D numpy arrays indexed by row, var: (int64 offsets n+1, bytes).
    """

    __slots__ = ("field", "valid", "bools", "fixed", "var")

    def __init__(self, field, valid=None, bools=None, fixed=(), var=None):
        self.field = field
        if valid is not None and valid.all():
            valid = None
        self.valid, self.bools, self.fixed, self.var = valid, bools, list(fixed), var

    def row_cost(self):
        """Fixed buffer bytes per row (variable data counted separately)."""
        c = (0.125 if self.valid is not None else 0) + (0.125 if self.bools is not None else 0)
        c += sum(a.itemsize * (a.shape[1] if a.ndim == 2 else 1) for a in self.fixed)
        return c + (4 if self.var is not None else 0)

    def buffers(self, a, b):
        out = [_packbits(self.valid[a:b]) if self.valid is not None and not self.valid[a:b].all()
               else b""]
        if self.bools is not None:
            out.append(_packbits(self.bools[a:b]))
        for arr in self.fixed:
            out.append(arr[a:b].reshape(-1).view(np.uint8))
        if self.var is not None:
            offs, data = self.var
            o = offs[a:b + 1]
            out.append((o - o[0]).astype("<i4").view(np.uint8))
            out.append(memoryview(data)[o[0]:o[-1]])
        return out


def _packbits(bools):
    return np.packbits(bools, bitorder="little")


def _le(arr, dtype):
    return np.ascontiguousarray(arr, dtype=np.dtype(dtype))


def _zero_nulls(vals, valid):
    if valid is not None and not valid.all():
        vals = vals.copy()
        vals[~valid] = 0
    return vals


def _strings_col(field, vals, valid, text=None):
    """vals: list of str ('' where NULL); text: "".join(vals) when the caller has it."""
    n = len(vals)
    try:
        if text is None:
            text = "".join(vals)
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise OutputError("output column %r: string is not encodable as UTF-8: %s"
                          % (field.name, exc), field.name)
    if len(data) == len(text):  # all ASCII: byte lengths are the str lengths (a C pass)
        offs = np.zeros(n + 1, np.int64)
        np.cumsum(np.fromiter(map(len, vals), np.int64, n), out=offs[1:])
        return OutCol(field, valid, var=(offs, data))
    del text, data
    # Join with NUL separators and find them with numpy: offsets without a per-value pass.
    # UTF-8 never puts a 0 byte inside a multi-byte character.
    joined = "\0".join(vals).encode("utf-8")
    buf = np.frombuffer(joined, np.uint8)
    zero = buf == 0
    seps = np.flatnonzero(zero)
    offs = np.empty(n + 1, np.int64)
    if n and len(seps) == n - 1:
        offs[0] = 0
        offs[1:n] = seps - np.arange(n - 1)
        offs[n] = len(joined) - (n - 1)
        data = buf[~zero] if n > 1 else buf
    else:  # some value holds a NUL character: measure each value
        enc = [v.encode("utf-8") for v in vals]
        offs[0] = 0
        np.cumsum(np.fromiter(map(len, enc), np.int64, n), out=offs[1:])
        data = b"".join(enc)
    return OutCol(field, valid, var=(offs, data))


def _binary_col(field, vals, valid):
    vals = [v if type(v) is bytes else bytes(v) for v in vals]
    offs = np.zeros(len(vals) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, vals), np.int64, len(vals)), out=offs[1:])
    return OutCol(field, valid, var=(offs, b"".join(vals)))


def _decimal_unscaled(d, scale, precision, where):
    if not d.is_finite():
        raise OutputError("%s: %s is not a finite decimal" % (where, d))
    q = d.scaleb(scale, _DEC_CTX)
    if q != q.to_integral_value():
        raise OutputError("%s: %s has more than %d decimal places" % (where, d, scale))
    v = int(q)
    if abs(v) >= 10 ** precision:
        raise OutputError("%s: %s does not fit decimal(%d,%d)" % (where, d, precision, scale))
    return v


def _decimal_col(field, vals, valid, where):
    """vals: list of Decimal (None where NULL); field carries precision/scale."""
    raw = b"".join((_decimal_unscaled(d, field.scale, field.precision, where) if d is not None else 0)
                   .to_bytes(16, "little", signed=True) for d in vals)
    return OutCol(field, valid, fixed=[np.frombuffer(raw, np.uint8).reshape(len(vals), 16)])


# Input fields by column name (see read_input).
INPUT_FIELDS = {}


def _objects_col(name, code, arr, valid, where, precision=0, scale=0):
    """Encodes an object array of canonical Python values (anything where NULL) as `code`."""
    n = len(arr)
    nulls = None if valid is None or valid.all() else ~valid
    field = Field(name, code, FLAG_NULLABLE, precision, scale)

    def filled(fill):
        if nulls is None:
            return arr.tolist()
        a = arr.copy()
        a[nulls] = fill
        return a.tolist()

    if code == T_STR:
        return _strings_col(field, filled(""), valid)
    if code == T_BIN:
        return _binary_col(field, filled(b""), valid)
    if code == T_BOOL:
        return OutCol(field, valid, bools=np.array(filled(False), dtype=np.bool_).reshape(n))
    if code in _INT_CODES:
        vv = filled(0)
        lo, hi = _INT_RANGE[code]
        if n and (min(vv) < lo or max(vv) > hi):
            bad = next(v for v in vv if not lo <= v <= hi)
            raise OutputError("%s: %r does not fit %s" % (where, bad, TYPE_NAMES[code]), name)
        return OutCol(field, valid, fixed=[np.array(vv, dtype=_NP_DTYPE[code]).reshape(n)])
    if code in (T_F32, T_F64):
        return OutCol(field, valid, fixed=[np.array(filled(0.0), dtype=_NP_DTYPE[code]).reshape(n)])
    if code == T_DEC:
        if not precision:
            finite = [d for d in filled(decimal.Decimal(0)) if d.is_finite()]
            top = max((max(0, -d.as_tuple().exponent) for d in finite), default=0)
            hint = INPUT_FIELDS.get(name)
            if hint is not None and hint.code == T_DEC and top <= hint.scale and all(
                    abs(d.scaleb(hint.scale, _DEC_CTX)) < 10 ** hint.precision for d in finite):
                field.precision, field.scale = hint.precision, hint.scale
            else:
                field.precision, field.scale = 38, top
            if field.scale > 38:
                raise OutputError("%s: scale %d above 38" % (where, field.scale), name)
        return _decimal_col(field, filled(None), valid, where)
    if code == T_UUID:
        zero = uuid.UUID(int=0)
        raw = b"".join(u.bytes for u in filled(zero))
        return OutCol(field, valid, fixed=[np.frombuffer(raw, np.uint8).reshape(n, 16)])
    if code == T_DATE:
        days = np.fromiter(map(datetime.date.toordinal, filled(datetime.date(1970, 1, 1))),
                           np.int64, n) - _EPOCH_ORDINAL
        return OutCol(field, valid, fixed=[days.astype("<i4")])
    if code == T_TIME:
        us = [((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond
              for t in filled(datetime.time())]
        return OutCol(field, valid, fixed=[np.array(us, dtype="<i8").reshape(n)])
    if code == T_DT:
        us = [(d - _EPOCH) // _ONE_US for d in filled(_EPOCH)]
        return OutCol(field, valid, fixed=[np.array(us, dtype="<i8").reshape(n)])
    if code == T_DTO:
        us, zones = [], []
        for d in filled(_EPOCH_UTC):
            off = d.utcoffset()
            minutes, rest = divmod(off, datetime.timedelta(minutes=1))
            if rest or not -840 <= minutes <= 840:
                raise OutputError("%s: UTC offset %s of %s is not whole minutes within ±14:00"
                                  % (where, off, d), name)
            us.append((d - _EPOCH_UTC) // _ONE_US)
            zones.append(minutes)
        return OutCol(field, valid, fixed=[np.array(us, dtype="<i8").reshape(n),
                                           np.array(zones, dtype="<i2").reshape(n)])
    raise OutputError("%s: cannot encode %s" % (where, TYPE_NAMES.get(code, code)), name)


# Object-column value classes, checked in order (bool before int, datetime before date).
_KINDS = (
    ((bool, np.bool_), T_BOOL, "bool"),
    ((int, np.integer), T_I64, "int"),
    ((float, np.floating), T_F64, "float"),
    ((str,), T_STR, "str"),
    ((bytes, bytearray, memoryview), T_BIN, "bytes"),
    ((decimal.Decimal,), T_DEC, "Decimal"),
    ((datetime.datetime, np.datetime64), T_DT, "datetime"),
    ((datetime.date,), T_DATE, "date"),
    ((datetime.time,), T_TIME, "time"),
    ((uuid.UUID,), T_UUID, "UUID"),
)


def _kind_of(t):
    for classes, code, label in _KINDS:
        if issubclass(t, classes):
            return code, label
    return None, t.__name__


# Value types pd.isna may call missing: a column holding none of them has no NULLs.
_MAYBE_NULL = (type(None), float, np.floating, decimal.Decimal, np.datetime64,
               type(pd.NA), type(pd.NaT))


def _object_col(name, arr):
    """Infers the BXL type of an object column from its non-null values."""
    where = "output column %r" % name
    if len(arr):
        # The common case, str values without NULLs, in one C pass: join
        # accepts nothing but str (subclasses included, as _kind_of does).
        vals = arr.tolist()
        try:
            text = "".join(vals)
        except TypeError:
            pass
        else:
            return _strings_col(Field(name, T_STR), vals, None, text)
        del vals
    types = set(map(type, arr))
    null, nonnull = None, arr
    if any(issubclass(t, _MAYBE_NULL) for t in types):  # pd.isna is a slow pass; skip it when we can
        null = np.asarray(pd.isna(arr), dtype=np.bool_)
        if null.any():
            nonnull = arr[~null]
            types = set(map(type, nonnull))
        else:
            null = None
    valid = None if null is None else ~null
    if not len(nonnull):
        hint = INPUT_FIELDS.get(name)
        if hint is not None:
            return _objects_col(name, hint.code, arr, valid, where, hint.precision, hint.scale)
        return _strings_col(Field(name, T_STR), [""] * len(arr), valid)
    kinds = {}
    for t in types:
        code, label = _kind_of(t)
        if code is None:
            raise OutputError("%s: unsupported value type %s" % (where, label), name)
        kinds.setdefault(code, t)
    if len(kinds) > 1:
        first = {}  # name the first two kinds in row order
        for v in nonnull.tolist():
            first.setdefault(_kind_of(type(v))[0], type(v).__name__)
            if len(first) == 2:
                break
        l1, l2 = first.values()
        raise OutputError("%s mixes types %s and %s" % (where, l1, l2), name)
    code = next(iter(kinds))
    if code == T_DT:
        if np.datetime64 in types:
            arr = _objects([pd.Timestamp(v) if isinstance(v, np.datetime64) else v for v in arr.tolist()])
            nonnull = arr if null is None else arr[~null]
        aware = {v.tzinfo is not None and v.utcoffset() is not None for v in nonnull.tolist()}
        if len(aware) > 1:
            raise OutputError("%s mixes types tz-aware datetime and naive datetime" % where, name)
        if aware == {True}:
            code = T_DTO
    if code == T_TIME and any(t.tzinfo is not None for t in nonnull.tolist()):
        raise OutputError("%s: tz-aware datetime.time is not supported" % where, name)
    return _objects_col(name, code, arr, valid, where)


def prepare_column(name, s):
    """Maps one pandas Series to an OutCol."""
    dt = s.dtype
    where = "output column %r" % name
    if isinstance(dt, pd.CategoricalDtype):
        cats = _objects([str(c) for c in dt.categories] + [""])
        codes = s.cat.codes.to_numpy()
        valid = codes >= 0
        return _strings_col(Field(name, T_STR), cats[np.where(valid, codes, -1)].tolist(), valid)
    if isinstance(dt, pd.DatetimeTZDtype):
        local = s.dt.tz_localize(None).to_numpy().view("<i8")
        utc = s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().view("<i8")
        valid = local != np.iinfo(np.int64).min
        diff = _zero_nulls(local - utc, valid)
        if (diff % 60_000_000_000).any():
            raise OutputError("%s: time zone %s has offsets that are not whole minutes" % (where, dt.tz), name)
        zones = diff // 60_000_000_000
        if np.abs(zones).max(initial=0) > 840:
            raise OutputError("%s: UTC offset beyond ±14:00" % where, name)
        return OutCol(Field(name, T_DTO), valid,
                      fixed=[_zero_nulls(utc // 1000, valid), zones.astype("<i2")])
    if isinstance(dt, pd.StringDtype):
        valid = ~np.asarray(s.isna(), dtype=np.bool_)
        return _strings_col(Field(name, T_STR),
                            s.to_numpy(dtype=object, na_value="").tolist(), valid)
    if isinstance(dt, pd.BooleanDtype):
        valid = ~np.asarray(s.isna(), dtype=np.bool_)
        return OutCol(Field(name, T_BOOL), valid, bools=s.to_numpy(dtype=np.bool_, na_value=False))
    if isinstance(dt, pd.api.extensions.ExtensionDtype) and getattr(dt, "numpy_dtype", None) is not None \
            and dt.kind in "iuf":  # pandas' masked Int*/UInt*/Float* dtypes
        np_dt = dt.numpy_dtype
        valid = ~np.asarray(s.isna(), dtype=np.bool_)
        vals = s.to_numpy(dtype=np_dt, na_value=0)
        if np_dt.kind == "f":
            valid &= ~np.isnan(vals)
        return _numeric_col(name, vals, valid, where)
    if isinstance(dt, pd.api.extensions.ExtensionDtype):
        raise OutputError("%s: unsupported dtype %s" % (where, dt), name)
    if dt == object:
        return _object_col(name, s.to_numpy())
    if dt.kind == "M":
        i8 = s.to_numpy().view("<i8")
        valid = i8 != np.iinfo(np.int64).min
        # Floor division keeps pre-1970 sub-µs values on the right microsecond.
        return OutCol(Field(name, T_DT), valid, fixed=[_zero_nulls(i8 // 1000, valid)])
    if dt.kind in "biuf":
        vals = s.to_numpy()
        valid = None
        if dt.kind == "f":
            nan = np.isnan(vals)
            if nan.any():
                valid = ~nan
        return _numeric_col(name, vals, valid, where)
    raise OutputError("%s: unsupported dtype %s" % (where, dt), name)


def _numeric_col(name, vals, valid, where):
    dt = vals.dtype
    if dt.kind == "b":
        return OutCol(Field(name, T_BOOL, FLAG_NULLABLE if valid is not None else 0),
                      valid, bools=np.ascontiguousarray(vals))
    if dt.kind == "f":
        code, target = (T_F32, "<f4") if dt.itemsize <= 4 else (T_F64, "<f8")
        if dt.itemsize > 8:
            raise OutputError("%s: unsupported dtype %s" % (where, dt), name)
        return OutCol(Field(name, code), valid, fixed=[_zero_nulls(_le(vals, target), valid)])
    size = dt.itemsize
    if dt.kind == "u":
        if size == 8:
            live = vals if valid is None else vals[valid]
            if live.max(initial=0) > np.iinfo(np.int64).max:
                raise OutputError("%s: uint64 value %d is above the int64 range"
                                  % (where, live.max()), name)
        else:
            size *= 2  # the smallest signed type that holds every value
    code = {1: T_I8, 2: T_I16, 4: T_I32, 8: T_I64}[size]
    flags = FLAG_NULLABLE if valid is not None else 0
    return OutCol(Field(name, code, flags), valid,
                  fixed=[_zero_nulls(_le(vals, _NP_DTYPE[code]), valid)])


def prepare_frame(df):
    return [prepare_column(str(name), df.iloc[:, i]) for i, name in enumerate(df.columns)]


def encode_batch(cols, a, b):
    """Returns the BATCH payload for rows a..b as a list of buffers."""
    bufs = []
    for c in cols:
        bufs.extend(c.buffers(a, b))
    head = 8 + 16 * len(bufs)
    head += _pad8(head)
    spans, parts, pos = [], [], head
    for buf in bufs:
        ln = memoryview(buf).nbytes
        spans.append((pos, ln))
        if ln:
            parts.append(buf)
            pad = _pad8(ln)
            if pad:
                parts.append(_ZEROS[:pad])
            pos += ln + pad
    header = bytearray(struct.pack("<II", b - a, len(bufs)))
    for off, ln in spans:
        header += struct.pack("<QQ", off, ln)
    header += _ZEROS[:_pad8(len(header))]
    return [header] + parts, pos


def batch_bounds(cols, n):
    """Row ranges of about BATCH_TARGET buffer bytes each."""
    if n == 0:
        return []
    fixed = sum(c.row_cost() for c in cols) or 1.0
    var = [c.var[0] for c in cols if c.var is not None]
    if not var:
        step = max(1, int(BATCH_TARGET // fixed))
        return [(a, min(n, a + step)) for a in range(0, n, step)]
    cost = np.arange(n + 1, dtype=np.float64) * fixed
    for offs in var:
        cost += offs
    out, a = [], 0
    while a < n:
        b = int(np.searchsorted(cost, cost[a] + BATCH_TARGET, side="right")) - 1
        b = min(n, max(b, a + 1))
        out.append((a, b))
        a = b
    return out


def send_dataset(conn, df):
    """Sends SCHEMA and BATCH frames for df; returns the row count."""
    cols = prepare_frame(df)
    n = len(df)
    conn.send(F_SCHEMA, [encode_schema([c.field for c in cols])])
    for a, b in batch_bounds(cols, n):
        parts, _ = encode_batch(cols, a, b)
        conn.send(F_BATCH, parts)
    return n


# ---------------------------------------------------------------- params out


def _is_null(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return v != v
    if isinstance(v, np.datetime64):
        return bool(np.isnat(v))
    if isinstance(v, decimal.Decimal):
        return v.is_nan()
    return False


def coerce_param(f, v):
    """Converts the script's value of OUTPUT param f to f's declared type."""
    if _is_null(v):
        if not f.nullable:
            raise OutputError("param %r is not nullable but the script left it None" % f.name)
        return None
    code = f.code

    def bad(why=None):
        return OutputError("param %r (%s): %s" % (
            f.name, TYPE_NAMES[code], why or "cannot convert %s value %r" % (type(v).__name__, v)))

    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v)
    elif isinstance(v, np.generic):
        v = v.item()
    if code == T_BOOL:
        if isinstance(v, bool):
            return v
        if isinstance(v, int) and v in (0, 1):
            return bool(v)
        raise bad()
    if code in _INT_CODES:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        elif isinstance(v, decimal.Decimal) and v.is_finite() and v == v.to_integral_value():
            v = int(v)
        if not isinstance(v, int):
            raise bad()
        lo, hi = _INT_RANGE[code]
        if not lo <= v <= hi:
            raise bad("%d is out of range" % v)
        return int(v)
    if code in (T_F32, T_F64):
        if isinstance(v, bool) or not isinstance(v, (int, float, decimal.Decimal)):
            raise bad()
        try:
            x = float(v)
        except OverflowError:
            raise bad("%r is out of range" % v)
        if code == T_F32 and math.isfinite(x) and abs(x) > float(np.finfo(np.float32).max):
            raise bad("%r is out of range" % v)
        return x
    if code == T_DEC:
        if isinstance(v, bool) or not isinstance(v, (int, float, decimal.Decimal)):
            raise bad()
        d = v if isinstance(v, decimal.Decimal) else decimal.Decimal(v)
        if not d.is_finite():
            raise bad("%r is not finite" % v)
        d = d.quantize(decimal.Decimal(1).scaleb(-f.scale), decimal.ROUND_HALF_EVEN, _DEC_CTX)
        if abs(d.scaleb(f.scale, _DEC_CTX)) >= 10 ** f.precision:
            raise bad("%s does not fit decimal(%d,%d)" % (d, f.precision, f.scale))
        return d
    if code == T_STR:
        if isinstance(v, str):
            return str(v)
        raise bad()
    if code == T_BIN:
        if isinstance(v, (bytes, bytearray, memoryview)):
            return bytes(v)
        raise bad()
    if code == T_DATE:
        if isinstance(v, datetime.datetime):
            if v.tzinfo is None and v.time() == datetime.time():
                return v.date()
            raise bad("a datetime with a time of day or zone is not a date")
        if isinstance(v, datetime.date):
            return v
        raise bad()
    if code == T_TIME:
        if isinstance(v, datetime.time) and v.tzinfo is None:
            return v
        raise bad()
    if code == T_DT:
        if isinstance(v, datetime.datetime):
            if v.tzinfo is not None:
                raise bad("a tz-aware datetime needs a datetimeoffset param")
            return v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
        if isinstance(v, datetime.date):
            return datetime.datetime(v.year, v.month, v.day)
        raise bad()
    if code == T_DTO:
        if isinstance(v, datetime.datetime) and v.utcoffset() is not None:
            return v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
        raise bad("needs a tz-aware datetime")
    if code == T_UUID:
        if isinstance(v, uuid.UUID):
            return v
        raise bad()
    raise bad()


def send_out_params(conn, pfields, namespace):
    fields, cols = [], []
    for f in pfields:
        if not f.output:
            continue
        if f.name not in namespace:
            raise OutputError("OUTPUT param %r is no longer defined after the script" % f.name)
        v = coerce_param(f, namespace[f.name])
        valid = np.array([v is not None])
        col = _objects_col(f.name, f.code, _objects([v]), valid, "OUTPUT param %r" % f.name,
                           f.precision, f.scale)
        col.field = Field(f.name, f.code, f.flags, f.precision, f.scale)
        fields.append(col.field)
        cols.append(col)
    schema = encode_schema(fields)
    head = struct.pack("<I", len(schema))
    pad = _pad8(len(head) + len(schema))
    parts, _ = encode_batch(cols, 0, 1 if fields else 0)
    conn.send(F_PARAMS, [head, schema, _ZEROS[:pad]] + parts)


# ---------------------------------------------------------------- script


class ScriptFailed(Exception):
    def __init__(self, info):
        super().__init__(info.get("message", ""))
        self.info = info


def run_script(job, params, frame):
    """Executes the script; returns its namespace. Raises ScriptFailed."""
    script = job.get("script", "")
    linecache.cache["<script>"] = (len(script), None, script.splitlines(True), "<script>")
    try:
        code = compile(script, "<script>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        info = {"kind": "script", "type": type(exc).__name__, "message": str(exc),
                "traceback": "".join(traceback.format_exception_only(type(exc), exc))}
        if exc.lineno:
            info["line"] = str(exc.lineno)
        raise ScriptFailed(info)
    module = types.ModuleType("__main__")
    ns = module.__dict__
    ns["__builtins__"] = builtins
    ns.update(params)
    ns[job.get("input_name") or "InputDataSet"] = frame
    # pickle/multiprocessing look functions up in sys.modules["__main__"].
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        exec(code, ns)
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise ScriptFailed(_script_error(exc, "script called exit(%r)" % (exc.code,)))
    except BaseException as exc:  # the user's KeyboardInterrupt etc. is a script error too
        raise ScriptFailed(_script_error(exc))
    finally:
        sys.modules["__main__"] = saved
    return ns


def _script_error(exc, message=None):
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != "<script>":
        tb = tb.tb_next
    line = None
    t = tb
    while t is not None:
        if t.tb_frame.f_code.co_filename == "<script>":
            line = t.tb_lineno
        t = t.tb_next
    if isinstance(exc, SyntaxError) and exc.filename == "<script>" and exc.lineno:
        line = exc.lineno  # compile()/exec() of script text inside the script
    info = {"kind": "script", "type": type(exc).__name__,
            "message": message if message is not None else str(exc),
            "traceback": "".join(traceback.format_exception(type(exc), exc, tb))}
    if line is not None:
        info["line"] = str(line)
    return info


# ---------------------------------------------------------------- main


def _flush_stdio():
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # a script may have closed or replaced them
            pass


def _send_error(conn, info):
    _flush_stdio()
    conn.send(F_ERROR, [encode_dict({k: v for k, v in info.items() if v is not None})])


def serve(conn):
    """Runs one job over conn; returns the process exit status."""
    conn.send(F_HELLO, [MAGIC + struct.pack("<HH", MAJOR, MINOR)])
    # Decoding and encoding make millions of objects but no reference
    # cycles: the cyclic collector only costs time there. The user's script
    # runs with it on, as Python's default.
    gc.disable()
    try:
        job, pfields, params, frame = read_input(conn)
        try:
            gc.enable()
            ns = run_script(job, params, frame)
            gc.disable()
        except ScriptFailed as failed:
            _send_error(conn, failed.info)
            return 1
        del frame
        out_name = job.get("output_name") or "OutputDataSet"
        total = 0
        if out_name in ns and ns[out_name] is not None:
            out = ns[out_name]
            if not isinstance(out, pd.DataFrame):
                raise OutputError("%s must be a pandas DataFrame, got %s"
                                  % (out_name, type(out).__name__))
            total = send_dataset(conn, out)
        send_out_params(conn, pfields, ns)
        _flush_stdio()
        conn.send(F_END, [struct.pack("<Q", total)])
        return 0
    except BxlError as exc:
        _send_error(conn, {"kind": exc.kind, "type": type(exc).__name__, "message": str(exc),
                           "column": exc.column})
        return 1


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
