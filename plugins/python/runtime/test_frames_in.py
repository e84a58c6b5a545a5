"""Unit tests of launchpad_frames_in: SCHEMA/BATCH/END into a pandas DataFrame."""

import datetime
import decimal
import struct
import unittest
import uuid

import numpy as np
import pandas as pd

import launchpad_bxl as bxl
import launchpad_frames_in as fin
from launchpad_bxl import Field as F
from test_support import batch, feed, frame

TZ545 = datetime.timezone(datetime.timedelta(hours=5, minutes=45))
EVERY_TYPE = [
    (F("b", bxl.T_BOOL), [True, None, False], "boolean"),
    (F("i8", bxl.T_I8), [-128, None, 127], "float64"),
    (F("i64", bxl.T_I64, 0), [2**53 + 1, 0, -(2**63)], "int64"),
    (F("f32", bxl.T_F32), [1.5, None, -0.25], "float32"),
    (F("dec", bxl.T_DEC, precision=38, scale=4), [decimal.Decimal("-0.0001"), None, decimal.Decimal("12.5")],
     "object"),
    (F("s", bxl.T_STR), ["héllo ✓", None, ""], "object"),
    (F("bin", bxl.T_BIN), [b"\x00\xff", b"", None], "object"),
    (F("d", bxl.T_DATE), [datetime.date(1969, 7, 20), None, datetime.date(1, 1, 1)], "object"),
    (F("t", bxl.T_TIME), [datetime.time(23, 59, 59, 999999), None, datetime.time()], "object"),
    (F("dt", bxl.T_DT), [datetime.datetime(1950, 1, 2, 3, 4, 5, 6), None, datetime.datetime(2262, 4, 11)],
     "datetime64[ns]"),
    (F("dto", bxl.T_DTO), [datetime.datetime(2024, 2, 29, 23, 30, tzinfo=TZ545), None, None], "object"),
    (F("u", bxl.T_UUID), [uuid.UUID(int=1), None, uuid.UUID(int=0)], "object"),
]


def stream(fields, batches, rows=None):
    """SCHEMA BATCH* END as the host sends them after PARAMS."""
    parts = [frame(bxl.F_SCHEMA, bxl.encode_schema(fields))]
    total = 0
    for cols in batches:
        total += len(cols[0])
        parts.append(frame(bxl.F_BATCH, batch(fields, cols)))
    parts.append(frame(bxl.F_END, struct.pack("<Q", total if rows is None else rows)))
    return b"".join(parts)


def python_values(series):
    """A Series as Python values, None for every kind of missing."""
    return [None if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)
            else (v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for v in series.tolist()]


class FramesInTest(unittest.TestCase):
    def read(self, fields, batches, rows=None):
        return fin.read_dataset(feed(self, stream(fields, batches, rows)))

    def test_FramesIn_EveryTypeWithNulls(self):
        fields = [f for f, _, _ in EVERY_TYPE]
        cols = [v for _, v, _ in EVERY_TYPE]
        got_fields, df = self.read(fields, [[c[:2] for c in cols], [c[2:] for c in cols]])
        self.assertEqual([f.name for f in got_fields], list(df.columns))
        for f, want, dtype in EVERY_TYPE:
            with self.subTest(f.name):
                self.assertEqual(str(df[f.name].dtype), dtype)
                self.assertEqual(python_values(df[f.name]), want)

    def test_FramesIn_IntegersAsPandasReadSqlGivesThem(self):
        # Per column, from all rows: NumPy ints without NULLs (nullable field
        # or not), float64 + NaN with NULLs when exact, Int64 only when NULLs
        # and values beyond 2**53 meet. The NULL sits in another batch than
        # the big value, so the decision is the column's, not a batch's.
        big = 2**53 + 1
        cases = {
            "no_null_nullable_i64": (bxl.T_I64, [[2**62, 1], [-(2**63)]], "int64", [2**62, 1, -(2**63)]),
            "no_null_i32": (bxl.T_I32, [[-(2**31), 2**31 - 1], []], "int32", [-(2**31), 2**31 - 1]),
            "no_null_i16": (bxl.T_I16, [[-5]], "int16", [-5]),
            "null_i32": (bxl.T_I32, [[None, 7], [-(2**31)]], "float64", [None, 7.0, float(-(2**31))]),
            "null_i64_at_2_53": (bxl.T_I64, [[2**53, None], [-(2**53)]], "float64", [2.0**53, None, -(2.0**53)]),
            "null_and_beyond_2_53": (bxl.T_I64, [[None, 1], [big]], "Int64", [None, 1, big]),
            "null_and_below_minus_2_53": (bxl.T_I64, [[-big], [None]], "Int64", [-big, None]),
            "empty": (bxl.T_I64, [], "int64", []),
        }
        for name, (code, batches, dtype, want) in cases.items():
            with self.subTest(name):
                _, df = self.read([F("v", code)], [[b] for b in batches])
                self.assertEqual(str(df["v"].dtype), dtype)
                self.assertEqual(python_values(df["v"]), want)
                if dtype == "float64":
                    self.assertEqual(df["v"].isna().tolist(), [w is None for w in want])

    def test_FramesIn_GrowsFixedWidthColumnsOverManyBatches(self):
        fields = [F("a", bxl.T_I32, 0), F("t", bxl.T_DTO)]
        zone = datetime.timezone(datetime.timedelta(minutes=-90))
        batches, want = [], []
        for k in range(40):  # past several GrowArray doublings of 1 << 16 rows
            vals = list(range(k * 5000, (k + 1) * 5000))
            batches.append([vals, [datetime.datetime(2000, 1, 1, tzinfo=zone)] * 5000])
            want.extend(vals)
        _, df = self.read(fields, batches)
        self.assertEqual(df["a"].dtype, np.int32)
        self.assertTrue(np.array_equal(df["a"].to_numpy(), np.array(want, np.int32)))
        self.assertEqual(df["t"].iloc[-1].utcoffset(), datetime.timedelta(minutes=-90))

    def test_FramesIn_DatetimeOutsideNanosecondsStaysExact(self):
        vals = [datetime.datetime(1, 1, 1), datetime.datetime(9999, 12, 31, 23, 59, 59, 999999), None]
        _, df = self.read([F("dt", bxl.T_DT)], [[vals]])
        self.assertEqual(df["dt"].dtype, object)
        self.assertEqual(df["dt"].tolist(), vals)

    def test_FramesIn_StringSplitPaths(self):
        every_byte = bytes(range(256))
        cases = {
            "fixed_width": ["abc", "déf", "ghi"] * 50,
            "variable": ["", "a", "ü✓", "long " * 40],
            "nul_inside": ["a\0b", "\0", ""],
            "every_ascii": [chr(c) for c in range(128)],
            "binary_every_byte": [every_byte, every_byte[::-1], b""],
        }
        for name, vals in cases.items():
            with self.subTest(name):
                code = bxl.T_BIN if isinstance(vals[0], bytes) else bxl.T_STR
                _, df = self.read([F("s", code)], [[vals]])
                self.assertEqual(df["s"].tolist(), vals)

    def test_FramesIn_InputValueErrorsNameTheColumn(self):
        bad_utf8 = batch([F("s", bxl.T_BIN)], [[b"ok", b"\xff"]])
        bad_time = batch([F("t", bxl.T_I64)], [[bxl.US_PER_DAY]])
        bad_date = batch([F("d", bxl.T_I32)], [[bxl.MAX_DAY + 1]])
        cases = {"utf8": (F("s", bxl.T_STR), bad_utf8, "invalid UTF-8"),
                 "time": (F("t", bxl.T_TIME), bad_time, "outside the supported range"),
                 "date": (F("d", bxl.T_DATE), bad_date, "outside the supported range")}
        for name, (field, payload, text) in cases.items():
            with self.subTest(name):
                n = struct.unpack_from("<I", payload)[0]
                data = (frame(bxl.F_SCHEMA, bxl.encode_schema([field])) + frame(bxl.F_BATCH, payload)
                        + frame(bxl.F_END, struct.pack("<Q", n)))
                with self.assertRaisesRegex(bxl.InputError, text) as cm:
                    fin.read_dataset(feed(self, data))
                self.assertEqual(cm.exception.column, field.name)

    def test_FramesIn_ProtocolErrors(self):
        i8 = [F("a", bxl.T_I8)]
        good = batch(i8, [[1, 2]])
        cases = {
            "end_count": stream(i8, [[[1, 2]]], rows=3),
            "buffer_count": frame(bxl.F_SCHEMA, bxl.encode_schema(i8)) + frame(bxl.F_BATCH, struct.pack("<II", 0, 0)),
            "short_batch": frame(bxl.F_SCHEMA, bxl.encode_schema(i8)) + frame(bxl.F_BATCH, b"\0\0"),
            "values_length": frame(bxl.F_SCHEMA, bxl.encode_schema(i8))
            + frame(bxl.F_BATCH, struct.pack("<I", 3) + good[4:]),
            "span_outside": frame(bxl.F_SCHEMA, bxl.encode_schema(i8))
            + frame(bxl.F_BATCH, good[:32] + struct.pack("<Q", 1 << 20) + good[40:]),
            "batch_before_schema": frame(bxl.F_BATCH, good),
        }
        for name, data in cases.items():
            with self.subTest(name):
                with self.assertRaises(bxl.ProtocolError):
                    fin.read_dataset(feed(self, data))

    def test_FramesIn_NoColumnsGivesRowsOnlyFrame(self):
        _, df = self.read([], [])
        self.assertEqual(df.shape, (0, 0))


if __name__ == "__main__":
    unittest.main()
