# Baseline (a) of launchpad-bench: BXL frames from a socketpair (fd 3) straight
# into preallocated numpy arrays with recv_into — one copy, kernel to array —
# and, in mode "rt", the same arrays sent back as BXL batches with sendmsg.
# argv: shape (mixed|numeric), rows, mode (in|rt), strings (raw|str: decode
# the string column into a numpy object array of Python str and encode it back).
import socket
import struct
import sys

import numpy as np

FRAME_HELLO, FRAME_BATCH, FRAME_END = 0, 4, 5


def recv_exact(sock, view):
    got, n = 0, len(view)
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise EOFError("socket closed mid-frame")
        got += k


def send_parts(sock, parts):
    parts = [memoryview(p).cast("B") for p in parts if len(p)]
    while parts:
        sent = sock.sendmsg(parts[:1024])
        while parts and sent >= len(parts[0]):
            sent -= len(parts[0])
            parts.pop(0)
        if parts and sent:
            parts[0] = parts[0][sent:]


def pad8(n):
    return (8 - n % 8) % 8


def main():
    shape, n, mode, strs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    mixed = shape == "mixed"
    sock = socket.socket(fileno=3)
    ids = np.empty(n, np.int64)
    xs = np.empty(n, np.float64)
    offs = np.zeros(n + 1, np.int32) if mixed else None
    data = bytearray(16 * n) if mixed else None
    scratch = bytearray(1 << 16)
    hdr = bytearray(5)
    # HELLO says numpy is imported: the clock starts now.
    sock.sendall(struct.pack("<IB4sHH", 8, FRAME_HELLO, b"BXL1", 1, 0))

    row, dpos, batches = 0, 0, []
    while True:
        recv_exact(sock, memoryview(hdr))
        ln, t = struct.unpack("<IB", hdr)
        if t != FRAME_BATCH:
            payload = bytearray(ln)
            recv_exact(sock, memoryview(payload))
            if t == FRAME_END:
                break
            continue
        head = bytearray(8)
        recv_exact(sock, memoryview(head))
        k, nb = struct.unpack("<II", head)
        table = bytearray(16 * nb)
        recv_exact(sock, memoryview(table))
        spans = struct.unpack("<%dQ" % (2 * nb), table)
        pos = 8 + 16 * nb
        base = int(offs[row]) if mixed else 0
        dests = [None, memoryview(ids[row:row + k]).cast("B"), None, memoryview(xs[row:row + k]).cast("B")]
        if mixed:
            dests += [None, memoryview(offs[row:row + k + 1]).cast("B"), "data"]
        for i in range(nb):
            off, blen = spans[2 * i], spans[2 * i + 1]
            while pos < off:  # padding
                step = min(off - pos, len(scratch))
                recv_exact(sock, memoryview(scratch)[:step])
                pos += step
            if blen == 0:
                continue
            d = dests[i]
            if d == "data":
                if dpos + blen > len(data):
                    data.extend(bytes(dpos + blen - len(data)))
                d = memoryview(data)[dpos:dpos + blen]
                dpos += blen
            recv_exact(sock, d)
            pos = off + blen
        while pos < ln:
            step = min(ln - pos, len(scratch))
            recv_exact(sock, memoryview(scratch)[:step])
            pos += step
        if mixed:
            offs[row:row + k + 1] += base
        batches.append((row, k))
        row += k
    if row != n:
        raise SystemExit("got %d rows, want %d" % (row, n))

    strings = None
    if mixed and strs == "str":
        raw = bytes(memoryview(data)[:dpos])
        o = offs.tolist()
        text = raw.decode("utf-8")
        if len(text) == len(raw):  # ASCII: character and byte offsets agree
            strings = np.array([text[o[i]:o[i + 1]] for i in range(n)], dtype=object)
        else:
            strings = np.array([raw[o[i]:o[i + 1]].decode("utf-8") for i in range(n)], dtype=object)
        enc = [s.encode("utf-8") for s in strings]
        data = b"".join(enc)
        offs = np.zeros(n + 1, np.int32)
        np.cumsum(np.fromiter(map(len, enc), np.int64, n), out=offs[1:], dtype=np.int32)

    sent = 0
    if mode == "rt":
        dview = memoryview(data) if mixed else None
        for a, k in batches:
            bufs = [b"", ids[a:a + k], b"", xs[a:a + k]]
            if mixed:
                o = offs[a:a + k + 1] - offs[a]
                bufs += [b"", o, dview[offs[a]:offs[a + k]]]
            spans, parts, p = [], [], 8 + 16 * len(bufs)
            p += pad8(p)
            for b in bufs:
                blen = memoryview(b).nbytes
                spans += [p, blen]
                parts.append(b)
                parts.append(bytes(pad8(blen)))
                p += blen + pad8(blen)
            head = struct.pack("<II%dQ" % len(spans), k, len(bufs), *spans)
            head += bytes(pad8(len(head)))
            send_parts(sock, [struct.pack("<IB", p, FRAME_BATCH), head] + parts)
            sent += k
    send_parts(sock, [struct.pack("<IBQ", 8, FRAME_END, sent)])
    sock.close()


main()
