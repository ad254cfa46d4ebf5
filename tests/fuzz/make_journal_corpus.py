#!/usr/bin/python3
"""Writes journal_fuzz's seed corpus: journal segments and records built from
proto-spec/persistence.md by this script's own encoder (a second implementation of the format,
so a seed that does not read back is a disagreement between the spec and the code), after the
settings byte journal_fuzz.cc reads (bit 0: a header is put before the bytes; bit 1: small
limits).

    /usr/bin/python3 tests/fuzz/make_journal_corpus.py OUTPUT_DIR
"""

import hashlib
import os
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283

STORE, TOUCH, REMOVE, REMOVE_VALUE, EXPIRE, FLUSH, MEMORY_LIMIT, FLUSH_PENDING = range(1, 9)


def path(segments):
    out = bytes([len(segments)])
    for s in segments:
        out += bytes([len(s)]) + s
    return out


def record(kind, revision, segments=(), data=b"", flags=0, exptime=0, flush_at=0, limit=0):
    body = bytes([kind]) + struct.pack("<Q", revision)
    if kind == STORE:
        body += struct.pack("<Iq", flags, exptime) + path(segments)
        body += struct.pack("<I", len(data)) + data
    elif kind == TOUCH:
        body += struct.pack("<q", exptime) + path(segments)
    elif kind in (REMOVE, REMOVE_VALUE, EXPIRE):
        body += path(segments)
    elif kind in (FLUSH, FLUSH_PENDING):
        body += struct.pack("<q", flush_at)
    elif kind == MEMORY_LIMIT:
        body += struct.pack("<Q", limit)
    return body


def frame(body):
    out = struct.pack("<II", len(body), crc32c(body)) + body
    return out + b"\0" * (-len(out) % 8)


def header(first, prev):
    head = b"NCJOURNL" + struct.pack("<IIQQ", 1, 0, first, prev)
    return head + struct.pack("<II", crc32c(head), 0)


def records():
    return [
        record(STORE, 1, [b"config", b"db", b"host"], b"10.0.0.1", flags=5),
        record(STORE, 2, [b"cache", b"k"], b"", exptime=1700000000),
        record(TOUCH, 3, [b"cache", b"k"], exptime=1700000100),
        record(REMOVE, 4, [b"cache"]),
        record(REMOVE_VALUE, 5, [b"config", b"db"]),
        record(EXPIRE, 6, [b"session", b"x"]),
        record(FLUSH, 7, flush_at=1700000200),
        record(MEMORY_LIMIT, 8, limit=64 << 20),
        record(STORE, 9, [b"a"] * 4, b"v" * 64),
        record(FLUSH_PENDING, 10, flush_at=1700000300),
    ]


def main(out):
    os.makedirs(out, exist_ok=True)
    bodies = records()
    frames = b"".join(frame(b) for b in bodies)
    seeds = []
    for body in bodies:
        seeds.append(bytes([0]) + body)  # decode_record over one record
        seeds.append(bytes([2]) + body)
    seeds.append(bytes([1]) + frames)  # frames after a supplied header
    seeds.append(bytes([3]) + frames)
    seeds.append(bytes([0]) + header(1, 0) + frames + b"\0" * 64)  # a whole segment
    seeds.append(bytes([1]) + frames[:-5])  # a torn tail
    damaged = bytearray(frames)
    damaged[20] ^= 1
    seeds.append(bytes([1]) + bytes(damaged))  # damage before the tail
    seeds.append(bytes([1]) + frames + b"\xff" * 24)  # garbage after the end
    # Snapshots (bit 2; bit 0 puts the header first): store and touch records, then the trailer
    # frame (kind 9: revision, count, CRC-32C of the record frames), as persistence.md 7.1 says.
    kept = [b for b in bodies if b[0] in (STORE, TOUCH, MEMORY_LIMIT)]
    snapshot_frames = b"".join(frame(b) for b in kept)
    trailer = bytes([9]) + struct.pack("<QQI", 7, len(kept), crc32c(snapshot_frames))
    seeds.append(bytes([5]) + snapshot_frames + frame(trailer))  # a whole snapshot
    seeds.append(bytes([7]) + snapshot_frames + frame(trailer))
    seeds.append(bytes([5]) + snapshot_frames)  # no trailer
    for seed in seeds:
        name = "journal-" + hashlib.sha1(seed).hexdigest()[:16]
        with open(os.path.join(out, name), "wb") as f:
            f.write(seed)
    print(f"{len(seeds)} journal seeds in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
