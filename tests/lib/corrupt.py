#!/usr/bin/env python3
"""corrupt.py: copy a single-device crc32c btrfs image and damage the copy.

  corrupt.py super-csum    SRC DST          change a superblock byte, keep the old checksum
  corrupt.py chunk-stripes SRC DST          absurd num_stripes in the first system chunk
                                            array entry, superblock checksum fixed
  corrupt.py block-csum    SRC DST LOGICAL [COPIES]
                                            flip a byte of the tree block at LOGICAL in the
                                            first COPIES copies (default: all), checksum kept
  corrupt.py cycle         SRC DST          point the last child pointer of a node of the fs
                                            tree at the node itself (checksums fixed, all copies)
  corrupt.py info          SRC              print root, chunk_root, fs tree root and its level

Written from ondisk.md alone (no shared code with the C programs); handles the
single and DUP profiles of the test corpus.  Prints the logical address it
changed (for the tests' messages).
"""
import shutil
import struct
import sys

SB_OFF = 65536


def crc32c(data, table=[]):
    if not table:
        for n in range(256):
            c = n
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
    crc = 0xFFFFFFFF
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


class Image:
    def __init__(self, path, writable=False):
        self.f = open(path, "r+b" if writable else "rb")
        self.sb = bytearray(self.pread(SB_OFF, 4096))
        if struct.unpack_from("<H", self.sb, 196)[0] != 0:
            sys.exit("corrupt.py: only crc32c filesystems")
        self.nodesize = struct.unpack_from("<I", self.sb, 148)[0]
        self.root, self.chunk_root = struct.unpack_from("<QQ", self.sb, 80)
        self.chunks = []  # (logical, length, [physical...])
        size = struct.unpack_from("<I", self.sb, 160)[0]
        self.parse_chunk_array(self.sb[811:811 + size])
        self.read_chunk_tree(self.chunk_root)

    def pread(self, off, n):
        self.f.seek(off)
        return self.f.read(n)

    def pwrite(self, off, data):
        self.f.seek(off)
        self.f.write(data)

    def add_chunk(self, logical, item):
        length = struct.unpack_from("<Q", item, 0)[0]
        num = struct.unpack_from("<H", item, 44)[0]
        phys = [struct.unpack_from("<Q", item, 48 + 32 * i + 8)[0] for i in range(num)]
        ctype = struct.unpack_from("<Q", item, 24)[0]
        if not ctype & (1 << 5):  # not DUP: single copy
            phys = phys[:1]
        self.chunks = [c for c in self.chunks if c[0] != logical] + [(logical, length, phys)]

    def parse_chunk_array(self, arr):
        pos = 0
        while pos < len(arr):
            logical = struct.unpack_from("<Q", arr, pos + 9)[0]
            num = struct.unpack_from("<H", arr, pos + 17 + 44)[0]
            n = 48 + 32 * num
            self.add_chunk(logical, arr[pos + 17:pos + 17 + n])
            pos += 17 + n

    def physicals(self, logical):
        for start, length, phys in self.chunks:
            if start <= logical < start + length:
                return [p + logical - start for p in phys]
        sys.exit(f"corrupt.py: {logical} is in no chunk")

    def block(self, logical):
        return bytearray(self.pread(self.physicals(logical)[0], self.nodesize))

    def write_block(self, logical, block, copies=None, fix=True):
        if fix:
            struct.pack_into("<I", block, 0, crc32c(bytes(block[32:])))
        for p in self.physicals(logical)[:copies]:
            self.pwrite(p, block)

    def items(self, leaf):
        nritems = struct.unpack_from("<I", leaf, 96)[0]
        for i in range(nritems):
            objectid, typ, offset, off, size = struct.unpack_from("<QBQII", leaf, 101 + 25 * i)
            yield objectid, typ, offset, leaf[101 + off:101 + off + size]

    def ptrs(self, node):
        nritems = struct.unpack_from("<I", node, 96)[0]
        return [struct.unpack_from("<Q", node, 101 + 33 * i + 17)[0] for i in range(nritems)]

    def read_chunk_tree(self, logical):
        b = self.block(logical)
        if b[100] > 0:
            for child in self.ptrs(b):
                self.read_chunk_tree(child)
            return
        for objectid, typ, offset, data in self.items(b):
            if typ == 228:
                self.add_chunk(offset, data)

    def tree_root(self, objectid):
        def find(logical):
            b = self.block(logical)
            if b[100] > 0:
                for child in self.ptrs(b):
                    r = find(child)
                    if r:
                        return r
                return None
            for oid, typ, _off, data in self.items(b):
                if oid == objectid and typ == 132:
                    return struct.unpack_from("<Q", data, 176)[0], data[238]
            return None
        return find(self.root)


def copy(src, dst):
    shutil.copyfile(src, dst)
    return Image(dst, writable=True)


def fix_super(img):
    struct.pack_into("<I", img.sb, 0, crc32c(bytes(img.sb[32:])))
    img.pwrite(SB_OFF, img.sb)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "info":
        img = Image(args[0])
        fs_root, fs_level = img.tree_root(5)
        print(img.root, img.chunk_root, fs_root, fs_level)
    elif cmd == "super-csum":
        img = copy(args[0], args[1])
        img.sb[299] ^= 0x20  # a label byte
        img.pwrite(SB_OFF, img.sb)
        print(SB_OFF)
    elif cmd == "chunk-stripes":
        img = copy(args[0], args[1])
        struct.pack_into("<H", img.sb, 811 + 17 + 44, 0xFFF0)
        fix_super(img)
        print(SB_OFF)
    elif cmd == "block-csum":
        img = copy(args[0], args[1])
        logical = int(args[2])
        copies = int(args[3]) if len(args) > 3 else None
        b = img.block(logical)
        b[200] ^= 0xFF
        img.write_block(logical, b, copies, fix=False)
        print(logical)
    elif cmd == "cycle":
        img = copy(args[0], args[1])
        fs_root, level = img.tree_root(5)
        if level == 0:
            sys.exit("corrupt.py: the fs tree is a single leaf here, use a 4K-node image")
        b = img.block(fs_root)
        n = struct.unpack_from("<I", b, 96)[0]
        struct.pack_into("<Q", b, 101 + 33 * (n - 1) + 17, fs_root)
        img.write_block(fs_root, b)
        print(fs_root)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
