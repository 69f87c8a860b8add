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
  corrupt.py cycle         SRC DST TREE     the same in tree TREE (objectid, e.g. 2: the extent tree)
  corrupt.py ancestor      SRC DST          in the first tree of level >= 2: point the last pointer
                                            of a level-1 node at the tree's root (its parent)
  corrupt.py child-level   SRC DST TREE     set the level of the first child of tree TREE's root
                                            (a level-1 node) to 1
  corrupt.py header-bytenr SRC DST LOGICAL  header bytenr of the block at LOGICAL + 4096 (checksum fixed)
  corrupt.py nritems       SRC DST LOGICAL N
                                            nritems of the block at LOGICAL (checksum fixed)
  corrupt.py item-offset   SRC DST LOGICAL  leaf item 0's data offset points past the block
  corrupt.py level         SRC DST LOGICAL N
                                            header level of the block at LOGICAL (checksum fixed)
  corrupt.py short-item    SRC DST LOGICAL TYPE
                                            the first item of TYPE (e.g. 1 inode item, 96 dir index)
                                            in the leaf at LOGICAL is one byte shorter than its
                                            contents (its size in the item header; checksum fixed)
  corrupt.py extent-len0   SRC DST          the first EXTENT_ITEM key of the extent tree gets offset
                                            (length) 0; prints the extent's bytenr
  corrupt.py chunk         SRC DST FIELD    the last non-system chunk item of the chunk tree:
                                            FIELD unaligned (length + 1), oversized (length 2^50),
                                            stripe-beyond (stripe 0 at the device's end)
  corrupt.py super-field   SRC DST FIELD VALUE
                                            nodesize|sectorsize|root_level|sys_chunk_array_size|
                                            num_devices = VALUE, superblock checksum fixed
  corrupt.py mutate-loop   SRC WORK N SEED -- CMD...
                                            N times: flip random bytes of random tree blocks of a
                                            copy of SRC at WORK (checksums fixed, every copy), run
                                            each CMD (';'-separated, WORK appended) under timeout
                                            20; report any exit status outside 0/1 (0/1/2 for
                                            commands with --rescue), a hang, a crash or a
                                            sanitizer report; exit 1 if there was one
  corrupt.py leaf          SRC TREE         print the first leaf of tree TREE (objectid)
  corrupt.py physical      SRC LOGICAL      print the physical address of every copy of LOGICAL
  corrupt.py info          SRC              print root, chunk_root, fs tree root and its level

Written from the btrfs on-disk format alone (no shared code with the C programs); handles the
single and DUP profiles of the test corpus.  Prints the logical address it
changed (for the tests' messages).
"""
import random
import shutil
import struct
import subprocess
import sys

from crc32c import crc32c

SB_OFF = 65536


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
        # Now, not at exit: a buffered write is lost if something still holds the image then.
        self.f.flush()

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

    def leaves(self, logical):
        """(logical, block) of every leaf below logical, in key order; read as they are reached."""
        b = self.block(logical)
        if b[100] > 0:
            for child in self.ptrs(b):
                yield from self.leaves(child)
        else:
            yield logical, b

    def read_chunk_tree(self, logical):
        for _logical, b in self.leaves(logical):
            for _objectid, typ, offset, data in self.items(b):
                if typ == 228:
                    self.add_chunk(offset, data)

    def tree_root(self, objectid):
        for _logical, b in self.leaves(self.root):
            for oid, typ, _off, data in self.items(b):
                if oid == objectid and typ == 132:
                    return struct.unpack_from("<Q", data, 176)[0], data[238]
        return None

    def all_tree_roots(self):
        """(bytenr, level) of the chunk tree, the root tree and every tree it names."""
        roots = [(self.chunk_root, self.sb[199]), (self.root, self.sb[198])]
        for _logical, b in self.leaves(self.root):
            for _oid, typ, _off, data in self.items(b):
                if typ == 132 and len(data) >= 239:
                    roots.append((struct.unpack_from("<Q", data, 176)[0], data[238]))
        return roots

    def tree_blocks(self):
        seen = []
        known = set()

        def walk(logical):
            if logical in known:
                return
            known.add(logical)
            seen.append(logical)
            b = self.block(logical)
            if b[100] > 0:
                for child in self.ptrs(b):
                    walk(child)
        for logical, _level in self.all_tree_roots():
            walk(logical)
        return seen

    def chunk_leaf_item(self, want):
        """(leaf logical, absolute data offset, item data) of the last chunk item want() accepts."""
        found = None
        for logical, b in self.leaves(self.chunk_root):
            nritems = struct.unpack_from("<I", b, 96)[0]
            for i in range(nritems):
                _oid, typ, _off, off, size = struct.unpack_from("<QBQII", b, 101 + 25 * i)
                if typ == 228 and want(b[101 + off:101 + off + size]):
                    found = (logical, 101 + off, b[101 + off:101 + off + size])
        return found


def copy(src, dst):
    # the corpus images are sparse: keep the copies so
    if subprocess.run(["cp", "--sparse=always", src, dst]).returncode != 0:
        shutil.copyfile(src, dst)
    return Image(dst, writable=True)


def edit_block(args, edit, leaf_only=False):
    """SRC DST LOGICAL ...: DST a copy of SRC whose block at LOGICAL is changed by edit(img,
    block) and written with its checksum fixed; prints LOGICAL."""
    img = copy(args[0], args[1])
    logical = int(args[2])
    b = img.block(logical)
    if leaf_only and b[100] != 0:
        sys.exit("corrupt.py: not a leaf")
    edit(img, b)
    img.write_block(logical, b)
    print(logical)


def fix_super(img):
    struct.pack_into("<I", img.sb, 0, crc32c(bytes(img.sb[32:])))
    img.pwrite(SB_OFF, img.sb)


def mutate_loop(args):
    """See the usage text; returns 0, or a message (for sys.exit) listing what went wrong."""
    src, work, n, seed = args[0], args[1], int(args[2]), int(args[3])
    commands = [c.split() for c in " ".join(args[5:]).split(";") if c.strip()]
    rng = random.Random(seed)
    img = copy(src, work)
    blocks = img.tree_blocks()
    problems = []
    counts = {}
    for it in range(n):
        saved = []
        for logical in rng.sample(blocks, rng.randint(1, 3)):
            phys = img.physicals(logical)
            saved += [(p, img.pread(p, img.nodesize)) for p in phys]
            b = img.block(logical)
            for _ in range(rng.randint(1, 8)):
                # mostly the header and the item/pointer array, where the structure is
                at = rng.randrange(32, 400) if rng.random() < 0.7 else rng.randrange(32, img.nodesize)
                b[at] = rng.randrange(256) if rng.random() < 0.5 else b[at] ^ (1 << rng.randrange(8))
            img.write_block(logical, b)
        img.f.flush()
        for cmd in commands:
            rescue = any(a.startswith("--rescue") for a in cmd)
            r = subprocess.run(["timeout", "20"] + cmd + [work], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
            err = r.stderr.decode(errors="replace")
            ok = (0, 1, 2) if rescue else (0, 1)
            counts[r.returncode] = counts.get(r.returncode, 0) + 1
            lines = err.splitlines()
            bad = None
            if r.returncode not in ok:
                bad = f"exit status {r.returncode}"
            elif "Sanitizer" in err or "runtime error" in err:
                bad = "sanitizer report"
            elif r.returncode == 1 and (not lines or not lines[-1].startswith("bimg-scan: ")):
                bad = "exit 1 without a message"
            if bad:
                problems.append(f"iteration {it} ({' '.join(cmd)}): {bad}: {err[-400:]}")
        for p, data in saved:
            img.pwrite(p, data)
        img.f.flush()
    print(f"mutate-loop: {n} iterations, exit statuses {sorted(counts.items())}")
    if problems:
        return "\n".join(problems[:20])
    return 0


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
        fs_root, level = img.tree_root(int(args[2]) if len(args) > 2 else 5)
        if level == 0:
            sys.exit("corrupt.py: the tree is a single leaf here, use a 4K-node image")
        b = img.block(fs_root)
        n = struct.unpack_from("<I", b, 96)[0]
        struct.pack_into("<Q", b, 101 + 33 * (n - 1) + 17, fs_root)
        img.write_block(fs_root, b)
        print(fs_root)
    elif cmd == "ancestor":
        img = copy(args[0], args[1])
        for root, level in img.all_tree_roots():
            if level >= 2:
                break
        else:
            sys.exit("corrupt.py: no tree of level 2 or more here (use many-small)")
        child = img.ptrs(img.block(root))[0]
        while img.block(child)[100] > 1:
            child = img.ptrs(img.block(child))[0]
        b = img.block(child)
        n = struct.unpack_from("<I", b, 96)[0]
        struct.pack_into("<Q", b, 101 + 33 * (n - 1) + 17, root)
        img.write_block(child, b)
        print(child, root)
    elif cmd == "child-level":
        img = copy(args[0], args[1])
        root, level = img.tree_root(int(args[2]))
        if level != 1:
            sys.exit(f"corrupt.py: tree {args[2]} has level {level}, not 1")
        child = img.ptrs(img.block(root))[0]
        b = img.block(child)
        b[100] = 1
        img.write_block(child, b)
        print(child)
    elif cmd == "header-bytenr":
        edit_block(args, lambda img, b: struct.pack_into("<Q", b, 48, int(args[2]) + 4096))
    elif cmd == "nritems":
        edit_block(args, lambda img, b: struct.pack_into("<I", b, 96, int(args[3])))
    elif cmd == "item-offset":
        edit_block(args, lambda img, b: struct.pack_into("<I", b, 101 + 17, img.nodesize), leaf_only=True)
    elif cmd == "level":
        edit_block(args, lambda img, b: struct.pack_into("<B", b, 100, int(args[3])))
    elif cmd == "short-item":
        img = copy(args[0], args[1])
        logical, typ = int(args[2]), int(args[3])
        b = img.block(logical)
        if b[100] != 0:
            sys.exit("corrupt.py: not a leaf")
        nritems = struct.unpack_from("<I", b, 96)[0]
        for i in range(nritems):
            if b[101 + 25 * i + 8] == typ:
                size = struct.unpack_from("<I", b, 101 + 25 * i + 21)[0]
                struct.pack_into("<I", b, 101 + 25 * i + 21, size - 1)
                break
        else:
            sys.exit(f"corrupt.py: no item of type {typ} in the leaf")
        img.write_block(logical, b)
        print(logical)
    elif cmd == "extent-len0":
        img = copy(args[0], args[1])
        root, _level = img.tree_root(2)

        def first_extent_item():
            for logical, b in img.leaves(root):
                for i in range(struct.unpack_from("<I", b, 96)[0]):
                    if b[101 + 25 * i + 8] == 168:
                        return logical, b, i
            return None
        found = first_extent_item()
        if not found:
            sys.exit("corrupt.py: no EXTENT_ITEM in the extent tree")
        logical, b, i = found
        bytenr = struct.unpack_from("<Q", b, 101 + 25 * i)[0]
        struct.pack_into("<Q", b, 101 + 25 * i + 9, 0)
        img.write_block(logical, b)
        print(logical, bytenr)
    elif cmd == "chunk":
        img = copy(args[0], args[1])
        found = img.chunk_leaf_item(lambda item: not struct.unpack_from("<Q", item, 24)[0] & 2)
        if not found:
            sys.exit("corrupt.py: no non-system chunk in the chunk tree")
        leaf, at, item = found
        b = img.block(leaf)
        if args[2] == "unaligned":
            struct.pack_into("<Q", b, at, struct.unpack_from("<Q", item, 0)[0] + 1)
        elif args[2] == "oversized":
            struct.pack_into("<Q", b, at, 1 << 50)
        elif args[2] == "stripe-beyond":
            dev_total = struct.unpack_from("<Q", img.sb, 201 + 8)[0]
            struct.pack_into("<Q", b, at + 48 + 8, dev_total)
        else:
            sys.exit(f"corrupt.py: unknown chunk field {args[2]}")
        img.write_block(leaf, b)
        print(leaf)
    elif cmd == "super-field":
        img = copy(args[0], args[1])
        fields = {"nodesize": (148, "<I"), "sectorsize": (144, "<I"), "root_level": (198, "<B"),
                  "sys_chunk_array_size": (160, "<I"), "num_devices": (136, "<Q")}
        off, fmt = fields[args[2]]
        struct.pack_into(fmt, img.sb, off, int(args[3]))
        fix_super(img)
        print(SB_OFF)
    elif cmd == "leaf":
        img = Image(args[0])
        logical, _level = img.tree_root(int(args[1]))
        while img.block(logical)[100] > 0:
            logical = img.ptrs(img.block(logical))[0]
        print(logical)
    elif cmd == "physical":
        print(*Image(args[0]).physicals(int(args[1])))
    elif cmd == "mutate-loop":
        sys.exit(mutate_loop(args))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
