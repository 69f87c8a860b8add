#!/usr/bin/env python3
"""sanitize-check.py [--odometer] [--leak-min N] PLAIN.img SANITIZED.img MODE : check a sanitized btrfs-image against the plain one.
sanitize-check.py --names-absent PLAIN.img FILE... : no name of 5 bytes or more of PLAIN.img
            occurs in any FILE (a btrfs-image, searched in its inflated payloads, or any other
            file, such as a record stream, searched as it is); prints how many were found
sanitize-check.py --text PLAIN.img MESSAGES PROGRAM : no source name in a program's messages

Both images must come from the same source (bimg-scan | [bimg-sanitize] | bimg-pack);
MODE is -s or -ss.  Checks (docs/sanitize.md):
  leak      no source name of >= 4 bytes appears anywhere in the sanitized image's
            inflated payloads; no xattr value or inline extent byte is non-zero
  shape     same items in the same order, same keys and sizes; bytes differ only in
            names, xattr values, checksums, DIR transids larger than the leaf generation
            and inode items' reserved bytes (stale name bytes in log trees); with -ss the
            offset of a DIR_ITEM or INODE_EXTREF key whose name has 1..4 bytes may move (to
            the new name's hash, the leaf staying in key order), and with it the key of
            every node pointer to a leaf whose first key moved; and the offset of such a key
            in a tree block's extent item may become 0; a root item's drop_progress key of
            those types may move, to the key of a node pointer of the sanitized image (the
            one it copies) or to the offset 2^64-1 (hidden)
  map       one original name -> one replacement everywhere; no two originals share one;
            the entries of each directory (DIR_ITEM and DIR_INDEX of one inode in one tree)
            have as many distinct names after as before
  bytes     -s: replacements are 0x21..0x7E but '/'; -ss: the same, except 5-byte names
            without a printable collision (space or 0x80..0xFF, never NUL, control, '/');
            no replacement is "." or ".." (the kernel answers those lookups itself)
  hash      -ss: names of >= 5 bytes keep crc32c_raw(~1, name); every DIR_ITEM and
            INODE_EXTREF key matches its (new) name, and no key of a replaced name of 1..4
            bytes is left as it was (that key is the old name's hash, and gives it back), nor
            a drop_progress key that is such a hash
Prints one line per failure and a summary; exit 1 on failure.  Written from the image
format (docs/image-format.md) and the btrfs on-disk format, sharing no code with the C programs.
"""
import struct
import sys
import zlib

from crc32c import crc32c_raw

INDEX_SIZE = 1024
NAMED = {84: 30, 96: 30, 12: 10, 13: 18, 156: 18, 144: 18}  # type -> record header size
INODE_ITEM, XATTR, EXTENT_DATA, EXTENT_ITEM, ROOT_ITEM = 1, 24, 108, 168, 132
DROP_PROGRESS = 220  # the key in a root item where a subvolume's deletion stopped




def items(path):
    """(bytenr, inflated payload) of every item of a btrfs-image."""
    data = open(path, "rb").read()
    off = 0
    while off + INDEX_SIZE <= len(data):
        nr, comp = struct.unpack_from("<IB", data, off + 16)
        entries = [struct.unpack_from("<QI", data, off + 21 + 12 * i) for i in range(nr)]
        p = off + INDEX_SIZE
        for bytenr, size in entries:
            raw = data[p:p + size]
            yield bytenr, zlib.decompress(raw) if comp else raw
            p += size
        off = (p + INDEX_SIZE - 1) // INDEX_SIZE * INDEX_SIZE


def blocks(path):
    """superblock, then {bytenr: tree block} and the concatenated payloads."""
    sb, tree, payloads = None, {}, []
    for bytenr, payload in items(path):
        payloads.append(payload)
        if bytenr == 65536 and sb is None:
            sb = payload
            nodesize = struct.unpack_from("<I", sb, 148)[0]
            continue
        if len(payload) % nodesize == 0 and struct.unpack_from("<Q", payload, 48)[0] == bytenr:
            for i in range(0, len(payload), nodesize):
                tree[bytenr + i] = payload[i:i + nodesize]
    return sb, tree, b"".join(payloads)


def records(leaf):
    """For each named or valued record: (slot, type, key, name_off, name_len, value_off, value_len, transid_off)."""
    nritems, level = struct.unpack_from("<IB", leaf, 96)
    if level:
        return
    for slot in range(min(nritems, (len(leaf) - 101) // 25)):
        ih = 101 + 25 * slot
        oid, typ, koff, ioff, isize = struct.unpack_from("<QBQII", leaf, ih)
        start, end = 101 + ioff, 101 + ioff + isize
        if end > len(leaf):
            continue
        key = (oid, typ, koff)
        if typ in NAMED or typ == XATTR:
            head = 30 if typ == XATTR else NAMED[typ]
            p = start
            while p + head <= end:
                if head == 30:
                    dlen, nlen = struct.unpack_from("<HH", leaf, p + 25)
                else:
                    nlen, dlen = struct.unpack_from("<H", leaf, p + head - 2)[0], 0
                yield slot, typ, key, p + head, nlen, p + head + nlen, dlen, (p + 17 if head == 30 else None)
                p += head + nlen + dlen
        elif typ == INODE_ITEM and isize >= 112:
            yield slot, typ, key, None, 0, start + 80, 32, None
        elif typ == EXTENT_DATA and isize > 21 and leaf[start + 20] == 0:
            yield slot, typ, key, None, 0, start + 21, isize - 21, None
        elif (typ == EXTENT_ITEM and isize >= 42 and struct.unpack_from("<Q", leaf, start + 16)[0] & 2
              and leaf[start + 24 + 8] in (84, 13)):
            # a tree block's extent item: the offset of its copy of a DIR_ITEM or INODE_EXTREF key
            yield slot, typ, key, None, 0, start + 24 + 9, 8, None
        elif typ == ROOT_ITEM and isize >= 239 and leaf[start + DROP_PROGRESS + 8] in (84, 13):
            # a half-deleted subvolume's drop_progress: the offset of a DIR_ITEM or INODE_EXTREF key
            yield slot, typ, key, None, 0, start + DROP_PROGRESS + 9, 8, None


def item_keys(block):
    """The keys of a block's items (leaf) or pointers (node), and the pointers' children."""
    nritems, level = struct.unpack_from("<IB", block, 96)
    if level == 0:
        return [struct.unpack_from("<QBQ", block, 101 + 25 * i) for i in range(nritems)], None
    ptrs = [struct.unpack_from("<QBQQ", block, 101 + 33 * i) for i in range(nritems)]
    return [p[:3] for p in ptrs], [p[3] for p in ptrs]


def key_moves(a, b, san, bytenr, allowed, fail):
    """Check the keys of block b against a; mark moved key offsets as allowed.  Returns the set of
    leaf slots whose key moved, or None when the blocks cannot be compared."""
    ka, children = item_keys(a)
    kb, _ = item_keys(b)
    if len(ka) != len(kb):
        return None
    moved = set()
    for i, (x, y) in enumerate(zip(ka, kb)):
        if x == y:
            continue
        if x[:2] != y[:2]:
            return None
        if children is None:
            if x[1] not in (84, 13):
                return None
            moved.add(i)
            at = 101 + 25 * i + 9
        else:
            child_keys = item_keys(san[children[i]])[0] if children[i] in san else []
            first = child_keys[0] if child_keys else None
            if first != y:
                fail("shape: block %d pointer %d: moved key is not its child's first key" % (bytenr, i))
            at = 101 + 33 * i + 9
        allowed[at:at + 8] = b"\xff" * 8
    if any(kb[i] >= kb[i + 1] for i in range(len(kb) - 1)):
        fail("shape: block %d: keys out of order" % bytenr)
    return moved


def check_text(plain_path, text_path, program):
    """No source name of 5 bytes or more appears in a text (a program's messages),
    unless the program's own strings contain it (a file named "bytes")."""
    _, plain, _ = blocks(plain_path)
    text = open(text_path, "rb").read()
    own = open(program, "rb").read()
    found = set()
    for leaf in plain.values():
        for slot, typ, key, no, nl, vo, vl, to in records(leaf):
            if no is not None and nl >= 5 and bytes(leaf[no:no + nl]) in text and bytes(leaf[no:no + nl]) not in own:
                found.add(bytes(leaf[no:no + nl]))
    for n in sorted(found):
        print("leak: the messages contain the source name %r" % n)
    sys.exit(1 if found else 0)


# xattr names the kernel and security modules define, kept whole; any other name keeps only its
# namespace (docs/sanitize.md), and a name in no namespace we know keeps nothing.
KERNEL_XATTRS = {b"security.selinux", b"security.capability", b"security.ima", b"security.evm",
                 b"security.apparmor", b"security.SMACK64", b"security.SMACK64IPIN", b"security.SMACK64IPOUT",
                 b"security.SMACK64EXEC", b"security.SMACK64MMAP", b"security.SMACK64TRANSMUTE",
                 b"system.posix_acl_access", b"system.posix_acl_default", b"btrfs.compression"}
XATTR_NAMESPACES = (b"user.", b"trusted.", b"security.", b"system.", b"btrfs.")


def xattr_kept(name):
    """How many leading bytes of an xattr name bimg-sanitize keeps as they are."""
    if name in KERNEL_XATTRS:
        return len(name)
    for ns in XATTR_NAMESPACES:
        if len(name) > len(ns) and name.startswith(ns):
            return len(ns)
    return 0


def source_names(plain_path, min_len):
    """Every name of min_len bytes or more in the records of a plain image; xattr names only when
    -ss replaces them too (a name whose part after the namespace it keeps is that long)."""
    _, plain, _ = blocks(plain_path)
    found = set()
    for leaf in plain.values():
        for slot, typ, key, no, nl, vo, vl, to in records(leaf):
            if no is None:
                continue
            name = bytes(leaf[no:no + nl])
            if typ == XATTR:
                keep = xattr_kept(name)
                if nl - keep < min_len:
                    continue
            if nl >= min_len:
                found.add(name)
    return found


def names_absent(plain_path, paths):
    """--names-absent: exit 1 if a source name of 5+ bytes occurs in any of the files."""
    names = sorted(source_names(plain_path, 5))
    total = 0
    for path in paths:
        data = open(path, "rb").read()
        if len(data) >= INDEX_SIZE and struct.unpack_from("<Q", data, 0)[0] in (0xBD5C25E27295668B, 0x31765F506D55445F):
            data = b"".join(payload for _, payload in items(path))
        leaked = find_leaks(names, data)
        total += len(leaked)
        print("%s: %d of %d source names of 5 bytes or more found" % (path, len(leaked), len(names)))
    sys.exit(1 if total or not names else 0)


def find_leaks(names, haystack):
    """The names that occur in haystack: grep -F (Aho-Corasick) for the many, Python for names with a newline."""
    import subprocess
    import tempfile
    simple = [n for n in names if b"\n" not in n and b"\0" not in n]
    found = [n for n in names if (b"\n" in n or b"\0" in n) and n in haystack]
    if simple:
        with tempfile.NamedTemporaryFile() as pat, tempfile.NamedTemporaryFile() as hay:
            pat.write(b"\n".join(simple) + b"\n")
            pat.flush()
            hay.write(haystack)
            hay.flush()
            out = subprocess.run(["grep", "-aoF", "-f", pat.name, hay.name], stdout=subprocess.PIPE,
                                 env={"LC_ALL": "C"}).stdout
        hits = set(out.split(b"\n"))
        # grep -o reports the leftmost-longest match; check the candidates it hints at and every
        # name that is a substring of a hit, in Python.
        found += [n for n in simple if n in hits or any(n in h for h in hits if len(h) > len(n))]
    return sorted(set(found))


def main():
    if sys.argv[1] == "--text":
        check_text(sys.argv[2], sys.argv[3], sys.argv[4])
    if sys.argv[1] == "--names-absent":
        names_absent(sys.argv[2], sys.argv[3:])
    leak_min, low = 4, 0x21
    if sys.argv[1] == "--odometer":
        # bimg-sanitize -ss --odometer: btrfs-image's search, whose prefixes start as spaces.
        low = 0x20
        del sys.argv[1]
    if sys.argv[1] == "--leak-min":
        # Filesystems with tens of thousands of 4-byte names: random replacement bytes next to other
        # bytes (inode numbers) spell some of them by chance; names are still checked field by field.
        leak_min = int(sys.argv[2])
        del sys.argv[1:3]
    plain_path, san_path, mode = sys.argv[1:4]
    fails = []
    fail = fails.append
    psb, plain, _ = blocks(plain_path)
    ssb, san, san_bytes = blocks(san_path)
    if sorted(plain) != sorted(san):
        fail("shape: the images hold different tree block addresses")
    forward, reverse, source_names, kept_short = {}, {}, set(), set()
    directories = {}  # (tree, directory inode, item type) -> [(old name, new name)]
    xattr_values = inline = names = 0
    drops = []  # (block, slot, drop_progress key before, after)
    for bytenr in sorted(set(plain) & set(san)):
        a, b = plain[bytenr], san[bytenr]
        allowed = bytearray(len(a))
        allowed[0:32] = b"\xff" * 32
        if a[32:101] != b[32:101]:
            fail("shape: block %d: header differs" % bytenr)
        gen = struct.unpack_from("<Q", a, 80)[0]
        moved = key_moves(a, b, san, bytenr, allowed, fail) if mode == "-ss" else set()
        ra, rb = list(records(a)), list(records(b))
        shape = lambda rs: [r[:2] + r[4:5] + r[6:7] + (r[2] if r[0] not in moved else r[2][:2],) for r in rs]
        if moved is None or shape(ra) != shape(rb):
            fail("shape: block %d: items or records differ" % bytenr)
            continue
        for (slot, typ, key, no, nl, vo, vl, to), rec_b in zip(ra, rb):
            if typ == EXTENT_ITEM:
                # -ss clears it (a name's hash; stale, so it cannot follow the name's new key)
                if mode == "-ss":
                    allowed[vo:vo + vl] = b"\xff" * vl
                    if b[vo:vo + vl] not in (a[vo:vo + vl], bytes(8)):
                        fail("shape: block %d slot %d: a tree block extent item's key changed" % (bytenr, slot))
                continue
            if typ == ROOT_ITEM:
                if mode == "-ss":
                    allowed[vo:vo + vl] = b"\xff" * vl
                    at = vo - 9
                    drops.append((bytenr, slot, struct.unpack_from("<QBQ", a, at), struct.unpack_from("<QBQ", b, at)))
                continue
            if typ == INODE_ITEM:
                allowed[vo:vo + vl] = b"\xff" * vl
                if any(b[vo:vo + vl]):
                    fail("leak: block %d slot %d: inode reserved bytes not zero" % (bytenr, slot))
                continue
            if typ == XATTR:
                old = bytes(a[no:no + nl])
                keep = xattr_kept(old)
                allowed[no + keep:no + nl] = b"\xff" * (nl - keep)
                if bytes(b[no:no + keep]) != old[:keep]:
                    fail("shape: block %d slot %d: xattr namespace changed" % (bytenr, slot))
                if mode == "-ss" and crc32c_raw(0xFFFFFFFE, bytes(b[no:no + nl])) != crc32c_raw(0xFFFFFFFE, old):
                    fail("hash: an xattr name lost its hash")
            if typ == XATTR or typ == EXTENT_DATA:
                allowed[vo:vo + vl] = b"\xff" * vl
                if any(b[vo:vo + vl]):
                    fail("leak: block %d slot %d: %s value not zero" % (bytenr, slot, "xattr" if typ == XATTR else "inline"))
                if any(a[vo:vo + vl]):
                    if typ == XATTR:
                        xattr_values += 1
                    else:
                        inline += 1
                if typ == XATTR:
                    continue
            if no is None:
                continue
            allowed[no:no + nl] = b"\xff" * nl
            if to is not None and struct.unpack_from("<Q", a, to)[0] > gen:
                allowed[to:to + 8] = b"\xff" * 8
            old, new = bytes(a[no:no + nl]), bytes(b[no:no + nl])
            names += 1
            if typ in (84, 96):
                owner = struct.unpack_from("<Q", a, 88)[0]
                directories.setdefault((owner, key[0], typ), []).append((old, new))
            if new in (b".", b"..") and old != new:
                fail("bytes: block %d slot %d: a %d-byte name became %r" % (bytenr, slot, nl, new))
            if old in (b".", b".."):
                continue
            source_names.add(old)
            if forward.setdefault(old, new) != new:
                fail("map: one name got two replacements (%d bytes)" % nl)
            if reverse.setdefault(new, old) != old:
                fail("map: two names got the same replacement %r" % new)
            if old == new and (mode == "-s" or nl >= 4):
                fail("map: a %d-byte name was not replaced" % nl)
            if old == new:
                kept_short.add(old)
            if mode == "-ss" and typ in (84, 13):
                seed = 0xFFFFFFFE if typ == 84 else struct.unpack_from("<Q", b, no - 18)[0] & 0xFFFFFFFF
                new_key = rec_b[2]
                if crc32c_raw(seed, new) != new_key[2]:
                    fail("hash: block %d slot %d: the key does not match its %d-byte name" % (bytenr, slot, nl))
                if nl <= 4 and old != new and new_key[2] == key[2]:
                    fail("leak: block %d slot %d: the key still holds the hash of a replaced %d-byte name"
                         % (bytenr, slot, nl))
            printable = all(low <= c <= 0x7E and c != 0x2F for c in new)
            if not printable:
                wide_ok = mode == "-ss" and nl <= 5 and all((0x20 <= c <= 0x7E or c >= 0x80) and c != 0x2F for c in new)
                if not wide_ok:
                    fail("bytes: replacement %r is not printable" % new)
            if mode == "-ss" and nl >= 5 and crc32c_raw(0xFFFFFFFE, new) != crc32c_raw(0xFFFFFFFE, old):
                fail("hash: a %d-byte replacement lost the name hash" % nl)
        if a != b:
            stray = (int.from_bytes(a, "little") ^ int.from_bytes(b, "little")) & ~int.from_bytes(allowed, "little")
            if stray:
                i = (stray & -stray).bit_length() // 8
                fail("shape: block %d byte %d changed outside names and values" % (bytenr, i))
    if drops:
        pointer_keys = set()
        for block in san.values():
            keys, children = item_keys(block)
            if children is not None:
                pointer_keys.update(keys)
        replaced = {crc32c_raw(0xFFFFFFFE, o) for o, n in forward.items() if len(o) <= 4 and o != n}
        for bytenr, slot, old, new in drops:
            if new != old and new not in pointer_keys and new[2] != (1 << 64) - 1:
                fail("shape: block %d slot %d: drop_progress moved to a key no node pointer has" % (bytenr, slot))
            if new == old and old[1] == 84 and old[2] in replaced:
                fail("leak: block %d slot %d: drop_progress still holds the hash of a replaced short name"
                     % (bytenr, slot))
    for (tree, ino, typ), pairs in sorted(directories.items()):
        before, after = len(set(o for o, _ in pairs)), len(set(n for _, n in pairs))
        if before != after:
            fail("map: tree %d directory %d: %d distinct names became %d (%s)" % (tree, ino, before, after,
                                                                             "DIR_ITEM" if typ == 84 else "DIR_INDEX"))
    for n in sorted(n for n in reverse if len(n) >= 4 and n in source_names and forward.get(n) != n)[:10]:
        fail("leak: a replacement is also a source name: %r" % n)
    leaked = find_leaks(sorted(n for n in source_names if len(n) >= leak_min), san_bytes)
    for n in leaked[:10]:
        fail("leak: source name %r (%d bytes) is in the sanitized image" % (n, len(n)))
    if len(leaked) > 10:
        fail("leak: %d more source names are in the sanitized image" % (len(leaked) - 10))
    label = psb[299:299 + 256].rstrip(b"\0")
    if any(ssb[299:299 + 256]):
        fail("leak: the label is still set")
    if psb[:299] != ssb[:299] and psb[32:299] != ssb[32:299]:
        fail("shape: superblock differs outside the label and checksum")
    fails.sort(key=lambda f: not f.startswith("leak"))
    for f in fails[:40]:
        print(f)
    print("%d source names leaked; %d names of 1..3 bytes kept; " % (len(leaked), len(kept_short)) + "%d tree blocks, %d name occurrences, %d distinct source names, %d xattr values, %d inline extents, "
          "label %d bytes: %d failures" % (len(plain), names, len(source_names), xattr_values, inline, len(label), len(fails)))
    sys.exit(1 if fails else 0)


main()
