#!/usr/bin/env python3
"""Write a bimg record stream, valid or deliberately broken, to stdout.

    mkstream.py VARIANT

Written from docs/record-stream.md alone (not from src/common/stream.c), so
that the tests check the implementation against the document.  VARIANT is
one of the names in VARIANTS below; `mkstream.py --list` prints them.

The valid stream is: FS_INFO, SUPERBLOCK, CHUNK, TREE_BLOCK, DATA (two
pieces of one extent), END.  Every broken variant changes exactly one thing.
"future" is a valid stream as a later minor version might write it: a
longer FS_INFO, compat bits, OPTIONAL records of unknown types, and a
damaged count in END, all of which a filter must forward (section 9.3).
"""

import struct
import sys

from crc32c import crc32c

MAGIC = b"BIMGSTRM"
FS_INFO, SUPERBLOCK, CHUNK, TREE_BLOCK, DATA, ERROR, END = 1, 2, 3, 4, 5, 14, 15
FLAG_OPTIONAL = 0x1
DATA_CONTINUES = 0x1
MAX_PAYLOAD = 16 << 20
DATA_MAX = 1 << 20
FS_INFO_MAX = 4096
NODESIZE = 4096




def stream_header(major=1, minor=0, compat=0, incompat=0, magic=MAGIC, bad_crc=False):
    head = magic + struct.pack("<HHII8x", major, minor, compat, incompat)
    crc = crc32c(head)
    if bad_crc:
        crc ^= 1
    return head + struct.pack("<I", crc)


def record(rtype, seq, payload, flags=0, length=None, bad_crc=False):
    """One record: 24-byte header (crc over the header with crc 0, then payload)."""
    if length is None:
        length = len(payload)
    head = struct.pack("<HHIQII", rtype, flags, length, seq, 0, 0)
    crc = crc32c(head + payload)
    if bad_crc:
        crc ^= 1
    return head[:16] + struct.pack("<I", crc) + head[20:] + payload


def fs_info(tail=b""):
    """The 64 bytes of version 1.0, then tail (fields a later minor version appends)."""
    fsid = bytes(range(16))
    return fsid + fsid + struct.pack("<IIHxxIQQ", NODESIZE, 4096, 0, 0, 1, 7) + tail


def superblock():
    sb = bytearray(4096)
    sb[32:48] = bytes(range(16))  # fsid
    sb[48:56] = struct.pack("<Q", 65536)  # bytenr
    sb[64:72] = b"_BHRfS_M"
    return bytes(sb)


def chunk():
    # key (objectid 256, type CHUNK_ITEM 228, offset 1 MiB) + a one-stripe chunk item
    key = struct.pack("<QBQ", 256, 228, 1 << 20)
    item = struct.pack("<QQQQIIIHH", 4 << 20, 2, 65536, 1, 65536, 65536, 4096, 1, 0)
    stripe = struct.pack("<QQ", 1, 1 << 20) + bytes(16)
    return key + item + stripe


def tree_block(logical):
    block = bytearray(NODESIZE)
    block[32:48] = bytes(range(16))
    block[48:56] = struct.pack("<Q", logical)
    # A valid checksum: an empty leaf the sanitizer can parse whole, so it passes unchanged.
    block[0:4] = struct.pack("<I", crc32c(bytes(block[32:])))
    return struct.pack("<QQ", logical, 0) + bytes(block)


def data(logical, nbytes, flags):
    return struct.pack("<QQ", logical, flags) + bytes([0x5A]) * nbytes


def body(first_piece=3000, info=None):
    """(type, payload, flags) of the valid stream, END excluded."""
    return [
        (FS_INFO, info or fs_info(), 0),
        (SUPERBLOCK, superblock(), 0),
        (CHUNK, chunk(), 0),
        (TREE_BLOCK, tree_block(1 << 20), 0),
        (DATA, data(2 << 20, first_piece, 0), 0),
        (DATA, data((2 << 20) + first_piece, 1000, DATA_CONTINUES), 0),
    ]


def future():
    """Version 1.7 as it might be: every addition in a place section 5 allows."""
    recs = body(info=fs_info(tail=b"appended by minor 7: " + bytes(range(30))))
    recs.insert(2, (200, b"after the superblock", FLAG_OPTIONAL))
    recs.insert(4, (201, b"", FLAG_OPTIONAL))           # empty, between CHUNK and TREE_BLOCK
    recs.append((202, bytes(range(256)) * 20, FLAG_OPTIONAL))  # 5120 bytes, just before END
    return build(recs, header=stream_header(minor=7, compat=0x4), damaged=3)


def end_payload(records, tree_blocks, data_bytes, damaged=0):
    return struct.pack("<QQQQQ", records, tree_blocks, data_bytes, damaged, 0)


def build(recs, header=None, end=True, end_counts=None, mutate=None, damaged=0):
    """Assemble header + records (+ END).  mutate(seq, fields) may edit a record's fields."""
    out = bytearray(header if header is not None else stream_header())
    tree_blocks = data_bytes = 0
    seq = 0
    for rtype, payload, flags in recs:
        fields = {"rtype": rtype, "seq": seq, "payload": payload, "flags": flags}
        if mutate:
            mutate(seq, fields)
        out += record(**fields)
        tree_blocks += rtype == TREE_BLOCK
        data_bytes += len(payload) - 16 if rtype == DATA else 0
        seq += 1
    if end:
        counts = end_counts or (seq, tree_blocks, data_bytes)
        out += record(END, seq, end_payload(*counts, damaged=damaged))
    return bytes(out)


def at(n, **changes):
    def mutate(seq, fields):
        if seq == n:
            fields.update(changes)
    return mutate


def truncated():
    whole = build(body())
    return whole[: len(whole) - 1000]  # cut inside the TREE_BLOCK..END tail


VARIANTS = {
    "valid": lambda: build(body()),
    "tiny": lambda: build([(FS_INFO, fs_info(), 0)]),
    "empty": lambda: b"",
    "bad-magic": lambda: build(body(), header=stream_header(magic=b"BIMGSTRX")),
    "major-2": lambda: build(body(), header=stream_header(major=2)),
    "minor-9": lambda: build(body(), header=stream_header(minor=9)),
    "compat-flag": lambda: build(body(), header=stream_header(compat=0x80)),
    "incompat-flag": lambda: build(body(), header=stream_header(incompat=0x80)),
    "header-crc": lambda: build(body(), header=stream_header(bad_crc=True)),
    "short-header": lambda: stream_header()[:20],
    "record-crc": lambda: build(body(), mutate=at(3, bad_crc=True)),
    "seq-gap": lambda: build(body(), mutate=at(2, seq=3)),
    "oversize": lambda: build(body(), mutate=at(4, length=MAX_PAYLOAD + 1)),
    "truncated": truncated,
    "no-end": lambda: build(body(), end=False),
    "junk-after-end": lambda: build(body()) + b"\0",
    "end-records": lambda: build(body(), end_counts=(5, 1, 4000)),
    "end-tree-blocks": lambda: build(body(), end_counts=(6, 2, 4000)),
    "end-data-bytes": lambda: build(body(), end_counts=(6, 1, 4001)),
    "unknown-type": lambda: build(body() + [(9, b"future", 0)]),
    "unknown-optional": lambda: build(body() + [(9, b"future", FLAG_OPTIONAL)]),
    "error-record": lambda: build(body()[:2] + [(ERROR, b"upstream: something failed", 0)], end=False),
    "error-first": lambda: build([(ERROR, b"cannot open '/nonexistent': No such file or directory", 0)],
                                 end=False),
    "data-1mib": lambda: build(body(first_piece=DATA_MAX)),
    "data-over-1mib": lambda: build(body(first_piece=DATA_MAX + 1)),
    "data-8mib": lambda: build(body(first_piece=8 * DATA_MAX)),
    "fs-info-max": lambda: build(body(info=fs_info(tail=bytes(FS_INFO_MAX - 64)))),
    "fs-info-over-max": lambda: build(body(info=fs_info(tail=bytes(FS_INFO_MAX - 63)))),
    "future": future,
}


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: mkstream.py VARIANT | --list\n")
        return 2
    if argv[1] == "--list":
        print("\n".join(VARIANTS))
        return 0
    make = VARIANTS.get(argv[1])
    if make is None:
        sys.stderr.write("mkstream.py: unknown variant %s (see --list)\n" % argv[1])
        return 2
    sys.stdout.buffer.write(make())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
