#!/usr/bin/env python3
"""List a btrfs-image file: its clusters and, per item, what it holds.

usage: imgls.py IMAGE [--content]

One line per cluster, then one per item:
  cluster INDEX offset OFFSET nritems N compress C
  item CLUSTER.SLOT bytenr BYTENR stored SIZE inflated SIZE sha256 HEX
--content leaves out what depends on the deflate codec (cluster offsets
and stored sizes), so that two images with the same content list the
same.  Each compressed payload must be exactly one complete zlib stream.
"""
import hashlib
import struct
import sys
import zlib

BLOCK = 1024
HEADER = 21
ITEM = 12


def fail(msg):
    sys.exit("imgls.py: " + msg)


def inflate_exactly(payload, where):
    d = zlib.decompressobj()
    try:
        out = d.decompress(payload)
    except zlib.error as e:
        fail(f"{where}: {e}")
    if not d.eof:
        fail(f"{where}: the zlib stream is cut short")
    if d.unused_data:
        fail(f"{where}: {len(d.unused_data)} bytes after the zlib stream")
    return out


def items(path):
    """(bytenr, stored payload) of every item of the image at path, in order, read as they come."""
    with open(path, "rb") as f:
        while True:
            block = f.read(BLOCK)
            if len(block) < BLOCK:
                return
            n = struct.unpack_from("<I", block, 16)[0]
            for bytenr, size in [struct.unpack_from("<QI", block, HEADER + ITEM * i) for i in range(n)]:
                yield bytenr, f.read(size)
            f.seek((f.tell() + BLOCK - 1) // BLOCK * BLOCK)


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--content"):
        sys.exit(__doc__)
    content_only = len(sys.argv) == 3
    with open(sys.argv[1], "rb") as f:
        img = f.read()
    off = cluster = 0
    while off + BLOCK <= len(img):
        _magic, bytenr, n, comp = struct.unpack_from("<QQIB", img, off)
        if bytenr != off or not 1 <= n <= (BLOCK - HEADER) // ITEM:
            fail(f"bad index block at offset {off}")
        if content_only:
            print(f"cluster {cluster} nritems {n} compress {comp}")
        else:
            print(f"cluster {cluster} offset {off} nritems {n} compress {comp}")
        pos = off + BLOCK
        for i in range(n):
            item_bytenr, size = struct.unpack_from("<QI", img, off + HEADER + ITEM * i)
            payload = img[pos:pos + size]
            if len(payload) != size:
                fail(f"cluster {cluster} item {i}: payload cut short")
            pos += size
            data = inflate_exactly(payload, f"cluster {cluster} item {i}") if comp else payload
            stored = "" if content_only else f" stored {size}"
            print(f"item {cluster}.{i} bytenr {item_bytenr}{stored} inflated {len(data)} "
                  f"sha256 {hashlib.sha256(data).hexdigest()}")
        off = (pos + BLOCK - 1) // BLOCK * BLOCK
        cluster += 1
    if cluster == 0:
        fail("no cluster")


if __name__ == "__main__":
    main()
