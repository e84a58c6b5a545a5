"""A job's event stream into a Result: the DataFrame, OUTPUT params,
messages and errors. Payloads are made with the SDK's codec (launchpad_bxl)
as the host makes them with the Go one; the e2e test (e2e/pyclient_test.go)
runs the same against a real host."""

import datetime
import decimal
import math
import struct
import unittest

import numpy as np

import launchpad
import launchpad_bxl as bxl
from launchpad import _stream
from launchpad import launchpad_pb2 as pb

F = bxl.Field
FIELDS = [F("i", bxl.T_I64), F("n", bxl.T_I32), F("f", bxl.T_F64), F("s", bxl.T_STR), F("d", bxl.T_DATE),
          F("t", bxl.T_DT), F("m", bxl.T_DEC, precision=10, scale=2)]


def batch(cols, n):
    return b"".join(bytes(memoryview(p).cast("B")) for p in bxl.encode_batch(FIELDS, cols, n))


def params_payload(fields, values):
    """A PARAMS payload as the host forwards it (the frame without its header)."""
    sent = []

    class Sock:
        def sendmsg(self, views):
            data = b"".join(bytes(v) for v in views)
            sent.append(data)
            return len(data)

    bxl.send_params(bxl.Conn(Sock()), fields, values)
    return b"".join(sent)[5:]


def ev(**kw):
    return pb.ExecuteResponse(**kw)


def msg(stream, text):
    return ev(message=pb.Message(stream=stream, text=text.encode()))


def ok_status(job="j-1", params=b""):
    return ev(status=pb.Status(job_id=job, output_params=params, stats=pb.Stats(rows_out=3, duration_ms=7)))


ROWS1 = [[1, 2**60], [7, 8], [1.5, None], ["a", None], [datetime.date(2024, 2, 29), None],
         [datetime.datetime(2024, 1, 1, 10, 0, 0, 500000), None], [decimal.Decimal("1.25"), None]]
ROWS2 = [[3], [9], [2.5], ["ü"], [datetime.date(1, 1, 1)], [datetime.datetime(9999, 12, 31)],
         [decimal.Decimal("-0.01")]]


def good_stream(params=b""):
    return [
        ev(started=pb.JobStarted(job_id="j-1", launcher="PythonLauncher", warnings=["isolation none"])),
        msg(pb.Message.STREAM_STDOUT, "hello "),
        ev(schema=bxl.encode_schema(FIELDS)),
        ev(batch=batch(ROWS1, 2)),
        msg(pb.Message.STREAM_STDERR, "warn\n"),
        msg(pb.Message.STREAM_STDOUT, "world\n"),
        ev(batch=batch(ROWS2, 1)),
        ok_status(params=params),
    ]


class CollectTest(unittest.TestCase):
    def test_result_set_params_and_messages(self):
        pfields = [F("total", bxl.T_F64, bxl.FLAG_NULLABLE | bxl.FLAG_OUTPUT),
                   F("big", bxl.T_I64, bxl.FLAG_NULLABLE | bxl.FLAG_OUTPUT),
                   F("when", bxl.T_DATE, bxl.FLAG_NULLABLE | bxl.FLAG_OUTPUT),
                   F("none", bxl.T_STR, bxl.FLAG_NULLABLE | bxl.FLAG_OUTPUT)]
        payload = params_payload(pfields, [42.5, 2**62 + 1, datetime.date(2020, 5, 17), None])
        r = _stream.collect(good_stream(payload))
        df = r.data
        self.assertEqual(list(df.columns), ["i", "n", "f", "s", "d", "t", "m"])
        self.assertEqual(len(df), 3)
        # Types as a script's InputDataSet gets them (launchpad_frames_in).
        self.assertEqual(df["i"].dtype, np.int64)
        self.assertEqual(df["i"].tolist(), [1, 2**60, 3])
        self.assertEqual(df["n"].dtype, np.int32)
        self.assertEqual(df["f"].dtype, np.float64)
        self.assertTrue(math.isnan(df["f"][1]))
        self.assertEqual(df["s"].tolist(), ["a", None, "ü"])
        self.assertEqual(df["d"].tolist(), [datetime.date(2024, 2, 29), None, datetime.date(1, 1, 1)])
        # 9999-12-31 is beyond datetime64[ns]: the column is object datetimes, exact.
        self.assertEqual(df["t"].tolist()[2], datetime.datetime(9999, 12, 31))
        self.assertEqual(df["m"].tolist(), [decimal.Decimal("1.25"), None, decimal.Decimal("-0.01")])
        self.assertEqual(r.params, {"total": 42.5, "big": 2**62 + 1, "when": datetime.date(2020, 5, 17),
                                    "none": None})
        self.assertEqual(r.stdout, "hello world\n")
        self.assertEqual(r.stderr, "warn\n")
        self.assertEqual([m.stream for m in r.messages], ["stdout", "stderr", "stdout"])
        self.assertEqual((r.job_id, r.launcher, r.warnings), ("j-1", "PythonLauncher", ["isolation none"]))
        self.assertEqual((r.stats["rows_out"], r.stats["duration_ms"]), (3, 7))
        data, params = r
        self.assertIs(data, df)
        self.assertIs(params, r.params)

    def test_datetimes_in_range_are_datetime64(self):
        s = [ev(schema=bxl.encode_schema(FIELDS)), ev(batch=batch(ROWS1, 2)), ok_status()]
        df = _stream.collect(s).data
        self.assertEqual(str(df["t"].dtype), "datetime64[ns]")
        self.assertTrue(np.isnat(df["t"].values[1]))

    def test_no_result_set_is_an_empty_frame(self):
        r = _stream.collect([ev(started=pb.JobStarted(job_id="j-2")), ok_status("j-2")])
        self.assertTrue(r.data.empty)
        self.assertEqual(r.params, {})

    def test_script_error_raises_with_traceback_and_messages(self):
        err = pb.Error(code=pb.ERROR_CODE_SCRIPT, message="script error: ZeroDivisionError: division by zero",
                       error_type="ZeroDivisionError", traceback="Traceback ...\n  line 2\n", line=2)
        s = good_stream()[:4] + [ev(status=pb.Status(job_id="j-1", error=err))]
        with self.assertRaises(launchpad.ScriptError) as cm:
            _stream.collect(s)
        e = cm.exception
        self.assertEqual((e.job_id, e.code, e.line, e.error_type), ("j-1", "SCRIPT", 2, "ZeroDivisionError"))
        self.assertEqual(e.stdout, "hello ")
        self.assertIn("job j-1: script error: ZeroDivisionError", str(e))
        self.assertIn("Traceback ...\n  line 2", str(e))
        self.assertIsInstance(e, launchpad.JobError)

    def test_error_codes_pick_the_exception(self):
        cases = [(pb.ERROR_CODE_LIMIT_EXCEEDED, launchpad.LimitExceeded, "LIMIT_EXCEEDED"),
                 (pb.ERROR_CODE_INVALID_REQUEST, launchpad.InvalidRequest, "INVALID_REQUEST"),
                 (pb.ERROR_CODE_CANCELLED, launchpad.JobCancelled, "CANCELLED"),
                 (pb.ERROR_CODE_DATA_SOURCE, launchpad.JobError, "DATA_SOURCE"),
                 (99, launchpad.JobError, "99")]  # a code from a newer host
        for code, cls, name in cases:
            with self.subTest(name):
                s = [ev(status=pb.Status(job_id="j", error=pb.Error(code=code, message="m", limit="memory")))]
                with self.assertRaises(cls) as cm:
                    _stream.collect(s)
                self.assertIs(type(cm.exception), cls)
                self.assertEqual((cm.exception.code, cm.exception.limit), (name, "memory"))

    def test_broken_streams_raise_protocol_error(self):
        schema = ev(schema=bxl.encode_schema(FIELDS))
        cases = {
            "rows before schema": [ev(batch=batch(ROWS1, 2)), ok_status()],
            "no status": [schema, ev(batch=batch(ROWS1, 2))],
            "second schema": [schema, schema, ok_status()],
            "truncated batch": [schema, ev(batch=batch(ROWS1, 2)[:40]), ok_status()],
            "bad schema": [ev(schema=b"\x01\x00"), ok_status()],
            "bad params": [ok_status(params=b"\x05\x00\x00\x00")],
        }
        for name, s in cases.items():
            with self.subTest(name):
                with self.assertRaises(launchpad.ProtocolError):
                    _stream.collect(s)

    def test_on_message_sees_messages_as_they_come(self):
        seen = []
        _stream.collect(good_stream(), on_message=lambda m: seen.append((m.stream, m.text)))
        self.assertEqual(seen, [("stdout", "hello "), ("stderr", "warn\n"), ("stdout", "world\n")])

    def test_unknown_events_are_skipped(self):
        s = [ev(), ev(schema=bxl.encode_schema(FIELDS)), ev(batch=batch(ROWS2, 1)), ok_status()]
        self.assertEqual(len(_stream.collect(s).data), 1)

    def test_batches_are_checked_against_their_count(self):
        # The END row count is the batches' own: a batch whose header claims
        # more rows than its buffers hold fails, it is not padded.
        b = bytearray(batch(ROWS2, 1))
        struct.pack_into("<I", b, 0, 5)
        with self.assertRaises(launchpad.ProtocolError):
            _stream.collect([ev(schema=bxl.encode_schema(FIELDS)), ev(batch=bytes(b)), ok_status()])


if __name__ == "__main__":
    unittest.main()
