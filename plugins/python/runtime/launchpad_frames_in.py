"""Input decoding of the Launchpad Python runtime: BXL batches into a pandas DataFrame.

Fixed-width columns are received straight from the socket into growing numpy
arrays (one copy, kernel to array); validity and bool bitmaps, strings and
the other kinds are converted with numpy, never value by value in Python
where numpy can do it. Framing, schemas and the batch table's checks come
from launchpad_bxl.

Type mapping (BXL -> pandas):

    bool            bool            (nullable field: pandas "boolean")
    int8..int64     numpy int8..int64 when the column holds no NULL; with NULLs
                    float64 (NULL -> NaN) when every value is within +-2**53 (exact
                    as a double, as pandas.read_sql gives), else pandas "Int64"
    float32/64      float32/64      NULL -> NaN
    decimal         object Decimal  NULL -> None
    string/binary   object str/bytes
    date / time     object datetime.date / datetime.time
    datetime        datetime64[ns]  NULL -> NaT; outside pandas' ns range: object datetime
    datetimeoffset  object tz-aware datetime with datetime.timezone(offset)
    uuid            object uuid.UUID
"""

import datetime
import decimal
import mmap
import struct
import uuid

import numpy as np
import pandas as pd

import launchpad_bxl as bxl
from launchpad_bxl import (T_BOOL, T_DATE, T_DEC, T_DT, T_DTO, T_F32, T_F64, T_I8, T_I16, T_I32,
                           T_I64, T_STR, T_BIN, T_TIME, T_UUID, INT_CODES, ProtocolError, InputError,
                           check_len)

# numpy dtype of the (first) values buffer of fixed-width types.
NP_DTYPE = {
    T_I8: np.dtype("<i1"), T_I16: np.dtype("<i2"), T_I32: np.dtype("<i4"), T_I64: np.dtype("<i8"),
    T_F32: np.dtype("<f4"), T_F64: np.dtype("<f8"), T_DATE: np.dtype("<i4"), T_TIME: np.dtype("<i8"),
    T_DT: np.dtype("<i8"), T_DTO: np.dtype("<i8"),
}
# µs values whose ns form fits datetime64[ns] without hitting NaT (-2**63).
_NS_MIN_US, _NS_MAX_US = -(2**63 // 1000) + 1, (2**63 - 1) // 1000


def read_dataset(conn):
    """Reads SCHEMA, BATCH* and END; returns (input fields, DataFrame)."""
    fields = bxl.read_schema(conn)
    return fields, read_rows(conn, fields)


def read_rows(conn, fields, on_error=None):
    """Reads BATCH* and END of fields; returns the DataFrame. on_error, when
    set, makes an ERROR in place of END raise on_error(payload) (a query's
    answer may end so) instead of PeerGone."""
    cols = [InputColumn(f) for f in fields]
    scratch = Scratch()
    total = 0
    while True:
        ftype, length = conn.read_header()
        if ftype == bxl.F_BATCH:
            total += read_batch(conn, scratch, length, cols, "frame %d (BATCH)" % conn.frames_in)
            continue
        payload = conn.read_payload(length)
        if ftype == bxl.F_ERROR and on_error is not None:
            raise on_error(payload)
        bxl.expect(conn, ftype, bxl.F_END)
        bxl.check_end(conn, payload, total)
        del scratch
        return build_frame(fields, cols, total)


class Scratch:
    """A reusable uint8 array for the parts of a batch not received in place:
    one allocation for all batches instead of a fresh (zeroed, page-faulted)
    buffer per frame."""

    __slots__ = ("array",)

    def __init__(self):
        self.array = None

    def get(self, size):
        """An array of at least size bytes."""
        if self.array is None or len(self.array) < size:
            self.array = np.empty(max(size, 1 << 16), np.uint8)
        return self.array


def _decode_validity(buf, off, ln, n, cw):
    """Returns the validity as a bool array, or None when no row is NULL."""
    if ln not in (0, (n + 7) // 8):
        raise ProtocolError("%s: validity is %d bytes, want 0 or %d" % (cw, ln, (n + 7) // 8))
    if not ln or not n:
        return None
    valid = np.unpackbits(np.frombuffer(buf, np.uint8, ln, off), count=n,
                          bitorder="little").view(np.bool_)
    return None if valid.all() else valid


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
        if field.code in NP_DTYPE:
            self.values = GrowArray(NP_DTYPE[field.code])
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


def read_batch(conn, scratch, length, cols, what):
    """Reads one BATCH payload of length bytes (its header already read) into
    cols, the InputColumns of the schema's fields; returns its row count.

    Fixed-width values are received straight into their column's array (one
    copy, kernel to array, like baseline (a)); validity bitmaps, strings and
    the other kinds pass through scratch (a Scratch).
    """
    if length < 8:
        raise ProtocolError("%s: truncated at byte 0 (need 8 more, have %d)" % (what, length))
    n, nbuf = struct.unpack("<II", conn.read_payload(8))
    bxl.check_buffer_count(nbuf, [c.field for c in cols], what)
    tlen = 16 * nbuf
    if tlen > length - 8:
        raise ProtocolError("%s: truncated at byte 8 (need %d more, have %d)" % (what, tlen, length - 8))
    flat = struct.unpack("<%dQ" % (2 * nbuf), conn.read_payload(tlen))
    spans = list(zip(flat[0::2], flat[1::2]))
    head = 8 + tlen
    order = bxl.check_spans(spans, head + bxl.pad8(head), length, what)

    direct = {}  # buffer index -> the column array slice it is received into
    k = 0
    for c in cols:
        if c.values is not None:
            cw = "%s column %r" % (what, c.field.name)
            check_len(cw, "values", spans[k + 1][1], n * c.values.dtype.itemsize)
            if c.zones is not None:
                check_len(cw, "offsets", spans[k + 2][1], n * 2)
            c.reserve(n)
            direct[k + 1] = c.values.view(c.rows, c.rows + n)
            if c.zones is not None:
                direct[k + 2] = c.zones.view(c.rows, c.rows + n)
        k += bxl.nbuffers(c.field.code)
    buf = scratch.get(length)
    pos = head  # bytes of the payload consumed so far
    for off, ln, i in order:
        if off > pos:  # padding
            conn.recv_into(memoryview(buf[pos:off]))
        dest = direct.pop(i, None)
        if dest is not None:
            conn.recv_into(memoryview(dest).cast("B"))
        else:
            conn.recv_into(memoryview(buf[off:off + ln]))
        pos = off + ln
    dest = direct = None  # no view may outlive the read: the arrays grow by mremap
    if length > pos:
        conn.recv_into(memoryview(buf[pos:length]))

    k = 0
    for c in cols:
        f = c.field
        cw = "%s column %r" % (what, f.name)
        nb = bxl.nbuffers(f.code)
        valid = _decode_validity(buf, spans[k][0], spans[k][1], n, cw)
        if c.values is not None:
            c.add(n, valid)
        else:
            c.add(n, valid, _decode_values(buf, f, n, spans[k + 1:k + nb], cw, valid))
        k += nb
    return n


def _decode_values(buf, f, n, bufs, cw, valid):
    code = f.code
    off, ln = bufs[0]
    if code == T_BOOL:
        check_len(cw, "values", ln, (n + 7) // 8)
        return np.unpackbits(np.frombuffer(buf, np.uint8, ln, off), count=n,
                             bitorder="little").view(np.bool_)
    if code in NP_DTYPE:
        dt = NP_DTYPE[code]
        check_len(cw, "values", ln, n * dt.itemsize)
        vals = np.frombuffer(buf, dt, n, off)
        if code == T_DTO:
            zoff, zln = bufs[1]
            check_len(cw, "offsets", zln, n * 2)
            return vals, np.frombuffer(buf, "<i2", n, zoff)
        return vals
    if code in (T_DEC, T_UUID):
        check_len(cw, "values", ln, n * 16)
        if code == T_UUID:
            raw = bytes(memoryview(buf)[off:off + ln])
            out = object_array([uuid.UUID(bytes=raw[i:i + 16]) for i in range(0, ln, 16)])
        else:
            out = object_array(_decode_decimals(buf, off, n, f, cw, valid))
        if valid is not None:
            out[~valid] = None
        return out
    # string / binary: a list (NULL slots hold '' or b''; finish_column sets None)
    doff, dln = bufs[1]
    if n == 0 and ln == 0:
        check_len(cw, "data", dln, 0)
        return []
    check_len(cw, "offsets", ln, (n + 1) * 4)
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


def object_array(values):
    """A 1-D object array of values (np.array would make a 2-D array of sequences)."""
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
        out.append(d.scaleb(-scale, bxl.DEC_CTX) if scale else d)
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
    if code in INT_CODES:
        return _int_column(vals, null)
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
        _check_range(vals, bxl.MIN_DAY, bxl.MAX_DAY, where, f.name, "days")
        out = vals.astype("M8[D]").astype(object)
    elif code == T_TIME:
        _check_range(vals, 0, bxl.US_PER_DAY - 1, where, f.name, "microseconds")
        out = object_array(list(map(datetime.datetime.time,
                                (vals.astype("m8[us]") + np.datetime64(0, "us")).astype(object))))
    else:  # T_DT
        if not len(vals) or (vals.min() >= _NS_MIN_US and vals.max() <= _NS_MAX_US):
            ns = np.multiply(vals, 1000, out=vals)  # in place: the column is ours
            if null is not None:
                ns[null] = np.iinfo(np.int64).min  # NaT
            return ns.view("M8[ns]")
        _check_range(vals, bxl.MIN_US, bxl.MAX_US, where, f.name, "microseconds")
        out = vals.astype("M8[us]").astype(object)
    if null is not None:
        out[null] = None
    return out


# Integers a float64 holds exactly: NULLs then become NaN without a wrong number.
_EXACT_IN_DOUBLE = 2**53


def _int_column(vals, null):
    """An integer column as scikit-learn and pandas.read_sql users expect it:
    plain NumPy ints without NULLs; float64 with NaN for NULLs when every
    value is exact as a double; the nullable Int64 only when NULLs and values
    beyond 2**53 meet (a float would round them)."""
    if null is None:
        return vals
    vals[null] = 0
    if not len(vals) or (vals.min() >= -_EXACT_IN_DOUBLE and vals.max() <= _EXACT_IN_DOUBLE):
        out = vals.astype(np.float64)
        out[null] = np.nan
        return out
    return pd.arrays.IntegerArray(vals, null)


def _check_range(vals, lo, hi, where, column, unit):
    if len(vals) and (vals.min() < lo or vals.max() > hi):
        bad = vals[(vals < lo) | (vals > hi)][0]
        raise InputError("%s: value %d %s outside the supported range %d..%d"
                         % (where, bad, unit, lo, hi), column)


def _to_dto(vals, zones, null, where, column):
    vals = vals.copy()
    zones = zones.astype(np.int64)
    if null is not None:
        vals[null] = 0
        zones[null] = 0
    _check_range(zones, -bxl.MAX_ZONE_MINUTES, bxl.MAX_ZONE_MINUTES, where, column, "offset minutes")
    local = vals + zones * 60_000_000
    _check_range(local, bxl.MIN_US, bxl.MAX_US, where, column, "local microseconds")
    naive = local.astype("M8[us]").astype(object)
    out = object_array([d.replace(tzinfo=bxl.timezone(z)) for d, z in zip(naive, zones.tolist())])
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
