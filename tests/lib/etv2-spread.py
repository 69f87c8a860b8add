#!/usr/bin/env python3
"""etv2-spread.py SRC DST: copy a single-device crc32c extent-tree-v2 image
and give its second extent tree (ROOT_ITEM offset 1, an empty leaf) a copy of
the first item of the first extent tree, as if a block group belonged to the
second global root.  A dump that reads only the first extent tree would miss
what the second records.  Prints the logical address of the changed leaf.
"""
import struct
import sys

from corrupt import copy

HDR = 101
ITEM = 25
ROOT_ITEM, EXTENT_TREE = 132, 2


def leaves(img, logical):
    b = img.block(logical)
    if b[100] == 0:
        yield b
        return
    for child in img.ptrs(b):
        yield from leaves(img, child)


def extent_tree_root(img, offset):
    for leaf in leaves(img, img.root):
        for oid, typ, off, data in img.items(leaf):
            if oid == EXTENT_TREE and typ == ROOT_ITEM and off == offset:
                return struct.unpack_from("<Q", data, 176)[0], data[238]
    sys.exit(f"etv2-spread: no extent tree {offset}")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    img = copy(sys.argv[1], sys.argv[2])
    first, _ = extent_tree_root(img, 0)
    second, level = extent_tree_root(img, 1)
    leaf = img.block(second)
    if level != 0 or struct.unpack_from("<I", leaf, 96)[0] != 0:
        sys.exit("etv2-spread: the second extent tree is not an empty leaf")
    source = next(leaves(img, first))
    key = source[HDR:HDR + 17]
    _oid, _typ, _off, data = next(img.items(source))
    data_at = img.nodesize - len(data)
    struct.pack_into("<I", leaf, 96, 1)
    leaf[HDR:HDR + 17] = key
    struct.pack_into("<II", leaf, HDR + 17, data_at - HDR, len(data))
    leaf[data_at:] = data
    img.write_block(second, leaf)
    print(second)


if __name__ == "__main__":
    main()
