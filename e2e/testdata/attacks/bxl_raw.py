# Helper (import-free, inlined into scripts): write raw BXL frames to the data plane, fd 3.
import os, struct
def frame(t, payload_len):
    return struct.pack('<IB', payload_len, t)
def wall(b):
    mv = memoryview(b)
    while mv:
        n = os.write(3, mv); mv = mv[n:]
def s(x):
    x = x.encode() if isinstance(x, str) else x
    return struct.pack('<I', len(x)) + x
def schema(fields):  # fields: (name, type, flags, prec, scale)
    out = struct.pack('<I', len(fields))
    for n, t, fl, p, sc in fields:
        out += s(n) + bytes([t, fl, p, sc])
    return out
EMPTY_PARAMS = struct.pack('<I', 4) + struct.pack('<I', 0) + struct.pack('<II', 0, 0)
