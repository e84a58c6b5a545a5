"""Helpers for the runtime's unit tests: a data plane on a socketpair.

The host side is driven with launchpad_bxl (itself checked against the Go
codec by sdk/bxl/pybxl's tests); test_runtime.py checks the whole runtime
with a separate encoder.
"""

import socket
import struct
import threading

import launchpad_bxl as bxl


def frame(ftype, payload):
    return struct.pack("<IB", len(payload), ftype) + bytes(payload)


def batch(fields, cols, n=None):
    """A BATCH payload of cols (lists, None = NULL)."""
    n = len(cols[0]) if n is None else n
    return b"".join(bytes(memoryview(p).cast("B")) for p in bxl.encode_batch(fields, cols, n))


def feed(tc, data):
    """A Conn whose peer sends data, then closes its writing side."""
    host, rt = socket.socketpair()
    tc.addCleanup(host.close)
    tc.addCleanup(rt.close)

    def write():
        try:
            host.sendall(data)
            host.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the reader stopped early on an error and the test closed the socket

    threading.Thread(target=write, daemon=True).start()
    return bxl.Conn(rt)


def capture(tc, send, incoming=b""):
    """Calls send(conn) and returns the frames it sent as [(type, payload)];
    the host sends incoming (frames the runtime reads) first."""
    host, rt = socket.socketpair()
    tc.addCleanup(host.close)
    tc.addCleanup(rt.close)
    got = bytearray()

    def read():
        host.sendall(incoming)
        while True:
            chunk = host.recv(1 << 20)
            if not chunk:
                return
            got.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        send(bxl.Conn(rt))
    finally:
        rt.shutdown(socket.SHUT_WR)
        reader.join(60)
    frames, pos = [], 0
    while pos < len(got):
        length, ftype = struct.unpack_from("<IB", got, pos)
        frames.append((ftype, bytes(got[pos + 5:pos + 5 + length])))
        pos += 5 + length
    return frames


def decode_dataset(frames):
    """(fields, columns as lists) of SCHEMA + BATCH frames."""
    assert frames[0][0] == bxl.F_SCHEMA, frames[0][0]
    fields = bxl.parse_schema(bxl.Reader(frames[0][1], what="schema"))
    cols = [[] for _ in fields]
    for ftype, payload in frames[1:]:
        assert ftype == bxl.F_BATCH, ftype
        _, batch_cols = bxl.decode_batch(payload, 0, len(payload), fields, "batch")
        for acc, col in zip(cols, batch_cols):
            acc.extend(col)
    return fields, cols
