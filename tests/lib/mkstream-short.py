#!/usr/bin/env python3
"""mkstream-short.py VARIANT: hostile record streams for bimg-sanitize -ss's short-name placement.

Leaves with names of 1..4 bytes at slot 0 and at the last slot (so that node pointer keys
and the key after the leaf matter), and node blocks that point at them in ways no real
filesystem does:

  cycle     two different blocks at one logical address: node pointers at index 0 form a
            cycle through them, and last pointers form another
  fan       5000 nodes, all pointing at the same leaf at index 0 and as their last pointer
  unsorted  a leaf whose keys are out of order around a short name
  valid     one node over two leaves, consistent: the short names must move
  damaged-second  the same, the second leaf (first item a short name) flagged DAMAGED: it is
            wiped, and the node's pointer key to it must not keep that name's hash
  all-bytes four leaves of DIR_INDEX items whose names are every 1-byte value, NUL and '/'
            included: more distinct 1-byte names than there are replacements
  dirlog    "valid", and a log tree leaf of an older kernel: DIR_LOG_ITEM ranges of dir 256
            whose bounds are short names' hashes, one above and one below them, under a node
            whose pointer key is the first range's
  dirlog-ambiguous  two short names with one hash ("abc" in dir 256, b"By\xdf5" in dir 257),
            and a DIR_LOG_ITEM range bounded by that hash: the bound cannot follow both
  dirlog-ranges S:E...  "valid", and a log tree leaf of DIR_LOG_ITEM ranges of dir 256 from S
            to E, in the order given; "x" stands for the first leaf's first name's hash
  drop      "valid", and a root tree leaf of three half-deleted subvolumes' ROOT_ITEMs whose
            drop_progress keys are: the node's pointer key to the second leaf (which moves),
            the first leaf's second key (no pointer has it), and an XATTR_ITEM key
  many      1200 leaves whose first item is a DIR_ITEM of a long name, under ten nodes,
            consistent: more blocks with such a first key than bimg-sanitize keeps in memory
            at once (it notes them all; no pointer key may move)

Checksums are crc32c (csum type 0); bimg-sanitize recomputes those of blocks it changes.
"""
import struct
import sys

from crc32c import crc32c, crc32c_raw
import mkstream as ms

NODESIZE = ms.NODESIZE
DIR_ITEM, DIR_INDEX, INODE_ITEM = 84, 96, 1
DIR_LOG_ITEM, XATTR_ITEM, ROOT_ITEM = 60, 24, 132
LOG_OWNER, ROOT_OWNER = (1 << 64) - 6, 1


def header(logical, level, nritems, owner=5):
    block = bytearray(NODESIZE)
    block[32:48] = bytes(range(16))
    struct.pack_into("<Q", block, 48, logical)
    struct.pack_into("<QQ", block, 80, 7, owner)  # generation, owner (FS_TREE unless told)
    struct.pack_into("<IB", block, 96, nritems, level)
    return block


def finish(block):
    struct.pack_into("<I", block, 0, crc32c(bytes(block[32:])))
    return bytes(block)


def leaf(logical, items, owner=5):
    """items: [(objectid, type, offset, data)] in the given order."""
    block = header(logical, 0, len(items), owner)
    end = NODESIZE - 101
    for slot, (oid, typ, off, data) in enumerate(items):
        end -= len(data)
        struct.pack_into("<QBQII", block, 101 + 25 * slot, oid, typ, off, end, len(data))
        block[101 + end:101 + end + len(data)] = data
    return finish(block)


def node(logical, level, ptrs):
    """ptrs: [((objectid, type, offset), child)]."""
    block = header(logical, level, len(ptrs))
    for i, ((oid, typ, off), child) in enumerate(ptrs):
        struct.pack_into("<QBQQQ", block, 101 + 33 * i, oid, typ, off, child, 7)
    return finish(block)


def dir_item(name):
    location = struct.pack("<QBQ", 300, INODE_ITEM, 0)
    return location + struct.pack("<QHHB", 7, 0, len(name), 1) + name


def h(name):
    return crc32c_raw(0xFFFFFFFE, name)


def short_leaf(logical, names, tail=None):
    """DIR_ITEMs of dir 256 for names, sorted by hash, then DIR_INDEXes (or tail)."""
    items = sorted(((256, DIR_ITEM, h(n), dir_item(n)) for n in names), key=lambda i: i[2])
    items += tail if tail is not None else [(256, DIR_INDEX, 2 + i, dir_item(n)) for i, n in enumerate(names)]
    return leaf(logical, items)


def root_item(drop_key, drop_level=1):
    """A 439-byte root item of a subvolume being deleted (refs 0) that stopped at drop_key."""
    item = bytearray(439)
    struct.pack_into("<QQQ", item, 160, 7, 0, 64 << 20)   # generation, root_dirid, bytenr
    struct.pack_into("<QBQB", item, 220, *drop_key, drop_level)
    struct.pack_into("<B", item, 238, 1)                  # level
    return bytes(item)


def tb(block, flags=0):
    logical = struct.unpack_from("<Q", block, 48)[0]
    return (ms.TREE_BLOCK, struct.pack("<QQ", logical, flags) + block, 0)


def superblock():
    sb = bytearray(ms.superblock())
    struct.pack_into("<II", sb, 144, 4096, NODESIZE)  # sectorsize, nodesize
    struct.pack_into("<I", sb, 0, crc32c(bytes(sb[32:])))
    return bytes(sb)


def variant(name):
    start = [(ms.FS_INFO, ms.fs_info(), 0), (ms.SUPERBLOCK, superblock(), 0)]
    A, B, N, M = 1 << 20, (1 << 20) + NODESIZE, 8 << 20, (8 << 20) + NODESIZE
    names = sorted([b"abcd", b"wxyz", b"qq", b"mnop", b"rs"], key=h)
    la = short_leaf(A, names[:3], tail=[])  # only DIR_ITEMs: the first and the last are short
    first = struct.unpack_from("<QBQ", la, 101)
    if name in ("valid", "damaged-second"):
        lb = short_leaf(B, names[3:])
        second = struct.unpack_from("<QBQ", lb, 101)
        return start + [tb(la), tb(lb, 1 if name == "damaged-second" else 0),
                        tb(node(N, 1, [(first, A), (second, B)]))]
    if name == "dirlog":
        lb = short_leaf(B, names[3:])
        second = struct.unpack_from("<QBQ", lb, 101)
        hs = [h(n) for n in names[:3]]
        log = leaf(16 << 20, [(256, DIR_LOG_ITEM, hs[0], struct.pack("<Q", hs[1])),
                              (256, DIR_LOG_ITEM, hs[1] + 1, struct.pack("<Q", hs[2] - 1)),
                              (256, DIR_LOG_ITEM, hs[2], struct.pack("<Q", (1 << 64) - 1)),
                              (256, DIR_ITEM, hs[1], dir_item(names[1]))], LOG_OWNER)
        log_node = header(17 << 20, 1, 1, LOG_OWNER)
        struct.pack_into("<QBQQQ", log_node, 101, 256, DIR_LOG_ITEM, hs[0], 16 << 20, 7)
        return start + [tb(la), tb(lb), tb(node(N, 1, [(first, A), (second, B)])), tb(log), tb(finish(log_node))]
    if name == "dirlog-ranges":
        lb = short_leaf(B, names[3:])
        second = struct.unpack_from("<QBQ", lb, 101)
        bound = lambda v: h(names[0]) if v == "x" else int(v)
        ranges = [tuple(map(bound, r.split(":"))) for r in sys.argv[2:]]
        log = leaf(16 << 20, [(256, DIR_LOG_ITEM, s, struct.pack("<Q", e)) for s, e in ranges], LOG_OWNER)
        return start + [tb(la), tb(lb), tb(node(N, 1, [(first, A), (second, B)])), tb(log)]
    if name == "dirlog-ambiguous":
        l256 = short_leaf(A, [b"abc", b"zz"], tail=[])
        l257 = leaf(B, sorted(((257, DIR_ITEM, h(n), dir_item(n)) for n in (b"By\xdf5", b"q")),
                              key=lambda i: i[2]))
        log = leaf(16 << 20, [(256, DIR_LOG_ITEM, 0, struct.pack("<Q", h(b"abc")))], LOG_OWNER)
        return start + [tb(l256), tb(l257), tb(log)]
    if name == "drop":
        lb = short_leaf(B, names[3:])
        second = struct.unpack_from("<QBQ", lb, 101)
        inner = struct.unpack_from("<QBQ", la, 101 + 25)
        roots = leaf(20 << 20, [(300, ROOT_ITEM, 0, root_item(second)), (301, ROOT_ITEM, 0, root_item(inner)),
                                (302, ROOT_ITEM, 0, root_item((256, XATTR_ITEM, h(b"ab"))))], ROOT_OWNER)
        return start + [tb(la), tb(lb), tb(node(N, 1, [(first, A), (second, B)])), tb(roots)]
    if name == "cycle":
        return start + [tb(la),
                        tb(node(N, 1, [(first, A)])),           # N(a): index 0 and last -> A
                        tb(node(M, 2, [(first, N)])),           # M: index 0 and last -> N
                        tb(node(N, 3, [(first, M)]))]           # N(b), same logical: -> M, a cycle
    if name == "fan":
        recs = start + [tb(la)]
        for i in range(5000):
            recs.append(tb(node(N + i * NODESIZE, 1, [(first, A)])))
        return recs
    if name == "unsorted":
        items = [(256, DIR_ITEM, h(b"abcd"), dir_item(b"abcd")), (256, DIR_ITEM, 5, dir_item(b"long-name")),
                 (256, DIR_ITEM, h(b"wxyz"), dir_item(b"wxyz")), (256, DIR_ITEM, 1, dir_item(b"ab"))]
        return start + [tb(leaf(A, items))]
    if name == "all-bytes":
        return start + [tb(leaf(A + k * NODESIZE, [(256, DIR_INDEX, 2 + i, dir_item(bytes([i])))
                                                    for i in range(64 * k, 64 * k + 64)]))
                        for k in range(4)]
    if name == "many":
        many = sorted((b"long-name-%04d" % i for i in range(1200)), key=h)
        leaves = [short_leaf(A + k * NODESIZE, [n], tail=[]) for k, n in enumerate(many)]
        recs = start + [tb(b) for b in leaves]
        for k in range(10):
            part = range(120 * k, 120 * k + 120)
            recs.append(tb(node(N + k * NODESIZE, 1,
                                [(struct.unpack_from("<QBQ", leaves[i], 101), A + i * NODESIZE) for i in part])))
        return recs
    raise SystemExit("mkstream-short.py: unknown variant %s" % name)


sys.stdout.buffer.write(ms.build(variant(sys.argv[1])))
