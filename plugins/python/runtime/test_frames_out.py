"""Unit tests of launchpad_frames_out: a pandas DataFrame into SCHEMA and BATCH frames."""

import datetime
import decimal
import unittest
import uuid
from unittest import mock

import numpy as np
import pandas as pd

import launchpad_bxl as bxl
import launchpad_frames_out as fout
from launchpad_bxl import Field as F
from test_support import capture, decode_dataset


class FramesOutTest(unittest.TestCase):
    def send(self, df, hints=None):
        frames = capture(self, lambda conn: fout.send_dataset(conn, df, hints=hints))
        return decode_dataset(frames)

    def test_FramesOut_InfersTypesFromDtypes(self):
        df = pd.DataFrame({
            "u8": np.array([0, 255], np.uint8),
            "nint": pd.array([None, -5], dtype="Int16"),
            "f16": np.array([0.5, np.nan], np.float16),
            "cat": pd.Categorical(["b", None], categories=["a", "b"]),
            "dec": [decimal.Decimal("1.5"), decimal.Decimal("-22.125")],
            "pyint": pd.Series([2**63 - 1, None], dtype=object),
            "allnull": [None, None],
            "aware": [datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc), None],
            "tzcol": pd.to_datetime(["2020-01-01 10:00", "2020-07-01 10:00"]).tz_localize("Europe/Paris"),
            "nat": pd.to_datetime(["1960-01-01 00:00:00.5", None]),
            "uuid": [uuid.UUID(int=1), None],
            "bytes": [bytearray(b"ab"), b""],
        })
        fields, cols = self.send(df)
        self.assertEqual({f.name: bxl.TYPE_NAMES[f.code] for f in fields}, {
            "u8": "int16", "nint": "int16", "f16": "float32", "cat": "string", "dec": "decimal",
            "pyint": "int64", "allnull": "string", "aware": "datetimeoffset", "tzcol": "datetimeoffset",
            "nat": "datetime", "uuid": "uuid", "bytes": "binary"})
        got = {f.name: c for f, c in zip(fields, cols)}
        self.assertEqual(got["u8"], [0, 255])
        self.assertEqual(got["nint"], [None, -5])
        self.assertEqual(got["f16"], [0.5, None])
        self.assertEqual(got["cat"], ["b", None])
        self.assertEqual((fields[4].precision, fields[4].scale), (38, 3))
        self.assertEqual(got["dec"], [decimal.Decimal("1.5"), decimal.Decimal("-22.125")])
        self.assertEqual([d.utcoffset() for d in got["tzcol"]],
                         [datetime.timedelta(hours=1), datetime.timedelta(hours=2)])
        self.assertEqual(got["nat"], [datetime.datetime(1960, 1, 1, 0, 0, 0, 500000), None])
        self.assertEqual(got["bytes"], [b"ab", b""])

    def test_FramesOut_FloatsOfAnIntegerInputGoBackAsItsType(self):
        # An integer input column with NULLs reaches the script as float64 +
        # NaN; whole values within +-2**53 go back as the input's integer type.
        # Anything else stays float: never a changed number.
        hints = [F("a", bxl.T_I64), F("b", bxl.T_I16, 0), F("c", bxl.T_I64), F("d", bxl.T_I8),
                 F("e", bxl.T_I64), F("f", bxl.T_I64)]
        df = pd.DataFrame({
            "a": [1.0, np.nan, -(2.0**53)],   # int64, NULL kept
            "b": [3.0, 4.0, 5.0],             # int16, not nullable like its input
            "c": [1.5, np.nan, 2.0],          # a fraction: float
            "d": [1.0, 200.0, np.nan],        # outside int8: float
            "e": [2.0**53 + 2, 1.0, 0.0],     # beyond 2**53: float
            "f": [np.inf, 1.0, 0.0],          # infinity: float
        })
        fields, cols = self.send(df, hints=hints)
        self.assertEqual([(f.name, bxl.TYPE_NAMES[f.code], f.nullable) for f in fields],
                         [("a", "int64", True), ("b", "int16", False), ("c", "float64", True),
                          ("d", "float64", True), ("e", "float64", True), ("f", "float64", True)])
        self.assertEqual(cols[0], [1, None, -(2**53)])
        self.assertEqual(cols[1], [3, 4, 5])
        self.assertEqual(cols[2], [1.5, None, 2.0])
        self.assertEqual(cols[4], [2.0**53 + 2, 1.0, 0.0])
        # Without the hint the same floats stay floats.
        fields, _ = self.send(df[["a"]])
        self.assertEqual(bxl.TYPE_NAMES[fields[0].code], "float64")

    def test_FramesOut_HintsAreAnExplicitArgument(self):
        # The same frame with and without the input's fields: the hints keep a
        # decimal's declared precision and type a column that holds only NULLs.
        df = pd.DataFrame({"price": [decimal.Decimal("1.5"), None], "when": [None, None]})
        hints = [F("price", bxl.T_DEC, precision=10, scale=2), F("when", bxl.T_DATE)]
        fields, cols = self.send(df, hints=hints)
        self.assertEqual([(bxl.TYPE_NAMES[f.code], f.precision, f.scale) for f in fields],
                         [("decimal", 10, 2), ("date", 0, 0)])
        self.assertEqual(cols, [[decimal.Decimal("1.50"), None], [None, None]])
        fields, _ = self.send(df)
        self.assertEqual([(bxl.TYPE_NAMES[f.code], f.precision, f.scale) for f in fields],
                         [("decimal", 38, 1), ("string", 0, 0)])
        # A hint the values do not fit is ignored, not enforced.
        fields, _ = self.send(pd.DataFrame({"price": [decimal.Decimal("1.125")]}), hints=hints[:1])
        self.assertEqual((fields[0].precision, fields[0].scale), (38, 3))

    def test_FramesOut_CutsBatchesNearTheTarget(self):
        n = 10_000
        df = pd.DataFrame({"id": np.arange(n, dtype=np.int64), "s": ["x" * (i % 50) for i in range(n)]})
        with mock.patch.object(fout, "BATCH_TARGET", 64 << 10):
            frames = capture(self, lambda conn: fout.send_dataset(conn, df))
        sizes = [len(p) for t, p in frames if t == bxl.F_BATCH]
        self.assertGreater(len(sizes), 3)
        self.assertLessEqual(max(sizes), (64 << 10) + 4096)
        _, cols = decode_dataset(frames)
        self.assertEqual(cols[0], list(range(n)))
        self.assertEqual(cols[1], df["s"].tolist())

    def test_FramesOut_ZeroRowsSendSchemaOnly(self):
        frames = capture(self, lambda conn: fout.send_dataset(conn, pd.DataFrame({"a": pd.Series([], dtype="int32")})))
        self.assertEqual([t for t, _ in frames], [bxl.F_SCHEMA])

    def test_FramesOut_ErrorsNameTheColumn(self):
        cases = {
            "mixed": (pd.DataFrame({"c": ["a", 1]}), "str and int"),
            "uint64": (pd.DataFrame({"c": np.array([2**64 - 1], np.uint64)}), "uint64"),
            "timedelta": (pd.DataFrame({"c": pd.to_timedelta([1], unit="s")}), "unsupported dtype"),
            "object": (pd.DataFrame({"c": [object()]}), "unsupported value type"),
            "naive_and_aware": (pd.DataFrame({"c": [datetime.datetime(2000, 1, 1),
                                                    datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)]}),
                                "tz-aware datetime and naive"),
            "zone_seconds": (pd.DataFrame({"c": [datetime.datetime(
                2000, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(seconds=1)))]}), "whole minutes"),
            "surrogate": (pd.DataFrame({"c": ["\udc80"]}), "not encodable as UTF-8"),
        }
        for name, (df, text) in cases.items():
            with self.subTest(name):
                with self.assertRaisesRegex(bxl.OutputError, text) as cm:
                    fout.prepare_frame(df, {})
                self.assertEqual(cm.exception.column, "c")


if __name__ == "__main__":
    unittest.main()
