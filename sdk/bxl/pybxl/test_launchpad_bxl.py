"""Unit tests of launchpad_bxl.py (pure standard library, like the module).

Run:  python3 -B -m unittest discover -s sdk/bxl/pybxl -v
"""

import datetime
import decimal
import socket
import struct
import threading
import unittest
import uuid

import launchpad_bxl as bxl

F = bxl.Field
TZ545 = datetime.timezone(datetime.timedelta(hours=5, minutes=45))

EVERY_TYPE = [
    (F("b", bxl.T_BOOL), [True, None, False]),
    (F("i8", bxl.T_I8), [-128, None, 127]),
    (F("i16", bxl.T_I16), [-32768, 7, None]),
    (F("i32", bxl.T_I32), [None, -(2**31), 2**31 - 1]),
    (F("i64", bxl.T_I64), [2**53 + 1, None, -(2**63)]),
    (F("f32", bxl.T_F32), [1.5, None, -0.25]),
    (F("f64", bxl.T_F64), [1e300, None, -0.0]),
    (F("dec", bxl.T_DEC, precision=38, scale=4),
     [decimal.Decimal("12345678901234567890123456789012.3456"), None, decimal.Decimal("-0.0001")]),
    (F("s", bxl.T_STR), ["héllo ✓ 世界", None, ""]),
    (F("bin", bxl.T_BIN), [b"\x00\xff", b"", None]),
    (F("d", bxl.T_DATE), [datetime.date(1969, 7, 20), None, datetime.date(1, 1, 1)]),
    (F("t", bxl.T_TIME), [datetime.time(0, 0), datetime.time(23, 59, 59, 999999), None]),
    (F("dt", bxl.T_DT), [datetime.datetime(1950, 1, 2, 3, 4, 5, 6), None, datetime.datetime(9999, 12, 31)]),
    (F("dto", bxl.T_DTO), [datetime.datetime(2024, 2, 29, 23, 30, tzinfo=TZ545), None,
                           datetime.datetime(1900, 1, 1, tzinfo=datetime.timezone(-datetime.timedelta(hours=8)))]),
    (F("u", bxl.T_UUID), [uuid.UUID("12345678-1234-5678-9abc-def012345678"), None, uuid.UUID(int=0)]),
]


def joined(parts):
    return b"".join(bytes(memoryview(p).cast("B")) for p in parts)


def one_column_batch(field, n, bufs):
    """A batch payload of one column with the given raw buffers."""
    return joined(bxl.batch_parts(n, bufs)[0])


class CodecTest(unittest.TestCase):
    def test_Codec_RoundTripsEveryTypeWithNulls(self):
        fields = [f for f, _ in EVERY_TYPE]
        cols = [v for _, v in EVERY_TYPE]
        payload = joined(bxl.encode_batch(fields, cols, 3))
        n, got = bxl.decode_batch(payload, 0, len(payload), fields, "batch")
        self.assertEqual(n, 3)
        for f, want, col in zip(fields, cols, got):
            self.assertEqual(col, want, f.name)
            for g, w in zip(col, want):
                self.assertIs(type(g), type(w), f.name)
                if isinstance(w, datetime.datetime):
                    self.assertEqual(g.utcoffset(), w.utcoffset(), f.name)

    def test_Codec_LayoutFollowsTheSpec(self):
        # docs/bxl.md: u32 rows, u32 buffers, (u64 offset, u64 length) each,
        # header padded to 8, every buffer 8-aligned, no validity when no NULLs.
        payload = joined(bxl.encode_batch([F("a", bxl.T_I16, 0)], [[1, -2, 3]], 3))
        want = (struct.pack("<IIQQQQ", 3, 2, 40, 0, 40, 6) + struct.pack("<3h", 1, -2, 3) + bytes(2))
        self.assertEqual(payload, want)

    def test_Codec_BitmapsAreLittleEndian(self):
        flags = [True, False, False, True] + [False] * 4 + [True]
        self.assertEqual(bxl.pack_bits(flags), b"\x09\x01")
        self.assertEqual(bxl.bits(b"\x09\x01", 9), flags)
        self.assertEqual(bxl.bits(b"", 0), [])

    def test_Codec_SchemaAndDictRoundTrip(self):
        fields = [F("x", bxl.T_DEC, bxl.FLAG_NULLABLE | bxl.FLAG_OUTPUT, 10, 2), F("ü", bxl.T_STR, 0)]
        got = bxl.parse_schema(bxl.Reader(bxl.encode_schema(fields), what="schema"))
        self.assertEqual([(f.name, f.code, f.flags, f.precision, f.scale) for f in got],
                         [("x", 8, 3, 10, 2), ("ü", 9, 0, 0, 0)])
        d = {"script": "print('✓')", "": ""}
        self.assertEqual(bxl.parse_dict(bxl.encode_dict(d), "dict"), d)

    def test_Codec_RejectsBadSchemas(self):
        cases = {
            "unknown_type": (99, 1, 0, 0, "unknown type code"),
            "unknown_flag": (5, 4, 0, 0, "unknown flag bits"),
            "decimal_precision": (8, 1, 39, 0, "invalid decimal"),
            "decimal_scale": (8, 1, 5, 6, "invalid decimal"),
            "scale_on_int": (5, 1, 0, 2, "precision/scale"),
        }
        for name, (code, flags, p, s, text) in cases.items():
            with self.subTest(name):
                raw = struct.pack("<II", 1, 1) + b"a" + struct.pack("<BBBB", code, flags, p, s)
                with self.assertRaisesRegex(bxl.ProtocolError, text):
                    bxl.parse_schema(bxl.Reader(raw, what="schema"))
        with self.assertRaisesRegex(bxl.ProtocolError, "truncated"):
            bxl.parse_schema(bxl.Reader(struct.pack("<II", 1, 100) + b"a", what="schema"))
        with self.assertRaisesRegex(bxl.ProtocolError, "not UTF-8"):
            bxl.parse_dict(struct.pack("<II", 1, 1) + b"\xff" + struct.pack("<I", 0), "dict")

    def test_Codec_RejectsHostileBatchTables(self):
        i8 = [F("a", bxl.T_I8)]
        good = one_column_batch(i8[0], 2, [b"", b"\x01\x02"])
        cases = {
            "buffer_count": (struct.pack("<II", 0, 0), "buffers, schema needs"),
            "truncated_table": (struct.pack("<II", 1, 2) + bytes(8), "truncated"),
            "misaligned": (good[:24] + struct.pack("<Q", 33) + good[32:], "not 8-byte aligned"),
            "outside": (good[:32] + struct.pack("<Q", 4096) + good[40:], "outside the payload"),
            "into_header": (good[:24] + struct.pack("<QQ", 8, 2) + good[40:], "outside the payload"),
            "overlap": (struct.pack("<IIQQQQ", 1, 2, 40, 8, 40, 1) + bytes(8), "overlap"),
            "values_length": (one_column_batch(i8[0], 3, [b"", b"\x01\x02"]), "values buffer is 2 bytes"),
            "validity_length": (one_column_batch(i8[0], 2, [b"\x01\x01", b"\x01\x02"]), "validity is 2 bytes"),
        }
        for name, (payload, text) in cases.items():
            with self.subTest(name):
                with self.assertRaisesRegex(bxl.ProtocolError, text):
                    bxl.decode_batch(payload, 0, len(payload), i8, "batch")

    def test_Codec_RejectsBadOffsets(self):
        s = F("s", bxl.T_STR)
        cases = {
            "not_from_zero": [b"", struct.pack("<3i", 1, 2, 3), b"abc"],
            "not_to_end": [b"", struct.pack("<3i", 0, 1, 2), b"abc"],
            "backwards": [b"", struct.pack("<3i", 0, 3, 2), b"ab"],
        }
        for name, bufs in cases.items():
            with self.subTest(name):
                payload = one_column_batch(s, 2, bufs)
                with self.assertRaisesRegex(bxl.ProtocolError, "offsets do not run"):
                    bxl.decode_batch(payload, 0, len(payload), [s], "batch")

    def test_Codec_RejectsInputValuesPythonCannotHold(self):
        def enc(fmt, *v):
            return struct.pack(fmt, *v)
        cases = {
            "utf8": (F("c", bxl.T_STR), [b"", enc("<2i", 0, 2), b"\xff\xfe"], "invalid UTF-8"),
            "decimal": (F("c", bxl.T_DEC, precision=3), [b"", (1000).to_bytes(16, "little")], "exceeds decimal"),
            "date": (F("c", bxl.T_DATE), [b"", enc("<i", bxl.MAX_DAY + 1)], "days outside"),
            "time": (F("c", bxl.T_TIME), [b"", enc("<q", bxl.US_PER_DAY)], "microseconds outside"),
            "datetime": (F("c", bxl.T_DT), [b"", enc("<q", bxl.MIN_US - 1)], "microseconds outside"),
            "zone": (F("c", bxl.T_DTO), [b"", enc("<q", 0), enc("<h", 841)], "offset minutes"),
            "local": (F("c", bxl.T_DTO), [b"", enc("<q", bxl.MAX_US), enc("<h", 1)], "local microseconds"),
        }
        for name, (field, bufs, text) in cases.items():
            with self.subTest(name):
                payload = one_column_batch(field, 1, bufs)
                with self.assertRaisesRegex(bxl.InputError, text) as cm:
                    bxl.decode_batch(payload, 0, len(payload), [field], "batch")
                self.assertEqual(cm.exception.column, "c")
                self.assertEqual(cm.exception.kind, "input")

    def test_Codec_IgnoresValuesUnderNull(self):
        # A NULL slot may hold anything: it must not fail a range check.
        cases = [(F("d", bxl.T_DATE), [b"\x02", struct.pack("<2i", 2**31 - 1, 0)]),
                 (F("c", bxl.T_DEC, precision=1), [b"\x02", (99).to_bytes(16, "little") + bytes(16)])]
        for field, bufs in cases:
            with self.subTest(field.name):
                payload = one_column_batch(field, 2, bufs)
                _, cols = bxl.decode_batch(payload, 0, len(payload), [field], "batch")
                self.assertIsNone(cols[0][0])

    def test_Codec_RejectsOutputValuesThatDoNotFit(self):
        cases = {
            "int_range": (F("c", bxl.T_I8), [128], "does not fit int8"),
            "decimal_places": (F("c", bxl.T_DEC, precision=5, scale=1), [decimal.Decimal("1.25")],
                               "more than 1 decimal places"),
            "decimal_digits": (F("c", bxl.T_DEC, precision=2, scale=0), [decimal.Decimal("100")],
                               "does not fit decimal"),
            "decimal_nan": (F("c", bxl.T_DEC, precision=2), [decimal.Decimal("NaN")], "not a finite"),
            "zone_seconds": (F("c", bxl.T_DTO), [datetime.datetime(
                2000, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(seconds=30)))], "whole minutes"),
            "naive_for_dto": (F("c", bxl.T_DTO), [datetime.datetime(2000, 1, 1)], "cannot encode"),
            "surrogate": (F("c", bxl.T_STR), ["\udc80"], "not encodable as UTF-8"),
            "str_for_int": (F("c", bxl.T_I32), ["1"], "cannot encode"),
            "float32_overflow": (F("c", bxl.T_F32), [1e300], "cannot encode"),
            "null_not_nullable": (F("c", bxl.T_I32, 0), [None], "not nullable"),
        }
        for name, (field, vals, text) in cases.items():
            with self.subTest(name):
                with self.assertRaisesRegex(bxl.OutputError, text) as cm:
                    bxl.encode_column(field, vals, "output column 'c'")
                self.assertEqual(cm.exception.column, "c")


class ConversationTest(unittest.TestCase):
    def setUp(self):
        self.host, rt = socket.socketpair()
        self.addCleanup(self.host.close)
        self.addCleanup(rt.close)
        self.conn = bxl.Conn(rt)

    def feed(self, *frames):
        data = b"".join(struct.pack("<IB", len(p), t) + p for t, p in frames)
        threading.Thread(target=self.host.sendall, args=(data,), daemon=True).start()

    def read_host(self):
        hdr = self.host.recv(5, socket.MSG_WAITALL)
        length, ftype = struct.unpack("<IB", hdr)
        return ftype, self.host.recv(length, socket.MSG_WAITALL) if length else b""

    def test_Conversation_ReadsAFullInput(self):
        fields = [F("n", bxl.T_I64), F("s", bxl.T_STR)]
        pfields = [F("p", bxl.T_DT, bxl.FLAG_NULLABLE | bxl.FLAG_OUTPUT)]
        schema = bxl.encode_schema(pfields)
        head = struct.pack("<I", len(schema)) + schema
        params = head + bytes(bxl.pad8(len(head))) + joined(
            bxl.encode_batch(pfields, [[datetime.datetime(2020, 1, 2)]], 1))
        self.feed((bxl.F_HELLO, b"BXL1" + struct.pack("<HH", 1, 7)),
                  (bxl.F_JOB, bxl.encode_dict({"script": "pass"})),
                  (bxl.F_PARAMS, params), (bxl.F_SCHEMA, bxl.encode_schema(fields)),
                  (bxl.F_BATCH, joined(bxl.encode_batch(fields, [[1, None], ["a", "b"]], 2))),
                  (bxl.F_BATCH, joined(bxl.encode_batch(fields, [[3], [None]], 1))),
                  (bxl.F_END, struct.pack("<Q", 3)))
        bxl.read_hello(self.conn)
        self.assertEqual(bxl.read_job(self.conn), {"script": "pass"})
        got_fields, values = bxl.read_params(self.conn)
        self.assertEqual([f.name for f in got_fields], ["p"])
        self.assertTrue(got_fields[0].output)
        self.assertEqual(values, {"p": datetime.datetime(2020, 1, 2)})
        self.assertEqual([f.name for f in bxl.read_schema(self.conn)], ["n", "s"])
        got = list(bxl.read_batches(self.conn, fields))
        self.assertEqual(got, [(2, [[1, None], ["a", "b"]]), (1, [[3], [None]])])

    def test_Conversation_SendsQuery(self):
        bxl.send_query(self.conn, "SELECT n FROM t")
        ftype, payload = self.read_host()
        self.assertEqual(ftype, bxl.F_QUERY)
        self.assertEqual(bxl.parse_dict(payload, "query"), {"query": "SELECT n FROM t"})
        with self.assertRaisesRegex(bxl.OutputError, "exceeds"):
            bxl.send_query(self.conn, "x" * bxl.MAX_QUERY)

    def test_Conversation_RejectsWrongFramesAndCounts(self):
        cases = {
            "major": ([(bxl.F_HELLO, b"BXL1" + struct.pack("<HH", 2, 0))], bxl.read_hello, "major version 2"),
            "magic": ([(bxl.F_HELLO, b"BXL2" + bytes(4))], bxl.read_hello, "bad HELLO"),
            "order": ([(bxl.F_SCHEMA, b"")], bxl.read_job, "got SCHEMA, want JOB"),
            "unknown": ([(9, b"")], bxl.read_job, "unknown frame type 9"),
            "params_rows": ([(bxl.F_PARAMS, struct.pack("<II", 4, 0) + joined(bxl.batch_parts(1, [])[0]))],
                            bxl.read_params, "batch has 1 rows, want 0"),
            "end_count": ([(bxl.F_END, struct.pack("<Q", 5))],
                          lambda c: list(bxl.read_batches(c, [])), "END says 5 rows, batches held 0"),
        }
        for name, (frames, step, text) in cases.items():
            with self.subTest(name):
                self.setUp()
                self.feed(*frames)
                with self.assertRaisesRegex(bxl.ProtocolError, text):
                    step(self.conn)

    def test_Conversation_FrameLimitAndPeerGone(self):
        threading.Thread(target=self.host.sendall, args=(struct.pack("<IB", bxl.MAX_FRAME + 1, 1),),
                         daemon=True).start()
        with self.assertRaisesRegex(bxl.ProtocolError, "exceeds limit"):
            self.conn.read_header()
        self.feed((bxl.F_ERROR, bxl.encode_dict({"kind": "internal"})))
        with self.assertRaises(bxl.PeerGone):
            bxl.read_job(self.conn)
        self.host.shutdown(socket.SHUT_WR)
        with self.assertRaisesRegex(bxl.PeerGone, "closed"):
            self.conn.read_frame()

    def test_Conversation_SendsVectorsLongerThanOneSendmsg(self):
        parts = [bytes([i % 251]) * 3 for i in range(2000)]  # more than _MAX_IOV vectors
        got = {}
        reader = threading.Thread(target=lambda: got.setdefault("f", self.read_host()))
        reader.start()
        self.conn.send(bxl.F_BATCH, parts)
        reader.join()
        self.assertEqual(got["f"], (bxl.F_BATCH, b"".join(parts)))

    def test_Conversation_SendsParamsEndAndError(self):
        fields = [F("x", bxl.T_DEC, bxl.FLAG_NULLABLE | bxl.FLAG_OUTPUT, 10, 2), F("y", bxl.T_STR, 3)]
        bxl.send_params(self.conn, fields, [decimal.Decimal("1.5"), None])
        bxl.send_end(self.conn, 7)
        bxl.send_error(self.conn, bxl.error_info(bxl.OutputError("bad", "col")))
        ftype, payload = self.read_host()
        self.assertEqual(ftype, bxl.F_PARAMS)
        (slen,) = struct.unpack_from("<I", payload)
        got = bxl.parse_schema(bxl.Reader(payload, 4, 4 + slen, "schema"))
        self.assertEqual([(f.name, f.flags, f.precision, f.scale) for f in got], [("x", 3, 10, 2), ("y", 3, 0, 0)])
        start = 4 + slen + bxl.pad8(4 + slen)
        _, cols = bxl.decode_batch(payload, start, len(payload), got, "params")
        self.assertEqual(cols, [[decimal.Decimal("1.50")], [None]])
        self.assertEqual(self.read_host(), (bxl.F_END, struct.pack("<Q", 7)))
        ftype, payload = self.read_host()
        self.assertEqual(ftype, bxl.F_ERROR)
        self.assertEqual(bxl.parse_dict(payload, "error"),
                         {"kind": "output", "type": "OutputError", "message": "bad", "column": "col"})


if __name__ == "__main__":
    unittest.main()
