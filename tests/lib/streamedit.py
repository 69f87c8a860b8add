#!/usr/bin/env python3
"""streamedit.py: damage a bimg record stream in precise ways, for the --verify tests.

  streamedit.py blocks STREAM
      One line per TREE_BLOCK record: logical owner level generation nritems
      (owner as a signed number: -6 is the log, -9 the data relocation tree).
  streamedit.py super STREAM
      root, chunk_root, log_root and generation of the SUPERBLOCK record.
  streamedit.py items STREAM LOGICAL
      One line per item (leaf) or pointer (node) of the block at LOGICAL:
      slot objectid type offset, and for a pointer the child's address.
  streamedit.py find STREAM TYPE MINLEN
      LOGICAL SLOT of the first leaf item of key type TYPE (a dir, xattr or ref
      item) whose first name has MINLEN bytes or more, and that name.
  streamedit.py finditem STREAM TYPE SIZE
      LOGICAL SLOT of the first leaf item of key type TYPE and SIZE bytes.
  streamedit.py item STREAM LOGICAL SLOT
      The bytes of leaf item SLOT of the block at LOGICAL, in hex.
  streamedit.py data STREAM
      One line per data extent (DATA record not continuing another): logical length.
  streamedit.py edit IN OUT EDIT [EDIT...]
      Apply the edits in order and write a valid stream (sequence numbers,
      record CRCs and END counts redone; END's damaged count kept).  An EDIT
      is one argument, its fields separated by colons:
        drop:LOGICAL              remove the TREE_BLOCK record at LOGICAL
        flip:LOGICAL:OFFSET       xor byte OFFSET of that block with 0x01, checksum kept
        flipfix:LOGICAL:OFFSET    the same, block checksum recomputed
        generation:LOGICAL:GEN    header generation set to GEN, checksum recomputed
        swapkeys:LOGICAL:A:B      swap the keys of slots A and B, checksum recomputed
        dropitem:LOGICAL:SLOT     remove leaf item SLOT and its data, checksum recomputed
        take:LOGICAL:OTHER        the block at LOGICAL replaced by OTHER's block there
        dropchunk:START           remove the CHUNK record of the chunk at START
        dropdata:LOGICAL          remove the DATA record at LOGICAL and the pieces continuing it
        dup:LOGICAL               store the block at LOGICAL twice
        dupend:LOGICAL            the same, the copy after the last TREE_BLOCK record (far
                                  from the first: in another of --verify's sorted runs)
        retype:LOGICAL:SLOT:TYPE  leaf item SLOT's key type set to TYPE, checksum recomputed
        rename:LOGICAL:SLOT:NAME  the first name of leaf item SLOT (a dir, xattr or ref item)
                                  set to NAME, of the same length; checksum recomputed
        text:LOGICAL:OFFSET:TEXT  TEXT written at byte OFFSET of the block, checksum kept
        textfix:LOGICAL:OFFSET:TEXT  the same, checksum redone
        itemtext:LOGICAL:SLOT:OFFSET:TEXT  TEXT written at byte OFFSET of leaf item SLOT,
                                  checksum recomputed
        insert:LOGICAL:OBJECTID:TYPE:OFFSET:SIZE  an item of SIZE zero bytes under that key
                                  (OBJECTID may be negative) inserted where its key sorts
                                  among the leaf's, checksum recomputed
        damaged:LOGICAL           the record's DAMAGED flag set
        datatext:LOGICAL:OFFSET:TEXT  TEXT written at byte OFFSET of the DATA record at LOGICAL

Block checksums are CRC-32C (the crc32c corpus cases only).  Formats:
docs/record-stream.md (stream) and the btrfs on-disk layout (tree block
header 101 bytes, leaf items 25 bytes, node pointers 33 bytes).
"""
import struct
import sys

from crc32c import crc32c

FS_INFO, SUPERBLOCK, CHUNK, TREE_BLOCK, DATA, END = 1, 2, 3, 4, 5, 15
HDR = 101


def fail(msg):
    sys.exit("streamedit: " + msg)


def read_records(path):
    data = open(path, "rb").read()
    if data[:8] != b"BIMGSTRM":
        fail(f"{path}: not a record stream")
    pos, out = 32, []
    while pos < len(data):
        rtype, flags, length = struct.unpack_from("<HHI", data, pos)
        out.append([rtype, flags, bytearray(data[pos + 24:pos + 24 + length])])
        pos += 24 + length
    return data[:32], out


def write_records(path, head, records):
    seq = tree_blocks = data_bytes = 0
    with open(path, "wb") as f:
        f.write(head)
        for rtype, flags, payload in records:
            if rtype == END:
                damaged = struct.unpack_from("<Q", payload, 24)[0]
                payload = struct.pack("<QQQQQ", seq, tree_blocks, data_bytes, damaged, 0)
            elif rtype == TREE_BLOCK:
                tree_blocks += 1
            elif rtype == DATA:
                data_bytes += len(payload) - 16
            header = bytearray(struct.pack("<HHIQII", rtype, flags, len(payload), seq, 0, 0))
            struct.pack_into("<I", header, 16, crc32c(header, payload))
            f.write(header)
            f.write(payload)
            seq += 1


def block_index(records, logical):
    for i, (rtype, _, payload) in enumerate(records):
        if rtype == TREE_BLOCK and struct.unpack_from("<Q", payload, 0)[0] == logical:
            return i
    fail(f"no tree block at {logical}")


def fix_csum(block):
    struct.pack_into("<I", block, 0, crc32c(block[32:]))


def drop_item(block, slot):
    nritems = struct.unpack_from("<I", block, 96)[0]
    if slot >= nritems or block[100] != 0:
        fail("dropitem: not a leaf item")
    item = HDR + 25 * slot
    off, size = struct.unpack_from("<II", block, item + 17)
    # the data of later slots lies below this item's: move it up by size
    low = min([struct.unpack_from("<I", block, HDR + 25 * s + 17)[0] for s in range(nritems)])
    block[HDR + low + size:HDR + off + size] = block[HDR + low:HDR + off]
    for s in range(slot + 1, nritems):
        o = struct.unpack_from("<I", block, HDR + 25 * s + 17)[0]
        struct.pack_into("<I", block, HDR + 25 * s + 17, o + size)
    block[item:HDR + 25 * (nritems - 1)] = block[item + 25:HDR + 25 * nritems]
    struct.pack_into("<I", block, 96, nritems - 1)


def item_span(body, slot):
    """(start, size) of leaf item SLOT's data in the block."""
    off, size = struct.unpack_from("<II", body, HDR + 25 * slot + 17)
    return HDR + off, size


def insert_item(block, key, size):
    """A zero item of size bytes under key (objectid, type, offset), the leaf rebuilt in key order."""
    nritems = struct.unpack_from("<I", block, 96)[0]
    if block[100] != 0:
        fail("insert: not a leaf")
    items = []
    for slot in range(nritems):
        start, n = item_span(block, slot)
        items.append((struct.unpack_from("<QBQ", block, HDR + 25 * slot), bytes(block[start:start + n])))
    items.append((key, bytes(size)))
    items.sort(key=lambda kv: kv[0])
    floor = len(block)
    if HDR + 25 * len(items) + sum(len(d) for _, d in items) > floor:
        fail("insert: the leaf has no room")
    block[HDR:] = bytes(len(block) - HDR)
    for slot, (k, data) in enumerate(items):
        floor -= len(data)
        block[floor:floor + len(data)] = data
        struct.pack_into("<QBQII", block, HDR + 25 * slot, *k, floor - HDR, len(data))
    struct.pack_into("<I", block, 96, len(items))


NAME_HEADER = {84: 30, 96: 30, 24: 30, 12: 10, 13: 18, 144: 18, 156: 18}


def first_name(body, slot):
    """(offset, length) of the first name of a name-bearing leaf item."""
    item = HDR + 25 * slot
    ktype, off = body[item + 8], HDR + struct.unpack_from("<I", body, item + 17)[0]
    head = NAME_HEADER[ktype]
    return off + head, struct.unpack_from("<H", body, off + (27 if head == 30 else head - 2))[0]


def apply(records, edit):
    op, *args = edit.split(":")
    if op == "dropchunk":
        start = int(args[0])
        for i, (rtype, _, payload) in enumerate(records):
            if rtype == CHUNK and struct.unpack_from("<Q", payload, 9)[0] == start:
                del records[i]
                return
        fail(f"no CHUNK record for {start}")
    if op == "dropdata":
        logical = int(args[0])
        for i, (rtype, _, payload) in enumerate(records):
            if rtype == DATA and struct.unpack_from("<Q", payload, 0)[0] == logical:
                del records[i]
                while records[i][0] == DATA and struct.unpack_from("<Q", records[i][2], 8)[0] & 1:
                    del records[i]
                return
        fail(f"no DATA record at {logical}")
    if op == "datatext":
        for rtype, _, payload in records:
            if rtype == DATA and struct.unpack_from("<Q", payload, 0)[0] == int(args[0]):
                text = args[2].encode()
                payload[16 + int(args[1]):16 + int(args[1]) + len(text)] = text
                return
        fail(f"no DATA record at {args[0]}")
    i = block_index(records, int(args[0]))
    block = records[i][2]
    body = memoryview(block)[16:]
    if op == "drop":
        del records[i]
    elif op in ("flip", "flipfix"):
        body[int(args[1])] ^= 0x01
        if op == "flipfix":
            fix_csum(body)
    elif op == "generation":
        struct.pack_into("<Q", body, 80, int(args[1]))
        fix_csum(body)
    elif op == "swapkeys":
        size = 33 if body[100] else 25
        a, b = HDR + size * int(args[1]), HDR + size * int(args[2])
        ka, kb = bytes(body[a:a + 17]), bytes(body[b:b + 17])
        body[a:a + 17], body[b:b + 17] = kb, ka
        fix_csum(body)
    elif op == "dropitem":
        leaf = bytearray(body)
        drop_item(leaf, int(args[1]))
        fix_csum(leaf)
        body[:] = leaf
    elif op == "take":
        _, other = read_records(args[1])
        records[i][2] = bytearray(other[block_index(other, int(args[0]))][2])
    elif op == "retype":
        body[HDR + 25 * int(args[1]) + 8] = int(args[2])
        fix_csum(body)
    elif op == "rename":
        off, name_len = first_name(body, int(args[1]))
        if name_len != len(args[2]):
            fail(f"rename: the name has {name_len} bytes")
        body[off:off + name_len] = args[2].encode()
        fix_csum(body)
    elif op in ("text", "textfix"):
        text = args[2].encode()
        body[int(args[1]):int(args[1]) + len(text)] = text
        if op == "textfix":
            fix_csum(body)
    elif op == "itemtext":
        start, size = item_span(body, int(args[1]))
        text, at = args[3].encode(), int(args[2])
        if at + len(text) > size:
            fail("itemtext: past the item's end")
        body[start + at:start + at + len(text)] = text
        fix_csum(body)
    elif op == "insert":
        leaf = bytearray(body)
        insert_item(leaf, (int(args[1]) % (1 << 64), int(args[2]), int(args[3])), int(args[4]))
        fix_csum(leaf)
        body[:] = leaf
    elif op == "damaged":
        struct.pack_into("<Q", block, 8, struct.unpack_from("<Q", block, 8)[0] | 1)
    elif op == "dup":
        records.insert(i + 1, [records[i][0], records[i][1], bytearray(block)])
    elif op == "dupend":
        last = max(j for j, r in enumerate(records) if r[0] == TREE_BLOCK)
        records.insert(last + 1, [records[i][0], records[i][1], bytearray(block)])
    else:
        fail(f"unknown edit {op}")


def signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def main():
    if len(sys.argv) < 3:
        fail("usage: streamedit.py blocks|super STREAM | edit IN OUT EDIT...")
    cmd = sys.argv[1]
    _, records = read_records(sys.argv[2])
    if cmd == "blocks":
        for rtype, _, p in records:
            if rtype == TREE_BLOCK:
                logical, = struct.unpack_from("<Q", p, 0)
                gen, owner, nritems, level = struct.unpack_from("<QQIB", p, 16 + 80)
                print(logical, signed(owner), level, gen, nritems)
    elif cmd == "items":
        p = records[block_index(records, int(sys.argv[3]))][2]
        nritems, level = struct.unpack_from("<IB", p, 16 + 96)
        for slot in range(nritems):
            objectid, ktype, offset, ptr = struct.unpack_from("<QBQQ", p, 16 + HDR + (33 if level else 25) * slot)
            print(slot, signed(objectid), ktype, offset, *([ptr] if level else []))
    elif cmd == "find":
        want, min_len = int(sys.argv[3]), int(sys.argv[4])
        for rtype, _, p in records:
            body = memoryview(p)[16:]
            if rtype != TREE_BLOCK or body[100] != 0:
                continue
            for slot in range(struct.unpack_from("<I", body, 96)[0]):
                if body[HDR + 25 * slot + 8] == want:
                    off, name_len = first_name(body, slot)
                    if name_len >= min_len:
                        print(struct.unpack_from("<Q", p, 0)[0], slot, bytes(body[off:off + name_len]).decode())
                        return
        fail(f"no item of type {want} with a name of {min_len} bytes or more")
    elif cmd == "finditem":
        want, size = int(sys.argv[3]), int(sys.argv[4])
        for rtype, _, p in records:
            body = memoryview(p)[16:]
            if rtype != TREE_BLOCK or body[100] != 0:
                continue
            for slot in range(struct.unpack_from("<I", body, 96)[0]):
                if body[HDR + 25 * slot + 8] == want and item_span(body, slot)[1] == size:
                    print(struct.unpack_from("<Q", p, 0)[0], slot)
                    return
        fail(f"no item of type {want} and {size} bytes")
    elif cmd == "item":
        body = memoryview(records[block_index(records, int(sys.argv[3]))][2])[16:]
        start, size = item_span(body, int(sys.argv[4]))
        print(bytes(body[start:start + size]).hex())
    elif cmd == "data":
        extents = []
        for rtype, _, p in records:
            if rtype == DATA:
                logical, flags = struct.unpack_from("<QQ", p, 0)
                if flags & 1 and extents:
                    extents[-1][1] += len(p) - 16
                else:
                    extents.append([logical, len(p) - 16])
        for logical, length in extents:
            print(logical, length)
    elif cmd == "super":
        sb = [p for t, _, p in records if t == SUPERBLOCK][0]
        gen, root, chunk_root, log_root = struct.unpack_from("<QQQQ", sb, 72)
        print("root", root, "chunk_root", chunk_root, "log_root", log_root, "generation", gen)
    elif cmd == "edit":
        head, _ = read_records(sys.argv[2])
        for edit in sys.argv[4:]:
            apply(records, edit)
        write_records(sys.argv[3], head, records)
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
