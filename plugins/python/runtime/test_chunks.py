"""Tests of launchpad_chunks: the script once per chunk, one session."""

import socket
import struct
import threading
import unittest

import launchpad_bxl as bxl
from launchpad_bxl import Field, OutputError
from launchpad_chunks import run_chunks
from launchpad_script import ScriptFailed
from test_support import batch, capture, decode_dataset, frame


class ChunksTest(unittest.TestCase):
    def run_chunks(self, script, sizes, params=None):
        """Runs script over chunks of sizes rows of x = 0, 1, …; returns
        (namespace, rows sent, the frames sent)."""
        fields = [Field("x", bxl.T_I64, 0)]
        data = frame(bxl.F_SCHEMA, bxl.encode_schema(fields))
        x = 0
        for k, n in enumerate(sizes):
            if k:
                data += frame(bxl.F_BATCH, batch(fields, [[]], 0))
            if n:
                data += frame(bxl.F_BATCH, batch(fields, [list(range(x, x + n))]))
            x += n
        data += frame(bxl.F_END, struct.pack("<Q", x))
        out = []

        def send(conn):
            out.extend(run_chunks(conn, {"script": script}, dict(params or {})))

        frames = capture(self, send, data)
        ns, rows = out
        return ns, rows, frames

    def test_runs_once_per_chunk_and_carries_variables(self):
        script = ("import pandas as pd\ncalls += 1\n"
                  "OutputDataSet = pd.DataFrame({'chunk': [calls], 'n': [len(InputDataSet)], 'last': [int(InputDataSet['x'].iloc[-1])]})")
        ns, rows, frames = self.run_chunks(script, [3, 3, 1], {"calls": 0})
        self.assertEqual(ns["calls"], 3)
        self.assertEqual(rows, 3)
        fields, cols = decode_dataset(frames)
        self.assertTrue(all(f.nullable for f in fields))
        self.assertEqual(cols, [[1, 2, 3], [3, 3, 1], [2, 5, 6]])

    def test_empty_input_is_one_empty_chunk(self):
        ns, rows, frames = self.run_chunks("calls += 1\nn = len(InputDataSet)", [0], {"calls": 0})
        self.assertEqual((ns["calls"], ns["n"], rows, frames), (1, 0, 0, []))

    def test_output_unbound_between_chunks(self):
        script = ("import pandas as pd\nif InputDataSet['x'].iloc[0] == 0:\n"
                  "    OutputDataSet = pd.DataFrame({'a': [1]})")
        _, rows, frames = self.run_chunks(script, [2, 2])
        self.assertEqual(rows, 1)
        self.assertEqual(decode_dataset(frames)[1], [[1]])

    def test_other_columns_name_the_chunk(self):
        script = "import pandas as pd\nOutputDataSet = pd.DataFrame({'a' if InputDataSet['x'].iloc[0] == 0 else 'b': [1]})"
        with self.assertRaisesRegex(OutputError, "chunk 2: .* chunk 1"):
            self.run_chunks(script, [1, 1])

    def test_script_error_names_the_chunk(self):
        with self.assertRaises(ScriptFailed) as cm:
            self.run_chunks("if InputDataSet['x'].iloc[0] == 2: raise ValueError('boom')", [2, 2])
        self.assertEqual(cm.exception.info["message"], "chunk 2: boom")


if __name__ == "__main__":
    unittest.main()
