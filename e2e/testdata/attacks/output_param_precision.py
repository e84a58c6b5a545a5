# Attack: OUTPUT params are checked by name and BXL type only, not precision/scale. Declared
# "@total decimal(5,2) OUTPUT"; the runtime answers decimal(38,0) = 10^37 (and the same param twice).
import os, struct, sys
def wall(b):
    mv = memoryview(b)
    while mv:
        n = os.write(3, mv); mv = mv[n:]
def s(x): x = x.encode(); return struct.pack('<I', len(x)) + x
v = 10**37
sch = struct.pack('<I', 2) + s('total') + bytes([8, 3, 38, 0]) + s('total') + bytes([8, 3, 38, 0])
sl = len(sch)
head = struct.pack('<I', sl) + sch
head += bytes((-len(head)) % 8)
nb = 4
pos = 8 + 16 * nb
tbl = struct.pack('<QQ', pos, 0) + struct.pack('<QQ', pos, 16) + struct.pack('<QQ', pos + 16, 0) + struct.pack('<QQ', pos + 16, 16)
val = (v & (2**64 - 1)).to_bytes(8, 'little') + (v >> 64).to_bytes(8, 'little', signed=True)
val2 = (7).to_bytes(16, 'little')
batch = struct.pack('<II', 1, nb) + tbl + val + val2
P = head + batch
wall(struct.pack('<IB', len(P), 2) + P)
wall(struct.pack('<IB', 8, 5) + struct.pack('<Q', 0))
sys.stdout.flush(); os._exit(0)
