"""Params: declarations and value texts built from a dict."""

import datetime
import decimal
import unittest
import uuid

import numpy as np

import launchpad
from launchpad import _params


class BuildTest(unittest.TestCase):
    def test_infers_types_and_texts(self):
        ist = datetime.timezone(datetime.timedelta(hours=5, minutes=45))
        decls, values = _params.build({
            "n": 10, "@ratio": 0.1, "on": True, "name": "Zoë", "blob": b"\x00\xff",
            "amount": decimal.Decimal("-12.50"), "day": datetime.date(2024, 2, 29),
            "at": datetime.datetime(2024, 1, 31, 13, 45, 0, 123456),
            "at_tz": datetime.datetime(2024, 1, 31, 13, 45, tzinfo=ist),
            "clock": datetime.time(23, 59, 59, 5), "id": uuid.UUID("6f9619ff-8b86-d011-b42d-00c04fc964ff"),
            "np_int": np.int32(-7), "np_float": np.float32(0.5), "np_bool": np.bool_(False),
        })
        self.assertEqual(decls, "@n bigint, @ratio float, @on bit, @name nvarchar(max), @blob varbinary(max), "
                         "@amount decimal(4,2), @day date, @at datetime2, @at_tz datetimeoffset, @clock time, "
                         "@id uniqueidentifier, @np_int bigint, @np_float float, @np_bool bit")
        self.assertEqual(values, {
            "n": "10", "ratio": "0.1", "on": "1", "name": "Zoë", "blob": "0x00ff", "amount": "-12.50",
            "day": "2024-02-29", "at": "2024-01-31 13:45:00.123456", "at_tz": "2024-01-31 13:45:00+05:45",
            "clock": "23:59:59.000005", "id": "6f9619ff-8b86-d011-b42d-00c04fc964ff",
            "np_int": "-7", "np_float": "0.5", "np_bool": "0",
        })

    def test_declared_types_outputs_and_nulls(self):
        decls, values = _params.build({
            "n": launchpad.Param(3, "int"), "label": launchpad.Param(None, "nvarchar(100)"),
            "total": launchpad.Output("float"), "count": launchpad.Output("bigint", 5),
            "price": launchpad.Param(decimal.Decimal("1.5"), "decimal(10, 2)"),
        })
        self.assertEqual(decls, "@n int, @label nvarchar(100), @total float OUTPUT, @count bigint OUTPUT, "
                         "@price decimal(10, 2)")
        # A param without a value is NULL: it is declared but gets no text.
        self.assertEqual(values, {"n": "3", "count": "5", "price": "1.5"})

    def test_decimal_types_fit_their_digits(self):
        for text, want in [("0", "decimal(1,0)"), ("0.001", "decimal(3,3)"), ("123.4", "decimal(4,1)"),
                           ("1E+3", "decimal(4,0)"), ("-99999999999999999999999999999999999.999", "decimal(38,3)")]:
            with self.subTest(text=text):
                self.assertEqual(_params.infer_type("d", decimal.Decimal(text)), want)
        self.assertEqual(_params.value_text("d", decimal.Decimal("1E+3")), "1000")

    def test_floats_round_trip_exactly(self):
        for f in (0.1, 1e-300, 2.0 ** 60, -1.7976931348623157e308):
            self.assertEqual(float(_params.value_text("f", f)), f)

    def test_refusals_name_the_param(self):
        cases = {
            "none without type": ({"x": None}, ValueError, "'x' is None"),
            "bad name": ({"1x": 1}, ValueError, "'1x'"),
            "name with space": ({"a b": 1}, ValueError, "'a b'"),
            "type injection": ({"x": launchpad.Param(1, "int, @y int")}, ValueError, "not a SQL type"),
            "type quote": ({"x": launchpad.Param(1, "int'")}, ValueError, "not a SQL type"),
            "nan": ({"x": float("nan")}, ValueError, "not a finite number"),
            "inf decimal": ({"x": decimal.Decimal("Infinity")}, ValueError, "not a finite decimal"),
            "bigint overflow": ({"x": 2 ** 63}, ValueError, "does not fit a bigint"),
            "too many digits": ({"x": decimal.Decimal("1" * 39)}, ValueError, "38"),
            "unknown type": ({"x": object()}, TypeError, "no SQL type for a object"),
            "twice": ({"n": 1, "@N": 2}, ValueError, "given twice"),
            "aware time": ({"x": datetime.time(1, tzinfo=datetime.timezone.utc)}, ValueError, "time zone"),
            "not a dict": ([("x", 1)], TypeError, "want a dict"),
        }
        for name, (params, exc, text) in cases.items():
            with self.subTest(name):
                with self.assertRaises(exc) as cm:
                    _params.build(params)
                self.assertIn(text, str(cm.exception))

    def test_no_params(self):
        self.assertEqual(_params.build(None), ("", {}))
        self.assertEqual(_params.build({}), ("", {}))


if __name__ == "__main__":
    unittest.main()
