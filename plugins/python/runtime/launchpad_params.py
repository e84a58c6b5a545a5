"""Params of the Launchpad Python runtime: OUTPUT params back to the host.

Input params arrive as plain Python values (launchpad_bxl.read_params) and
become the script's variables. After the script, each OUTPUT param's
variable is converted to its declared type (coerce_param: numpy and pandas
scalars included) and sent in one PARAMS frame.
"""

import datetime
import decimal
import math
import uuid

import numpy as np
import pandas as pd

import launchpad_bxl as bxl
from launchpad_bxl import (T_BOOL, T_BIN, T_DATE, T_DEC, T_DT, T_DTO, T_F32, T_F64, T_STR, T_TIME,
                           T_UUID, INT_CODES, INT_RANGE, TYPE_NAMES, OutputError)


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


class _Mismatch(Exception):
    """The value does not convert; why, when given, replaces the generic message."""

    def __init__(self, why=None):
        super().__init__(why)
        self.why = why


def coerce_param(f, v):
    """Converts the script's value of OUTPUT param f to f's declared type."""
    if _is_null(v):
        if not f.nullable:
            raise OutputError("param %r is not nullable but the script left it None" % f.name)
        return None
    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v)
    elif isinstance(v, np.generic):
        v = v.item()
    try:
        return _COERCE[f.code](f, v)
    except _Mismatch as m:
        raise OutputError("param %r (%s): %s" % (
            f.name, TYPE_NAMES[f.code], m.why or "cannot convert %s value %r" % (type(v).__name__, v))) from None


def _to_bool(f, v):
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return bool(v)
    raise _Mismatch()


def _to_int(f, v):
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    elif isinstance(v, decimal.Decimal) and v.is_finite() and v == v.to_integral_value():
        v = int(v)
    if not isinstance(v, int):
        raise _Mismatch()
    lo, hi = INT_RANGE[f.code]
    if not lo <= v <= hi:
        raise _Mismatch("%d is out of range" % v)
    return int(v)


def _to_float(f, v):
    if isinstance(v, bool) or not isinstance(v, (int, float, decimal.Decimal)):
        raise _Mismatch()
    try:
        x = float(v)
    except OverflowError:
        raise _Mismatch("%r is out of range" % v)
    if f.code == T_F32 and math.isfinite(x) and abs(x) > float(np.finfo(np.float32).max):
        raise _Mismatch("%r is out of range" % v)
    return x


def _to_decimal(f, v):
    if isinstance(v, bool) or not isinstance(v, (int, float, decimal.Decimal)):
        raise _Mismatch()
    d = v if isinstance(v, decimal.Decimal) else decimal.Decimal(v)
    if not d.is_finite():
        raise _Mismatch("%r is not finite" % v)
    d = d.quantize(decimal.Decimal(1).scaleb(-f.scale), decimal.ROUND_HALF_EVEN, bxl.DEC_CTX)
    if abs(d.scaleb(f.scale, bxl.DEC_CTX)) >= 10 ** f.precision:
        raise _Mismatch("%s does not fit decimal(%d,%d)" % (d, f.precision, f.scale))
    return d


def _of_class(classes, convert):
    """A converter accepting instances of classes, returned as convert(v)."""
    def to(f, v):
        if isinstance(v, classes):
            return convert(v)
        raise _Mismatch()
    return to


def _to_date(f, v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None and v.time() == datetime.time():
            return v.date()
        raise _Mismatch("a datetime with a time of day or zone is not a date")
    if isinstance(v, datetime.date):
        return v
    raise _Mismatch()


def _to_time(f, v):
    if isinstance(v, datetime.time) and v.tzinfo is None:
        return v
    raise _Mismatch()


def _to_datetime(f, v):
    if isinstance(v, datetime.datetime):
        if v.tzinfo is not None:
            raise _Mismatch("a tz-aware datetime needs a datetimeoffset param")
        return v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
    if isinstance(v, datetime.date):
        return datetime.datetime(v.year, v.month, v.day)
    raise _Mismatch()


def _to_datetimeoffset(f, v):
    if isinstance(v, datetime.datetime) and v.utcoffset() is not None:
        return v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
    raise _Mismatch("needs a tz-aware datetime")


_COERCE = {
    T_BOOL: _to_bool, T_F32: _to_float, T_F64: _to_float, T_DEC: _to_decimal,
    T_STR: _of_class(str, str), T_BIN: _of_class((bytes, bytearray, memoryview), bytes),
    T_DATE: _to_date, T_TIME: _to_time, T_DT: _to_datetime, T_DTO: _to_datetimeoffset,
    T_UUID: _of_class(uuid.UUID, lambda u: u),
}
_COERCE.update((code, _to_int) for code in INT_CODES)


def send_out_params(conn, pfields, namespace):
    """Sends PARAMS with the script's values of the OUTPUT params among pfields."""
    fields = [f for f in pfields if f.output]
    values = []
    for f in fields:
        if f.name not in namespace:
            raise OutputError("OUTPUT param %r is no longer defined after the script" % f.name)
        values.append(coerce_param(f, namespace[f.name]))
    bxl.send_params(conn, fields, values)
