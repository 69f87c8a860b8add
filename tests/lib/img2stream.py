#!/usr/bin/env python3
"""img2stream.py [--order image|reverse|shuffle:SEED] [--damage N] IMAGE|- : convert a btrfs-image (metadump) file to a bimg record stream.

An independent test oracle for bin/bimg-unpack: written from the image format
(docs/image-format.md) and the record stream format (src/common/stream.h),
sharing no code with the C programs.  The stream goes to standard output.

Items are classified as bimg-unpack does: an item is a run of tree blocks when
its length is a multiple of nodesize and its first slice's header names the
item's own address and the filesystem's (metadata) fsid; anything else is DATA.

--order reverse / shuffle:SEED emit the items (the superblock still first) in
reverse or in a seeded random order, to test restores that must hold blocks
back until their chunk is known.  --damage N flips the last byte of the Nth
tree block (from 0) and names its address on stderr; --as-data N sends the Nth
tree block as a DATA record; --num-devices N claims N source devices in
FS_INFO (all for error tests).
"""
import argparse
import random
import struct
import sys
import zlib

from crc32c import crc32c, crc32c_raw as crc32c_update

MAGIC_V0 = 0xBD5C25E27295668B
MAGIC_V1 = 0x31765F506D55445F
INDEX_SIZE = 1024
MAX_ITEMS = 83
SUPER_BYTENR = 65536
SUPER_SIZE = 4096
BTRFS_MAGIC = 0x4D5F53665248425F
INCOMPAT_METADATA_UUID = 1 << 10

REC_FS_INFO, REC_SUPERBLOCK, REC_TREE_BLOCK, REC_DATA, REC_END = 1, 2, 4, 5, 15
CONTENT_DATA = 0x8
CONTENT_FROM_IMAGE = 0x10
DATA_FLAG_CONTINUES = 1
DATA_PIECE_MAX = 1 << 20
MAX_INFLATED = 256 << 20  # no format-1 item is larger (max pending size)




def fail(msg):
    sys.stderr.write("img2stream: %s\n" % msg)
    sys.exit(1)


class Writer:
    def __init__(self, out):
        self.out = out
        self.seq = 0
        self.tree_blocks = 0
        self.data_bytes = 0
        head = bytearray(32)
        head[0:8] = b"BIMGSTRM"
        struct.pack_into("<HHII", head, 8, 1, 0, 0, 0)
        struct.pack_into("<I", head, 28, crc32c(head[:28]))
        out.write(head)

    def record(self, rtype, payload, flags=0):
        header = bytearray(struct.pack("<HHIQII", rtype, flags, len(payload), self.seq, 0, 0))
        struct.pack_into("<I", header, 16, crc32c(header, payload))
        self.out.write(header)
        self.out.write(payload)
        self.seq += 1

    def block(self, rtype, logical, flags, body):
        self.record(rtype, struct.pack("<QQ", logical, flags) + bytes(body))

    def end(self):
        self.record(REC_END, struct.pack("<QQQQQ", self.seq, self.tree_blocks, self.data_bytes, 0, 0))


def read_exact(f, n):
    buf = f.read(n)
    return buf if buf is not None else b""


def clusters(f):
    """Yield (version, [(bytenr, bytes)]) per cluster; stops at a short index block."""
    offset = 0
    first_version = None
    while True:
        index = read_exact(f, INDEX_SIZE)
        if len(index) < INDEX_SIZE:
            return
        magic, bytenr, nritems, compress = struct.unpack_from("<QQIB", index, 0)
        version = {MAGIC_V0: 0, MAGIC_V1: 1}.get(magic)
        if version is None:
            fail("cluster at offset %d: bad index magic 0x%016x" % (offset, magic))
        if first_version is None:
            first_version = version
        elif version != first_version:
            fail("cluster at offset %d: format changes from %d to %d" % (offset, first_version, version))
        if bytenr != offset:
            fail("cluster at offset %d: index says offset %d" % (offset, bytenr))
        if not 1 <= nritems <= MAX_ITEMS:
            fail("cluster at offset %d: %d items" % (offset, nritems))
        if compress > 1:
            fail("cluster at offset %d: unknown compression %d" % (offset, compress))
        items = []
        pos = offset + INDEX_SIZE
        for i in range(nritems):
            item_bytenr, size = struct.unpack_from("<QI", index, 21 + 12 * i)
            payload = read_exact(f, size)
            if len(payload) < size:
                fail("cluster at offset %d: item %d: payload truncated" % (offset, i))
            pos += size
            if compress:
                d = zlib.decompressobj()
                try:
                    payload = d.decompress(payload, MAX_INFLATED)
                except zlib.error as e:
                    fail("cluster at offset %d: item %d: %s" % (offset, i, e))
                if not d.eof or d.unconsumed_tail:
                    fail("cluster at offset %d: item %d: incomplete zlib stream" % (offset, i))
            if not payload:
                fail("cluster at offset %d: item %d: empty" % (offset, i))
            items.append((item_bytenr, payload))
        pad = (-pos) % INDEX_SIZE
        read_exact(f, pad)  # a short pad only means the next index block is missing
        offset = pos + pad
        yield version, items


def fs_info_payload(sb, version):
    if len(sb) != SUPER_SIZE:
        fail("superblock item of %d bytes" % len(sb))
    magic, = struct.unpack_from("<Q", sb, 64)
    if magic != BTRFS_MAGIC:
        fail("superblock item has bad magic")
    fsid = sb[32:48]
    incompat, = struct.unpack_from("<Q", sb, 188)
    header_fsid = sb[571:587] if incompat & INCOMPAT_METADATA_UUID else fsid
    generation, = struct.unpack_from("<Q", sb, 72)
    num_devices, = struct.unpack_from("<Q", sb, 136)
    sectorsize, nodesize = struct.unpack_from("<II", sb, 144)
    csum_type, = struct.unpack_from("<H", sb, 196)
    content = CONTENT_FROM_IMAGE | (CONTENT_DATA if version == 1 else 0)
    payload = bytearray(64)
    payload[0:16] = fsid
    payload[16:32] = header_fsid
    struct.pack_into("<IIHxxIQQ", payload, 32, nodesize, sectorsize, csum_type, content, num_devices, generation)
    return bytes(payload), nodesize, bytes(header_fsid)


def is_tree_run(bytenr, payload, nodesize, header_fsid):
    if len(payload) % nodesize:
        return False
    return struct.unpack_from("<Q", payload, 48)[0] == bytenr and payload[32:48] == header_fsid


def ordered(src, order):
    """Clusters in image order, or all items in one reordered batch."""
    if order == "image":
        yield from clusters(src)
        return
    batch = []
    version = None
    for version, items in clusters(src):
        batch.extend(items)
    sb = [it for it in batch if it[0] == SUPER_BYTENR]
    rest = [it for it in batch if it[0] != SUPER_BYTENR]
    if order == "reverse":
        rest.reverse()
    elif order.startswith("shuffle:"):
        random.Random(order[8:]).shuffle(rest)
    else:
        fail("unknown order '%s'" % order)
    if batch:
        yield version, sb + rest


def main():
    ap = argparse.ArgumentParser(prog="img2stream.py")
    ap.add_argument("--order", default="image", help="image, reverse or shuffle:SEED")
    ap.add_argument("--damage", type=int, default=-1, metavar="N", help="corrupt the Nth tree block")
    ap.add_argument("--as-data", type=int, default=-1, metavar="N", help="send the Nth tree block as DATA")
    ap.add_argument("--num-devices", type=int, default=0, metavar="N", help="FS_INFO device count")
    ap.add_argument("image", help="btrfs-image file, or - for standard input")
    args = ap.parse_args()
    order = args.order
    src = sys.stdin.buffer if args.image == "-" else open(args.image, "rb")
    out = sys.stdout.buffer
    w = None
    nodesize = header_fsid = None
    nth_block = 0
    for version, items in ordered(src, order):
        if w is None:
            sb = [p for b, p in items if b == SUPER_BYTENR]
            if not sb:
                fail("first cluster has no superblock item")
            info, nodesize, header_fsid = fs_info_payload(sb[0], version)
            if args.num_devices:
                info = info[:48] + struct.pack("<Q", args.num_devices) + info[56:]
            w = Writer(out)
            w.record(REC_FS_INFO, info)
            w.record(REC_SUPERBLOCK, sb[0])
            items = [(b, p) for b, p in items if b != SUPER_BYTENR]
        for bytenr, payload in items:
            if bytenr == SUPER_BYTENR:
                fail("second superblock item")
            if is_tree_run(bytenr, payload, nodesize, header_fsid):
                for off in range(0, len(payload), nodesize):
                    block = bytearray(payload[off:off + nodesize])
                    if nth_block == args.damage:
                        block[-1] ^= 0xFF
                        sys.stderr.write("img2stream: damaged tree block %d\n" % (bytenr + off))
                    if nth_block == args.as_data:
                        sys.stderr.write("img2stream: tree block %d sent as data\n" % (bytenr + off))
                        w.block(REC_DATA, bytenr + off, 0, block)
                        w.data_bytes += len(block)
                    else:
                        w.block(REC_TREE_BLOCK, bytenr + off, 0, block)
                        w.tree_blocks += 1
                    nth_block += 1
            else:
                for off in range(0, len(payload), DATA_PIECE_MAX):
                    piece = payload[off:off + DATA_PIECE_MAX]
                    w.block(REC_DATA, bytenr + off, DATA_FLAG_CONTINUES if off else 0, piece)
                    w.data_bytes += len(piece)
    if w is None:
        fail("empty image (no cluster)")
    w.end()
    out.flush()


if __name__ == "__main__":
    main()
