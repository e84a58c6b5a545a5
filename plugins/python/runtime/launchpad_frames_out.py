"""Output encoding of the Launchpad Python runtime: a pandas DataFrame into BXL batches.

Each column's BXL type is inferred from its dtype; object columns from their
non-null values (mixed types are an "output" error naming the column). The
input's fields are hints: an output column of the same name keeps its
declared decimal precision, or its type when it holds no value at all
(pandas keeps neither); a float column named like an integer input column
goes back as that integer type when every value is a whole number within
+-2**53 (integers with NULLs reach the script as float64 with NaN). Columns are converted with numpy and sent as numpy
buffers with vectored writes, cut into batches of about BATCH_TARGET bytes.
"""

import datetime
import decimal
import uuid

import numpy as np
import pandas as pd

import launchpad_bxl as bxl
from launchpad_bxl import (T_BOOL, T_DATE, T_DEC, T_DT, T_DTO, T_F32, T_F64, T_I8, T_I16, T_I32,
                           T_I64, T_STR, T_BIN, T_TIME, T_UUID, INT_CODES, INT_RANGE, TYPE_NAMES,
                           FLAG_NULLABLE, Field, OutputError)
from launchpad_frames_in import NP_DTYPE, object_array

BATCH_TARGET = 4 << 20  # buffer bytes per output batch


def send_dataset(conn, df, hints=None):
    """Sends SCHEMA and BATCH frames for df; returns the row count. hints:
    the input's Fields (see the module's doc), or None."""
    cols = prepare_frame(df, {f.name: f for f in hints or ()})
    n = len(df)
    bxl.send_schema(conn, [c.field for c in cols])
    for a, b in batch_bounds(cols, n):
        conn.send(bxl.F_BATCH, encode_batch(cols, a, b))
    return n


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


def _decimal_col(field, vals, valid, where):
    """vals: list of Decimal (None where NULL); field carries precision/scale."""
    raw = b"".join((bxl.unscaled_decimal(d, field.scale, field.precision, where) if d is not None else 0)
                   .to_bytes(16, "little", signed=True) for d in vals)
    return OutCol(field, valid, fixed=[np.frombuffer(raw, np.uint8).reshape(len(vals), 16)])


def _objects_col(name, code, arr, valid, where, precision=0, scale=0, hint=None):
    """Encodes an object array of canonical Python values (anything where NULL)
    as `code`; hint: the input field of the same name, or None."""
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
    if code in INT_CODES:
        vv = filled(0)
        lo, hi = INT_RANGE[code]
        if n and (min(vv) < lo or max(vv) > hi):
            bad = next(v for v in vv if not lo <= v <= hi)
            raise OutputError("%s: %r does not fit %s" % (where, bad, TYPE_NAMES[code]), name)
        return OutCol(field, valid, fixed=[np.array(vv, dtype=NP_DTYPE[code]).reshape(n)])
    if code in (T_F32, T_F64):
        return OutCol(field, valid, fixed=[np.array(filled(0.0), dtype=NP_DTYPE[code]).reshape(n)])
    if code == T_DEC:
        if not precision:
            finite = [d for d in filled(decimal.Decimal(0)) if d.is_finite()]
            top = max((max(0, -d.as_tuple().exponent) for d in finite), default=0)
            if hint is not None and hint.code == T_DEC and top <= hint.scale and all(
                    abs(d.scaleb(hint.scale, bxl.DEC_CTX)) < 10 ** hint.precision for d in finite):
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
                           np.int64, n) - bxl.EPOCH_ORDINAL
        return OutCol(field, valid, fixed=[days.astype("<i4")])
    if code == T_TIME:
        us = list(map(bxl.us_of_time, filled(datetime.time())))
        return OutCol(field, valid, fixed=[np.array(us, dtype="<i8").reshape(n)])
    if code == T_DT:
        us = [(d - bxl.EPOCH) // bxl.ONE_US for d in filled(bxl.EPOCH)]
        return OutCol(field, valid, fixed=[np.array(us, dtype="<i8").reshape(n)])
    if code == T_DTO:
        us, zones = bxl.dto_parts(filled(bxl.EPOCH_UTC), where, name)
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


def _object_col(name, arr, hint):
    """Infers the BXL type of an object column from its non-null values;
    hint: the input field of the same name, or None."""
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
            arr = object_array([pd.Timestamp(v) if isinstance(v, np.datetime64) else v for v in arr.tolist()])
            nonnull = arr if null is None else arr[~null]
        aware = {v.tzinfo is not None and v.utcoffset() is not None for v in nonnull.tolist()}
        if len(aware) > 1:
            raise OutputError("%s mixes types tz-aware datetime and naive datetime" % where, name)
        if aware == {True}:
            code = T_DTO
    if code == T_TIME and any(t.tzinfo is not None for t in nonnull.tolist()):
        raise OutputError("%s: tz-aware datetime.time is not supported" % where, name)
    return _objects_col(name, code, arr, valid, where, hint=hint)


def prepare_column(name, s, hint=None):
    """Maps one pandas Series to an OutCol; hint: the input field of the same name, or None."""
    dt = s.dtype
    where = "output column %r" % name
    if isinstance(dt, pd.CategoricalDtype):
        cats = object_array([str(c) for c in dt.categories] + [""])
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
        return _object_col(name, s.to_numpy(), hint)
    if dt.kind == "M":
        i8 = s.to_numpy().view("<i8")
        valid = i8 != np.iinfo(np.int64).min
        # Floor division keeps pre-1970 sub-µs values on the right microsecond.
        return OutCol(Field(name, T_DT), valid, fixed=[_zero_nulls(i8 // 1000, valid)])
    if dt.kind in "biuf":
        vals = s.to_numpy()
        valid = None
        if dt.kind == "f":
            back = _floats_as_hinted_int(name, vals, hint)
            if back is not None:
                return back
            nan = np.isnan(vals)
            if nan.any():
                valid = ~nan
        col = _numeric_col(name, vals, valid, where)
        if hint is not None and hint.code == col.field.code:
            col.field.flags |= hint.flags & FLAG_NULLABLE
        return col
    raise OutputError("%s: unsupported dtype %s" % (where, dt), name)


def _floats_as_hinted_int(name, vals, hint):
    """An integer input column with NULLs reaches the script as float64 with
    NaN; an output column of its name goes back as its integer type when
    every value is a whole number within +-2**53 and the type's range (so the
    number is unchanged). None: not such a column, it stays float."""
    if hint is None or hint.code not in INT_CODES or vals.dtype.kind != "f" or vals.dtype.itemsize > 8:
        return None
    nan = np.isnan(vals)
    live = vals[~nan] if nan.any() else vals
    lo, hi = INT_RANGE[hint.code]
    lo, hi = max(lo, -2**53), min(hi, 2**53)
    if len(live) and (live.min() < lo or live.max() > hi or not (np.trunc(live) == live).all()):
        return None
    ints = np.where(nan, 0, vals).astype(NP_DTYPE[hint.code])
    valid = ~nan if nan.any() else None
    flags = FLAG_NULLABLE if valid is not None else hint.flags & FLAG_NULLABLE
    return OutCol(Field(name, hint.code, flags), valid, fixed=[ints])


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
                  fixed=[_zero_nulls(_le(vals, NP_DTYPE[code]), valid)])


def prepare_frame(df, hints):
    """OutCols of df's columns; hints: input Fields by name."""
    return [prepare_column(str(name), df.iloc[:, i], hints.get(str(name))) for i, name in enumerate(df.columns)]


def encode_batch(cols, a, b):
    """Returns the BATCH payload for rows a..b as a list of buffers."""
    bufs = []
    for c in cols:
        bufs.extend(c.buffers(a, b))
    return bxl.batch_parts(b - a, bufs)[0]


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
