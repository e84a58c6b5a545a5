"""Unit tests of launchpad_query: QUERY out, the host's answer in as a DataFrame."""

import struct
import unittest

import launchpad_bxl as bxl
import launchpad_query as lq
from launchpad_bxl import Field as F
from test_support import batch, feed, frame

FIELDS = [F("id", bxl.T_I64, 0), F("x", bxl.T_F64)]


def answer(rows):
    """SCHEMA BATCH END of rows (id, x)."""
    cols = [[r[0] for r in rows], [r[1] for r in rows]]
    return (frame(bxl.F_SCHEMA, bxl.encode_schema(FIELDS)) + frame(bxl.F_BATCH, batch(FIELDS, cols))
            + frame(bxl.F_END, struct.pack("<Q", len(rows))))


def error(message):
    return frame(bxl.F_ERROR, bxl.encode_dict({"kind": "query", "type": "QueryError", "message": message}))


class QueryTest(unittest.TestCase):
    def bound(self, data):
        conn = feed(self, data)
        lq.bind(conn)
        self.addCleanup(lq.refuse, "unbound")
        return conn

    def test_Query_AnswerIsATypedFrameAndErrorsRaise(self):
        self.bound(answer([(1, 0.5), (2, None)]) + error('permission denied: table "secret"')
                   + frame(bxl.F_SCHEMA, bxl.encode_schema(FIELDS)) + error("query results exceeded")
                   + answer([(3, 1.0)]))
        df = lq.launchpad_query("SELECT id, x FROM sales")
        self.assertEqual(list(df["id"]), [1, 2])
        self.assertEqual(str(df["id"].dtype), "int64")
        with self.assertRaisesRegex(lq.QueryError, "secret"):
            lq.query("SELECT k FROM secret")
        with self.assertRaisesRegex(lq.QueryError, "exceeded"):  # ERROR in place of END
            lq.query("SELECT id, x FROM big")
        self.assertEqual(list(lq.query("SELECT 3")["id"]), [3])  # still in step

    def test_Query_RefusedWhenUnboundOrNotText(self):
        lq.refuse("not available in a chunked job")
        with self.assertRaisesRegex(lq.QueryError, "chunked"):
            lq.query("SELECT 1")
        self.bound(b"")
        with self.assertRaises(TypeError):
            lq.query(b"SELECT 1")
        with self.assertRaisesRegex(lq.QueryError, "exceeds"):
            lq.query("x" * bxl.MAX_QUERY)

    def test_Query_AnswerOfAnotherFrameIsAProtocolError(self):
        self.bound(frame(bxl.F_BATCH, b""))
        with self.assertRaisesRegex(bxl.ProtocolError, "got BATCH, want SCHEMA"):
            lq.query("SELECT 1")


if __name__ == "__main__":
    unittest.main()
