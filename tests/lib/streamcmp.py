#!/usr/bin/env python3
"""streamcmp.py: test oracle for bimg-scan, independent of the C code.

  streamcmp.py compare STREAM IMAGE [--mask-csum] [--sorted] [--no-super]
      The (logical address, bytes) sequence of STREAM's TREE_BLOCK and DATA
      records must equal that of the reference image's items after the
      superblock item.  Both sides are normalised by joining entries whose
      addresses follow each other, so the reference's item boundaries (256 KiB
      merging, kind changes) do not matter, only the order and the bytes.
      --mask-csum ignores bytes 0..31 of each tree block (non-crc32c
      filesystems, where the reference writes a CRC-32C).
      --sorted compares the sets of tree blocks and data extents instead of
      the sequences (walk mode against an extent-tree-mode image).
      The superblock record must equal the image's superblock item (unless
      --no-super: multi-device sources, where the reference picks a device).
  streamcmp.py verify STREAM
      Every TREE_BLOCK verifies with the checksum algorithm of FS_INFO.
  streamcmp.py list STREAM
      One line per record.
  streamcmp.py logicals STREAM
      The logical address of every TREE_BLOCK record, one per line.

Formats: src/common/stream.h (32-byte stream header; records with a 24-byte
header: type u16, flags u16, len u32, seq u64, crc u32, reserved u32, LE) and
docs/image-format.md (1024-byte index blocks, 12-byte items, zlib payloads).
Exit status 0 when equal / valid, 1 otherwise, with the first difference.
"""
import hashlib
import struct
import sys
import zlib

from crc32c import crc32c

REC_NAMES = {1: "FS_INFO", 2: "SUPERBLOCK", 3: "CHUNK", 4: "TREE_BLOCK", 5: "DATA", 14: "ERROR", 15: "END"}
REC_SUPERBLOCK, REC_TREE_BLOCK, REC_DATA, REC_FS_INFO = 2, 4, 5, 1
DATA_FLAG_CONTINUES = 1
IMAGE_MAGICS = (0xBD5C25E27295668B, 0x31765F506D55445F)


def fail(msg):
    print("streamcmp: " + msg, file=sys.stderr)
    sys.exit(1)


def read_stream(path):
    """Yield (type, flags, payload) for every record."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"BIMGSTRM":
        fail(f"{path}: not a record stream")
    pos = 32
    while pos < len(data):
        if len(data) - pos < 24:
            fail(f"{path}: truncated record header at {pos}")
        rtype, flags, length, _seq = struct.unpack_from("<HHIQ", data, pos)
        payload = data[pos + 24:pos + 24 + length]
        if len(payload) != length:
            fail(f"{path}: truncated record at {pos}")
        yield rtype, flags, payload
        pos += 24 + length


def stream_fs_info(path):
    for rtype, _flags, p in read_stream(path):
        if rtype == REC_FS_INFO:
            nodesize, _sectorsize, csum_type = struct.unpack_from("<IIH", p, 32)
            return nodesize, csum_type
    fail(f"{path}: no FS_INFO record")


def stream_entries(path):
    """(superblock, [(logical, bytes, is_tree_block)]) with DATA pieces joined per extent."""
    sb, out = None, []
    for rtype, _flags, p in read_stream(path):
        if rtype == REC_SUPERBLOCK:
            sb = p
        elif rtype in (REC_TREE_BLOCK, REC_DATA):
            logical, flags = struct.unpack_from("<QQ", p, 0)
            body = p[16:]
            if rtype == REC_DATA and flags & DATA_FLAG_CONTINUES:
                if not out or out[-1][2] or out[-1][0] + len(out[-1][1]) != logical:
                    fail(f"{path}: DATA continuation at {logical} does not continue anything")
                out[-1] = (out[-1][0], out[-1][1] + body, False)
            else:
                out.append((logical, body, rtype == REC_TREE_BLOCK))
        elif rtype == 14:
            fail(f"{path}: ERROR record: {p.decode(errors='replace')}")
    return sb, out


def image_items(path):
    """[(bytenr, bytes)] of every item, in order."""
    with open(path, "rb") as f:
        data = f.read()
    pos, items = 0, []
    while len(data) - pos >= 1024:
        magic, bytenr, nritems, compress = struct.unpack_from("<QQIB", data, pos)
        if magic not in IMAGE_MAGICS or bytenr != pos:
            fail(f"{path}: bad index block at {pos}")
        entries = [struct.unpack_from("<QI", data, pos + 21 + 12 * i) for i in range(nritems)]
        off = pos + 1024
        for start, size in entries:
            raw = data[off:off + size]
            items.append((start, zlib.decompress(raw) if compress else raw))
            off += size
        pos = (off + 1023) // 1024 * 1024
    return items


def normalise(entries):
    """Join entries whose addresses follow each other: [(start, bytearray)]."""
    out = []
    for start, body in entries:
        if out and out[-1][0] + len(out[-1][1]) == start:
            out[-1][1].extend(body)
        else:
            out.append((start, bytearray(body)))
    return out


def mask(entries, tree_blocks, nodesize):
    for start, body in entries:
        for off in range(0, len(body), nodesize):
            if start + off in tree_blocks:
                body[off:off + 32] = bytes(32)


def compare(argv):
    stream, image = argv[0], argv[1]
    masking, sorted_mode = "--mask-csum" in argv, "--sorted" in argv
    nodesize, _csum = stream_fs_info(stream)
    sb, ours = stream_entries(stream)
    items = image_items(image)
    if not items or items[0][0] != 65536:
        fail(f"{image}: first item is not the superblock")
    if "--no-super" not in argv and sb != items[0][1]:
        fail("superblock record differs from the image's superblock item")
    theirs = items[1:]
    tree_blocks = {logical for logical, _b, is_tb in ours if is_tb}
    if sorted_mode:
        # Split both sides into tree blocks and data extents, compare as sets.
        mine = {}
        for logical, body, is_tb in ours:
            mine[logical] = bytes(body)
        ref = {}
        for start, body in theirs:
            off = 0
            while off < len(body):
                if start + off in tree_blocks or start + off not in mine:
                    n = nodesize if start + off in tree_blocks else len(body) - off
                else:
                    n = len(mine[start + off])
                ref[start + off] = bytes(body[off:off + n])
                off += n
        if masking:
            mine = {k: bytes(32) + v[32:] if k in tree_blocks else v for k, v in mine.items()}
            ref = {k: bytes(32) + v[32:] if k in tree_blocks else v for k, v in ref.items()}
        only_mine = sorted(set(mine) - set(ref))
        only_ref = sorted(set(ref) - set(mine))
        if only_mine or only_ref:
            fail(f"block sets differ: only in stream {only_mine[:5]}, only in image {only_ref[:5]}")
        for k in sorted(mine):
            if mine[k] != ref[k]:
                fail(f"bytes differ at logical {k}")
        print(f"streamcmp: equal as sets ({len(mine)} entries)")
        return
    a = normalise((l, b) for l, b, _t in ours)
    b = normalise(theirs)
    if masking:
        mask(a, tree_blocks, nodesize)
        mask(b, tree_blocks, nodesize)
    for i, (x, y) in enumerate(zip(a, b)):
        if x[0] != y[0] or x[1] != y[1]:
            detail = ""
            if x[0] == y[0]:
                first = next(j for j in range(min(len(x[1]), len(y[1])) + 1)
                             if j >= min(len(x[1]), len(y[1])) or x[1][j] != y[1][j])
                detail = f", first differing byte at logical {x[0] + first}"
            fail(f"run {i} differs: stream ({x[0]}, {len(x[1])} bytes) vs image ({y[0]}, {len(y[1])} bytes){detail}")
    if len(a) != len(b):
        fail(f"stream has {len(a)} runs, image {len(b)}")
    print(f"streamcmp: equal ({len(ours)} entries, {len(a)} runs)")


def xxh64(data, seed=0):
    p1, p2, p3, p4, p5 = (0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                          0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5)
    m = (1 << 64) - 1

    def rotl(x, r):
        return ((x << r) | (x >> (64 - r))) & m

    def rnd(acc, lane):
        return (rotl((acc + lane * p2) & m, 31) * p1) & m

    def merge(acc, v):
        return ((acc ^ rnd(0, v)) * p1 + p4) & m

    n, i = len(data), 0
    if n >= 32:
        v = [(seed + p1 + p2) & m, (seed + p2) & m, seed & m, (seed - p1) & m]
        while i + 32 <= n:
            lanes = struct.unpack_from("<4Q", data, i)
            v = [rnd(v[k], lanes[k]) for k in range(4)]
            i += 32
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18)) & m
        for k in range(4):
            h = merge(h, v[k])
    else:
        h = (seed + p5) & m
    h = (h + n) & m
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, struct.unpack_from("<Q", data, i)[0]), 27) * p1 + p4) & m
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ (struct.unpack_from("<I", data, i)[0] * p1 & m), 23) * p2 + p3) & m
        i += 4
    while i < n:
        h = (rotl(h ^ (data[i] * p5 & m), 11) * p1) & m
        i += 1
    h ^= h >> 33
    h = (h * p2) & m
    h ^= h >> 29
    h = (h * p3) & m
    h ^= h >> 32
    return h


def digest(csum_type, data):
    if csum_type == 0:
        return struct.pack("<I", crc32c(data))
    if csum_type == 1:
        return struct.pack("<Q", xxh64(data))
    if csum_type == 2:
        return hashlib.sha256(data).digest()
    if csum_type == 3:
        return hashlib.blake2b(data, digest_size=32).digest()
    fail(f"unknown checksum type {csum_type}")


def verify(argv):
    stream = argv[0]
    _nodesize, csum_type = stream_fs_info(stream)
    count = 0
    for rtype, _flags, p in read_stream(stream):
        if rtype != REC_TREE_BLOCK:
            continue
        logical = struct.unpack_from("<Q", p, 0)[0]
        block = p[16:]
        d = digest(csum_type, block[32:])
        if block[:len(d)] != d:
            fail(f"tree block {logical} does not verify with checksum type {csum_type}")
        count += 1
    if not count:
        fail("no tree blocks in the stream")
    print(f"streamcmp: {count} tree blocks verify (checksum type {csum_type})")


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmd, argv = sys.argv[1], sys.argv[2:]
    if cmd == "compare" and len(argv) >= 2:
        compare(argv)
    elif cmd == "verify":
        verify(argv)
    elif cmd == "list":
        for rtype, flags, p in read_stream(argv[0]):
            extra = ""
            if rtype in (REC_TREE_BLOCK, REC_DATA):
                extra = " logical=%d flags=%d" % struct.unpack_from("<QQ", p, 0)
            elif rtype == 3:
                extra = " chunk=%d" % struct.unpack_from("<Q", p, 9)
            print(f"{REC_NAMES.get(rtype, rtype)} len={len(p)}{extra}")
    elif cmd == "logicals":
        for rtype, _flags, p in read_stream(argv[0]):
            if rtype == REC_TREE_BLOCK:
                print(struct.unpack_from("<Q", p, 0)[0])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
