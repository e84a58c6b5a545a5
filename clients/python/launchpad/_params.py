"""Params of a job: a dict of name -> value becomes the API's declaration
text ("@n bigint, @total float OUTPUT", as sp_execute_external_script takes
it) and the values as text in T-SQL literal forms the host parses by the
declared type (host/sqltype's ParseValue)."""

import datetime
import decimal
import math
import numbers
import re
import uuid

# A param name as the script sees it: a Python identifier, ASCII, since it
# also has to be a T-SQL one.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# A declared type: words with optional arguments, nothing that could end the
# declaration or start another one (no ",", "@", quotes).
_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_]*( [A-Za-z][A-Za-z0-9_]*)*"
                   r"( ?\( ?(max|MAX|Max|\d+)( ?, ?\d+)? ?\))?\Z")
_INT64 = (-(1 << 63), (1 << 63) - 1)


class Param:
    """A param value with its declared SQL type and direction.

    Param(10, "int"), Param(None, "date") (a NULL date), Param(x, output=True).
    Without a type the type follows from the value (see infer_type).
    """

    __slots__ = ("value", "type", "output")

    def __init__(self, value=None, type=None, output=False):
        self.value, self.type, self.output = value, type, bool(output)

    def __repr__(self):
        return "Param(%r, %r, output=%r)" % (self.value, self.type, self.output)


def Output(type=None, value=None):
    """An OUTPUT param: the script's variable of that name is read back after
    the script and returned in Result.params. value is its input value
    (default NULL); type is required unless value gives it."""
    return Param(value, type, output=True)


def build(params):
    """Returns (declarations, values) for the API from a dict of name ->
    value or Param; raises ValueError/TypeError naming the param."""
    if params is None:
        return "", {}
    if not isinstance(params, dict):
        raise TypeError("params: want a dict of name -> value or launchpad.Param, got %s"
                        % type(params).__name__)
    decls, values, seen = [], {}, set()
    for raw, given in params.items():
        name = _param_name(raw)
        if name.lower() in seen:
            raise ValueError("param %r is given twice (names are case-insensitive)" % name)
        seen.add(name.lower())
        p = given if isinstance(given, Param) else Param(given)
        sqltype = p.type if p.type is not None else infer_type(name, p.value)
        if not isinstance(sqltype, str) or not _TYPE.match(sqltype.strip()):
            raise ValueError("param %r: %r is not a SQL type like int, nvarchar(100) or decimal(10,2)"
                             % (name, sqltype))
        decls.append("@%s %s%s" % (name, sqltype.strip(), " OUTPUT" if p.output else ""))
        if p.value is not None:
            values[name] = value_text(name, p.value)
    return ", ".join(decls), values


def _param_name(raw):
    if not isinstance(raw, str):
        raise TypeError("param name %r: want a str" % (raw,))
    name = raw[1:] if raw.startswith("@") else raw
    if not _NAME.match(name):
        raise ValueError("param name %r: want letters, digits and _ (not starting with a digit)" % raw)
    return name


def infer_type(name, value):
    """The SQL type a value declares when no type is given: bool bit, int
    bigint, float float, Decimal decimal(p,s) of its digits, str
    nvarchar(max), bytes varbinary(max), datetime datetime2 (naive) or
    datetimeoffset (aware), date date, time time, UUID uniqueidentifier."""
    if value is None:
        raise ValueError("param %r is None: give its type, e.g. launchpad.Param(None, \"int\")" % name)
    if isinstance(value, (bool, _np_bool())):
        return "bit"
    if isinstance(value, numbers.Integral):
        return "bigint"
    if isinstance(value, decimal.Decimal):
        return _decimal_type(name, value)
    if isinstance(value, numbers.Real):
        return "float"
    if isinstance(value, str):
        return "nvarchar(max)"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "varbinary(max)"
    if isinstance(value, datetime.datetime):
        return "datetime2" if value.utcoffset() is None else "datetimeoffset"
    if isinstance(value, datetime.date):
        return "date"
    if isinstance(value, datetime.time):
        return "time"
    if isinstance(value, uuid.UUID):
        return "uniqueidentifier"
    raise TypeError("param %r: no SQL type for a %s; give one with launchpad.Param(value, \"type\")"
                    % (name, type(value).__name__))


def _np_bool():
    """numpy.bool_ when numpy is loaded (it always is with pandas), else bool."""
    try:
        import numpy
        return numpy.bool_
    except ImportError:
        return bool


def _decimal_type(name, d):
    if not d.is_finite():
        raise ValueError("param %r: %s is not a finite decimal" % (name, d))
    _, digits, exp = d.as_tuple()
    scale = max(0, -exp)
    whole = max(len(digits) + exp, 0)
    precision = max(whole + scale, 1)
    if precision > 38:
        raise ValueError("param %r: %s needs %d digits, decimal holds 38" % (name, d, precision))
    return "decimal(%d,%d)" % (precision, scale)


def value_text(name, v):
    """A value as the text the host parses (T-SQL literal forms): 1/0 for
    bits, shortest round-trip floats, plain-notation decimals, ISO dates and
    times, 0x hex for bytes."""
    if isinstance(v, (bool, _np_bool())):
        return "1" if v else "0"
    if isinstance(v, numbers.Integral):
        i = int(v)
        if not _INT64[0] <= i <= _INT64[1]:
            raise ValueError("param %r: %d does not fit a bigint; pass a Decimal" % (name, i))
        return str(i)
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            raise ValueError("param %r: %s is not a finite decimal" % (name, v))
        return format(v, "f")
    if isinstance(v, numbers.Real):
        f = float(v)
        if not math.isfinite(f):
            raise ValueError("param %r: %r is not a finite number (SQL floats have no NaN or infinity)"
                             % (name, f))
        return repr(f)
    if isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "0x" + bytes(v).hex()
    if isinstance(v, datetime.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (datetime.date, datetime.time)):
        if isinstance(v, datetime.time) and v.utcoffset() is not None:
            raise ValueError("param %r: a time has no time zone in SQL; pass a naive time" % name)
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    raise TypeError("param %r: cannot send a %s as a param value" % (name, type(v).__name__))
