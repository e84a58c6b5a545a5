"""Unit tests of the PythonLite runtime's own part: the conversation and output inference.

The codec it imports (launchpad_bxl) has its own tests in sdk/bxl/pybxl.
Run:  python3 -B -m unittest discover -s examples/pythonlite
"""

import datetime
import decimal
import os
import socket
import struct
import sys
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "sdk", "bxl", "pybxl"))
import launchpad_bxl as bxl  # noqa: E402
import runtime  # noqa: E402

F = bxl.Field


def frame(ftype, payload):
    return struct.pack("<IB", len(payload), ftype) + bytes(payload)


def params_block(fields, values):
    schema = bxl.encode_schema(fields)
    head = struct.pack("<I", len(schema)) + schema
    parts = bxl.encode_batch(fields, [[v] for v in values], 1 if fields else 0)
    return head + bytes(bxl.pad8(len(head))) + b"".join(bytes(memoryview(p).cast("B")) for p in parts)


class LiteTest(unittest.TestCase):
    def serve(self, script, fields=(), cols=(), pfields=(), pvalues=()):
        """Runs serve() on a socketpair; returns (exit status, frames sent after HELLO)."""
        host, rt = socket.socketpair()
        self.addCleanup(host.close)
        self.addCleanup(rt.close)
        fields = list(fields)
        n = len(cols[0]) if cols else 0
        data = (frame(bxl.F_HELLO, b"BXL1" + struct.pack("<HH", 1, 0))
                + frame(bxl.F_JOB, bxl.encode_dict({"script": script}))
                + frame(bxl.F_PARAMS, params_block(list(pfields), list(pvalues)))
                + frame(bxl.F_SCHEMA, bxl.encode_schema(fields))
                + frame(bxl.F_BATCH, b"".join(bytes(memoryview(p).cast("B"))
                                              for p in bxl.encode_batch(fields, list(cols), n)))
                + frame(bxl.F_END, struct.pack("<Q", n)))
        threading.Thread(target=host.sendall, args=(data,), daemon=True).start()
        code = runtime.serve(bxl.Conn(rt))
        rt.shutdown(socket.SHUT_WR)
        got, frames = b"", []
        while True:
            chunk = host.recv(1 << 16)
            if not chunk:
                break
            got += chunk
        pos = 0
        while pos < len(got):
            length, ftype = struct.unpack_from("<IB", got, pos)
            frames.append((ftype, got[pos + 5:pos + 5 + length]))
            pos += 5 + length
        return code, frames[1:]

    def test_Lite_IdentityKeepsInputTypes(self):
        fields = [F("d", bxl.T_DEC, precision=10, scale=2), F("s", bxl.T_STR)]
        code, frames = self.serve("OutputDataSet = InputDataSet", fields,
                                  [[decimal.Decimal("1.50"), None], ["a", "b"]])
        self.assertEqual(code, 0)
        self.assertEqual([t for t, _ in frames], [bxl.F_SCHEMA, bxl.F_BATCH, bxl.F_PARAMS, bxl.F_END])
        got = bxl.parse_schema(bxl.Reader(frames[0][1], what="schema"))
        self.assertEqual([(f.code, f.precision, f.scale) for f in got], [(bxl.T_DEC, 10, 2), (bxl.T_STR, 0, 0)])
        _, cols = bxl.decode_batch(frames[1][1], 0, len(frames[1][1]), got, "batch")
        self.assertEqual(cols, [[decimal.Decimal("1.50"), None], ["a", "b"]])

    def test_Lite_InfersOutputTypes(self):
        cases = {
            "bool": ([True, None], bxl.T_BOOL), "int": ([None, 3], bxl.T_I64), "float": ([1.5], bxl.T_F64),
            "str": (["x"], bxl.T_STR), "bytes": ([b"x"], bxl.T_BIN), "none": ([None], bxl.T_STR),
            "date": ([datetime.date(2000, 1, 1)], bxl.T_DATE),
            "naive": ([datetime.datetime(2000, 1, 1)], bxl.T_DT),
            "aware": ([datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)], bxl.T_DTO),
        }
        for name, (vals, code) in cases.items():
            with self.subTest(name):
                self.assertEqual(runtime.infer("c", vals, []).code, code)
        dec = runtime.infer("c", [decimal.Decimal("1.5"), decimal.Decimal("-2.125")], [])
        self.assertEqual((dec.code, dec.precision, dec.scale), (bxl.T_DEC, 38, 3))
        with self.assertRaisesRegex(bxl.OutputError, "not supported"):
            runtime.infer("c", [object()], [])

    def test_Lite_OutputParamsAndErrors(self):
        pf = [F("n", bxl.T_I64), F("out", bxl.T_I8, bxl.FLAG_NULLABLE | bxl.FLAG_OUTPUT)]
        code, frames = self.serve("out = n + 1", pfields=pf, pvalues=[4, None])
        self.assertEqual((code, [t for t, _ in frames]), (0, [bxl.F_PARAMS, bxl.F_END]))
        code, frames = self.serve("out = n * 100", pfields=pf, pvalues=[4, None])
        self.assertEqual((code, [t for t, _ in frames]), (1, [bxl.F_ERROR]))
        err = bxl.parse_dict(frames[0][1], "error")
        self.assertEqual((err["kind"], err["column"]), ("output", "out"))
        code, frames = self.serve("x = 1\nraise ValueError('boom')\n")
        err = bxl.parse_dict(frames[0][1], "error")
        self.assertEqual((code, err["kind"], err["type"], err["line"]), (1, "script", "ValueError", "2"))


if __name__ == "__main__":
    unittest.main()
