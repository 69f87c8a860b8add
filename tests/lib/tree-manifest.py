#!/usr/bin/env python3
"""tree-manifest.py DIR: one line per entry under DIR, sorted by path, so
that two mounted filesystems (mounted one after the other: a restored
target has the source's fsid) can be compared with diff.

  f SIZE DIGEST PATH    regular file: size and a digest of its contents
  l TARGET PATH         symlink and its target
  d PATH                directory
  T SIZE PATH           anything else (T is find's type letter)

The digest is a sha256 of the file's contents, taken in 1 MiB blocks:
each block that is not all zeros contributes its offset and its bytes.
Holes read as zeros, so only the ranges SEEK_DATA reports are read: a
1 TiB sparse file costs what its data costs, and the digest depends on
the contents only (not on where the holes are).
"""
import hashlib
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sparsecmp import data_ranges  # noqa: E402

BLOCK = 1 << 20
SMALL = 64 << 20


def digest(path, size):
    h = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)

    def block(index):
        data = os.pread(fd, BLOCK, index * BLOCK)
        if data.count(0) != len(data):
            h.update(index.to_bytes(8, "little"))
            h.update(data)

    try:
        if size <= SMALL:  # SEEK_DATA costs more than reading a small file
            for index in range((size + BLOCK - 1) // BLOCK):
                block(index)
        else:
            last = -1
            for start, end in data_ranges(fd, size):
                index = max(start // BLOCK, last + 1)
                while index * BLOCK < end:
                    block(index)
                    last = index
                    index += 1
    finally:
        os.close(fd)
    return h.hexdigest()


def main():
    top = sys.argv[1]
    lines = []
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, top)
            st = os.lstat(path)
            if stat.S_ISREG(st.st_mode):
                lines.append((rel, "f %d %s" % (st.st_size, digest(path, st.st_size))))
            elif stat.S_ISLNK(st.st_mode):
                lines.append((rel, "l %r" % os.readlink(path)))
            elif stat.S_ISDIR(st.st_mode):
                lines.append((rel, "d"))
            else:
                kind = {stat.S_IFIFO: "p", stat.S_IFSOCK: "s", stat.S_IFCHR: "c", stat.S_IFBLK: "b"}
                lines.append((rel, "%s %d" % (kind.get(stat.S_IFMT(st.st_mode), "?"), st.st_size)))
    for rel, what in sorted(lines):
        print("%s %r" % (what, rel))


main()
