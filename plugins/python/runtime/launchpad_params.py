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
    if code in INT_CODES:
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        elif isinstance(v, decimal.Decimal) and v.is_finite() and v == v.to_integral_value():
            v = int(v)
        if not isinstance(v, int):
            raise bad()
        lo, hi = INT_RANGE[code]
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
        d = d.quantize(decimal.Decimal(1).scaleb(-f.scale), decimal.ROUND_HALF_EVEN, bxl.DEC_CTX)
        if abs(d.scaleb(f.scale, bxl.DEC_CTX)) >= 10 ** f.precision:
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
    """Sends PARAMS with the script's values of the OUTPUT params among pfields."""
    fields = [f for f in pfields if f.output]
    values = []
    for f in fields:
        if f.name not in namespace:
            raise OutputError("OUTPUT param %r is no longer defined after the script" % f.name)
        values.append(coerce_param(f, namespace[f.name]))
    bxl.send_params(conn, fields, values)
