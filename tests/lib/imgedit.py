#!/usr/bin/env python3
"""Damage a btrfs-image file in one precise way, for the bimg-unpack tests.

usage: imgedit.py IN OUT EDIT
  flip-super          flip a byte inside the superblock item (uncompressed image)
  truncate-last N     make the last item's stored payload N bytes shorter
  grow-last N         make the last item N bytes longer (into the zero padding)
  bogus-cluster       append an index block announcing a payload that is not there
  nritems N           set the first cluster's nritems to N
  past-eof            make the last item's size point far past the end of the file
  bytenr              break the first index block's bytenr
  magic               break the first index block's magic
  partial-trailer N   append N zero bytes (a partial index block)
  to-v1               relabel every index block as format 1 (_DUmP_v1)
  keep-clusters N     keep the first N clusters only (a cut no reader can see: there is no trailer)
  count-items         print the number of items (OUT ignored)
"""
import struct
import sys

BLOCK = 1024


def clusters(img):
    """Yield (offset, nritems, compress, [(bytenr, size)]) for each cluster."""
    off = 0
    while off + BLOCK <= len(img):
        magic, bytenr, n, comp = struct.unpack_from("<QQIB", img, off)
        items = [struct.unpack_from("<QI", img, off + 21 + 12 * i) for i in range(n)]
        yield off, n, comp, items
        end = off + BLOCK + sum(s for _, s in items)
        off = (end + BLOCK - 1) // BLOCK * BLOCK


def main():
    src, dst, edit = sys.argv[1], sys.argv[2], sys.argv[3]
    arg = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    img = bytearray(open(src, "rb").read())
    cl = list(clusters(img))
    last_off, last_n, _, last_items = cl[-1]
    last_entry = last_off + 21 + 12 * (last_n - 1)
    if edit == "count-items":
        print(sum(n for _, n, _, _ in cl))
        return
    if edit == "flip-super":
        img[BLOCK + 0x48] ^= 0x01  # generation, inside the checksummed area
    elif edit in ("truncate-last", "grow-last"):
        size = last_items[-1][1] + (arg if edit == "grow-last" else -arg)
        struct.pack_into("<I", img, last_entry + 8, size)
    elif edit == "bogus-cluster":
        off = len(img)
        block = bytearray(BLOCK)
        struct.pack_into("<QQIB", block, 0, struct.unpack_from("<Q", img, 0)[0], off, 1, img[20])
        struct.pack_into("<QI", block, 21, 1 << 30, 4096)
        img += block
    elif edit == "nritems":
        struct.pack_into("<I", img, 16, arg)
    elif edit == "past-eof":
        struct.pack_into("<I", img, last_entry + 8, 8 << 20)
    elif edit == "bytenr":
        struct.pack_into("<Q", img, 8, 4096)
    elif edit == "magic":
        img[0] ^= 0xFF
    elif edit == "to-v1":
        for off, _, _, _ in cl:
            img[off:off + 8] = b"_DUmP_v1"
    elif edit == "partial-trailer":
        img += bytes(arg)
    elif edit == "keep-clusters":
        if arg >= len(cl):
            sys.exit("keep-clusters: the image has only %d clusters" % len(cl))
        img = img[:cl[arg][0]]
    else:
        sys.exit("unknown edit " + edit)
    open(dst, "wb").write(img)


main()
