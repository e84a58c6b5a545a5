"""Chunked jobs: the script runs once per chunk of the input, in one session.

The host asks for it with the JOB key chunked=1 (@r_rowsPerRead, or
@input_data_1_partition_by_columns) and ends each chunk with a BATCH of zero
rows; no such BATCH follows the last chunk (docs/bxl.md, "Chunks"). Each
chunk becomes the input DataFrame in turn, so only one chunk is in memory.
The script's variables live on from chunk to chunk, OUTPUT params included:
each run sees the values the previous run left. The output data set is
unbound before each run; the runs' outputs are sent as one result set,
whose columns must be the same in every chunk.
"""

import gc

import pandas as pd

import launchpad_bxl as bxl
from launchpad_bxl import FLAG_NULLABLE, OutputError
from launchpad_frames_in import InputColumn, Scratch, build_frame, read_batch
from launchpad_frames_out import batch_bounds, encode_batch, prepare_frame
from launchpad_script import ScriptFailed, Session


def run_chunks(conn, job, params):
    """Reads SCHEMA, runs the script per chunk up to END, sending each
    chunk's output; returns (the script's namespace, output rows sent)."""
    fields = bxl.read_schema(conn)
    session = Session(job, params)
    out = ChunkOutput(conn, job.get("output_name") or "OutputDataSet", fields)
    seen, chunk = 0, 0
    while True:
        frame, rows, ended = read_chunk(conn, fields, seen)
        seen += rows
        if ended and rows == 0 and chunk > 0:
            return session.ns, out.rows
        chunk += 1
        session.ns.pop(out.name, None)
        gc.enable()
        try:
            session.run(frame)
        except ScriptFailed as failed:
            failed.info["message"] = "chunk %d: %s" % (chunk, failed.info.get("message", ""))
            raise
        finally:
            gc.disable()
        del frame
        session.ns[session.input_name] = None  # the next chunk must not meet this one in memory
        out.send(chunk, session.ns.get(out.name))
        if ended:
            return session.ns, out.rows


def read_chunk(conn, fields, seen):
    """Reads BATCH frames up to a zero-row BATCH or END; returns (DataFrame,
    rows, ended). seen: rows of the earlier chunks, for END's count.
    Its loop repeats read_dataset's on purpose: there a zero-row BATCH is just
    an empty batch, here it ends a chunk, and a shared loop would need a flag
    in the hot path of every input."""
    cols = [InputColumn(f) for f in fields]
    scratch = Scratch()
    rows = 0
    while True:
        ftype, length = conn.read_header()
        if ftype == bxl.F_BATCH:
            n = read_batch(conn, scratch, length, cols, "frame %d (BATCH)" % conn.frames_in)
            if n == 0:
                return build_frame(fields, cols, rows), rows, False
            rows += n
            continue
        payload = conn.read_payload(length)
        bxl.expect(conn, ftype, bxl.F_END)
        bxl.check_end(conn, payload, seen + rows)
        return build_frame(fields, cols, rows), rows, True


class ChunkOutput:
    """The result set made of every chunk's output data set."""

    def __init__(self, conn, name, hints):
        self.conn, self.name = conn, name
        self.hints = {f.name: f for f in hints}
        self.fields, self.first, self.rows = None, 0, 0

    def send(self, chunk, df):
        """Sends chunk's output (None: the script bound none this time)."""
        if df is None:
            return
        if not isinstance(df, pd.DataFrame):
            raise OutputError("chunk %d: %s must be a pandas DataFrame, got %s" % (chunk, self.name, type(df).__name__))
        cols = prepare_frame(df, self.hints)
        fields = [c.field for c in cols]
        if self.fields is None:
            # A later chunk may hold the NULLs this one lacks.
            for f in fields:
                f.flags |= FLAG_NULLABLE
            bxl.send_schema(self.conn, fields)
            self.fields, self.first = fields, chunk
        elif [_shape(f) for f in fields] != [_shape(f) for f in self.fields]:
            raise OutputError("chunk %d: %s has columns %s, but chunk %d's had %s: every chunk must return the same columns"
                              % (chunk, self.name, _describe(fields), self.first, _describe(self.fields)))
        n = len(df)
        for a, b in batch_bounds(cols, n):
            self.conn.send(bxl.F_BATCH, encode_batch(cols, a, b))
        self.rows += n


def _shape(f):
    return (f.name, f.code, f.precision, f.scale)


def _describe(fields):
    return "(%s)" % ", ".join("%s %s" % (f.name, bxl.TYPE_NAMES.get(f.code, f.code)) for f in fields)
