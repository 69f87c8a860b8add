#!/usr/bin/env python3
"""name-pairs.py PLAIN.img SANITIZED.img: the replacements a -ss image made.

Prints one line "ORIGINAL-HEX REPLACEMENT-HEX" (sorted, unique) for every name of 5 bytes
or more in a DIR_ITEM, DIR_INDEX, INODE_REF or INODE_EXTREF record that was replaced by a
name with the same crc32c name hash: the replacements a correct -ss search produced (the
reference's prefix bug gives names other names' replacements, whose hash differs).
Both images must hold the same tree blocks (the plain dump and the sanitized dump of one
source, by the same tool).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crc32c import crc32c_raw  # noqa: E402

checker = {}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sanitize-check.py")) as f:
    exec(compile(f.read().split("\ndef main")[0], "sanitize-check.py", "exec"), checker)

_, plain, _ = checker["blocks"](sys.argv[1])
_, san, _ = checker["blocks"](sys.argv[2])
pairs = set()
for bytenr, a in plain.items():
    b = san.get(bytenr)
    if b is None:
        continue
    for slot, typ, key, no, nl, vo, vl, to in checker["records"](a):
        if no is None or typ not in (84, 96, 12, 13) or nl < 5:
            continue
        old, new = bytes(a[no:no + nl]), bytes(b[no:no + nl])
        if old != new and crc32c_raw(0xFFFFFFFE, old) == crc32c_raw(0xFFFFFFFE, new):
            pairs.add((old.hex(), new.hex()))
for old, new in sorted(pairs):
    print(old, new)
