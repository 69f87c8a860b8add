#!/usr/bin/env python3
"""verify-seed.py STREAM OUT [OPTIONS]: a fuzz_verify input from a record stream.

The stream's filesystem must have 4096-byte nodes and sectors.  OUT gets
the 256-byte header fuzz_verify.c describes (OPTIONS, default 1: recompute
the checksums; add 2 for a data image) with the superblock's roots, levels,
generations and system chunk array, then every TREE_BLOCK (and, with option
2, every DATA record cut into 4096-byte pieces marked 0xDA at the level
byte) as 4096-byte pieces.  Made seeds: tests/fuzz/regress/verify/.
"""
import struct
import sys

TREE_BLOCK, DATA, SUPERBLOCK = 4, 5, 2


def records(path):
    data = open(path, "rb").read()
    if data[:8] != b"BIMGSTRM":
        sys.exit("verify-seed: not a record stream")
    pos = 32
    while pos + 24 <= len(data):
        rtype, _, length = struct.unpack_from("<HHI", data, pos)
        yield rtype, data[pos + 24:pos + 24 + length]
        pos += 24 + length


def main():
    stream, out = sys.argv[1], sys.argv[2]
    options = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    header = bytearray(256)
    pieces = []
    for rtype, p in records(stream):
        if rtype == SUPERBLOCK:
            gen, root, chunk_root, log_root = struct.unpack_from("<QQQQ", p, 72)
            sectorsize, nodesize, _, _, array_size, chunk_gen = struct.unpack_from("<IIIIIQ", p, 144)
            if nodesize != 4096 or sectorsize != 4096:
                sys.exit("verify-seed: the filesystem must have 4096-byte nodes and sectors")
            if array_size > 207:
                sys.exit("verify-seed: the system chunk array is too large for the header")
            header[0] = options
            header[1:4] = p[198:201]
            struct.pack_into("<QQQQQ", header, 8, root, chunk_root, log_root, gen, chunk_gen)
            header[48] = array_size
            header[49:49 + array_size] = p[811:811 + array_size]
        elif rtype == TREE_BLOCK:
            pieces.append(p[16:])
        elif rtype == DATA and options & 2:
            logical, = struct.unpack_from("<Q", p, 0)
            body = p[16:]
            for off in range(0, len(body), 4096):
                piece = bytearray(body[off:off + 4096].ljust(4096, b"\0"))
                struct.pack_into("<Q", piece, 48, logical + off)
                piece[100] = 0xDA
                pieces.append(bytes(piece))
    with open(out, "wb") as f:
        f.write(header)
        for piece in pieces:
            f.write(piece)


main()
