"""Unit tests of launchpad_params: OUTPUT params coerced to their declared types and sent."""

import datetime
import decimal
import struct
import unittest
import uuid

import numpy as np
import pandas as pd

import launchpad_bxl as bxl
import launchpad_params as lp
from launchpad_bxl import Field as F
from test_support import capture

OUT = bxl.FLAG_NULLABLE | bxl.FLAG_OUTPUT


class ParamsTest(unittest.TestCase):
    def test_Params_CoercesToTheDeclaredType(self):
        when = datetime.datetime(2020, 1, 2, 3, 4, 5)
        cases = {
            "numpy_int": (F("p", bxl.T_I32), np.int64(7), 7),
            "whole_float_to_int": (F("p", bxl.T_I64), 3.0, 3),
            "whole_decimal_to_int": (F("p", bxl.T_I16), decimal.Decimal("12"), 12),
            "int_to_bool": (F("p", bxl.T_BOOL), 1, True),
            "numpy_bool": (F("p", bxl.T_BOOL), np.bool_(False), False),
            "decimal_rounds_half_even": (F("p", bxl.T_DEC, precision=10, scale=2), decimal.Decimal("1.005"),
                                         decimal.Decimal("1.00")),
            "float_to_decimal": (F("p", bxl.T_DEC, precision=10, scale=1), 2.5, decimal.Decimal("2.5")),
            "int_to_float": (F("p", bxl.T_F64), 2, 2.0),
            "timestamp_to_datetime": (F("p", bxl.T_DT), pd.Timestamp(when), when),
            "datetime64": (F("p", bxl.T_DT), np.datetime64("2020-01-02T03:04:05"), when),
            "date_to_datetime": (F("p", bxl.T_DT), datetime.date(2020, 1, 2), datetime.datetime(2020, 1, 2)),
            "midnight_to_date": (F("p", bxl.T_DATE), datetime.datetime(2020, 1, 2), datetime.date(2020, 1, 2)),
            "bytearray": (F("p", bxl.T_BIN), bytearray(b"ab"), b"ab"),
            "pd_na": (F("p", bxl.T_I32), pd.NA, None),
            "nan": (F("p", bxl.T_F64), float("nan"), None),
            "nat": (F("p", bxl.T_DT), pd.NaT, None),
            "uuid": (F("p", bxl.T_UUID), uuid.UUID(int=5), uuid.UUID(int=5)),
        }
        for name, (field, value, want) in cases.items():
            with self.subTest(name):
                got = lp.coerce_param(field, value)
                self.assertEqual(got, want)
                self.assertIs(type(got), type(want))

    def test_Params_RejectsValuesOfTheWrongType(self):
        cases = {
            "str_for_int": (F("p", bxl.T_I32), "three", "cannot convert str"),
            "overflow": (F("p", bxl.T_I8), 300, "out of range"),
            "float32_overflow": (F("p", bxl.T_F32), 1e39, "out of range"),
            "bool_for_float": (F("p", bxl.T_F64), True, "cannot convert bool"),
            "decimal_digits": (F("p", bxl.T_DEC, precision=3, scale=1), 100, "does not fit decimal"),
            "infinite_decimal": (F("p", bxl.T_DEC, precision=3), decimal.Decimal("Infinity"), "not finite"),
            "naive_for_dto": (F("p", bxl.T_DTO), datetime.datetime(2020, 1, 1), "tz-aware"),
            "aware_for_datetime": (F("p", bxl.T_DT), datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc),
                                   "datetimeoffset"),
            "time_of_day_for_date": (F("p", bxl.T_DATE), datetime.datetime(2020, 1, 1, 1), "not a date"),
            "null_not_nullable": (F("p", bxl.T_I32, bxl.FLAG_OUTPUT), None, "not nullable"),
        }
        for name, (field, value, text) in cases.items():
            with self.subTest(name):
                with self.assertRaisesRegex(bxl.OutputError, text) as cm:
                    lp.coerce_param(field, value)
                self.assertIn("'p'", str(cm.exception))

    def test_Params_SendsOnlyOutputParams(self):
        pfields = [F("n", bxl.T_I64), F("total", bxl.T_DEC, OUT, 10, 2), F("msg", bxl.T_STR, OUT),
                   F("none", bxl.T_F64, OUT)]
        ns = {"n": 1, "total": decimal.Decimal("4.504"), "msg": "done ✓", "none": None}
        frames = capture(self, lambda conn: lp.send_out_params(conn, pfields, ns))
        self.assertEqual([t for t, _ in frames], [bxl.F_PARAMS])
        payload = frames[0][1]
        (slen,) = struct.unpack_from("<I", payload)
        fields = bxl.parse_schema(bxl.Reader(payload, 4, 4 + slen, "schema"))
        self.assertEqual([(f.name, f.flags, f.precision, f.scale) for f in fields],
                         [("total", OUT, 10, 2), ("msg", OUT, 0, 0), ("none", OUT, 0, 0)])
        start = 4 + slen + bxl.pad8(4 + slen)
        rows, cols = bxl.decode_batch(payload, start, len(payload), fields, "params")
        self.assertEqual((rows, cols), (1, [[decimal.Decimal("4.50")], ["done ✓"], [None]]))

    def test_Params_NoOutputParamsSendsAnEmptyBlock(self):
        frames = capture(self, lambda conn: lp.send_out_params(conn, [F("n", bxl.T_I64)], {"n": 1}))
        payload = frames[0][1]
        self.assertEqual(payload[:8], struct.pack("<II", 4, 0))
        self.assertEqual(struct.unpack_from("<II", payload, 8), (0, 0))

    def test_Params_UndefinedOutputParamIsAnError(self):
        with self.assertRaisesRegex(bxl.OutputError, "no longer defined"):
            capture(self, lambda conn: lp.send_out_params(conn, [F("gone", bxl.T_I64, OUT)], {}))


if __name__ == "__main__":
    unittest.main()
