#!/usr/bin/env python3
"""dir-counts.py MOUNTPOINT: one line per directory reachable under a mounted btrfs.

    subvol=ID ino=N entries=E

ID is the subvolume the directory belongs to (asked from the kernel), N its inode
number and E the names readdir gives for it ("." and ".." aside).  Sanitizing changes
names but neither subvolume ids nor inode numbers, so the listing of a sanitized
image's restore must equal the source's line for line: a directory that lost an entry
(a name turned into "." or "..", a name that lookups cannot find) or became unreachable
shows up as a changed or missing line.  Also printed, as lines that never appear in a
sound source:

    unreachable subvol=ID ino=N: K names cannot be looked up
    duplicate subvol=ID ino=N: K names appear twice

Lines are sorted.  Names are never printed (they may hold any byte but NUL and '/').
"""
import fcntl
import os
import stat
import struct
import sys

# BTRFS_IOC_INO_LOOKUP, _IOWR(0x94, 18, struct btrfs_ioctl_ino_lookup_args): 4096 bytes,
# treeid and objectid (u64 each) then a 4080-byte name.  Objectid 256 with treeid 0 asks
# for the id of the subvolume the file descriptor lies in.
INO_LOOKUP = (3 << 30) | (4096 << 16) | (0x94 << 8) | 18


def subvolume_id(fd):
    args = bytearray(struct.pack("<QQ", 0, 256) + bytes(4080))
    fcntl.ioctl(fd, INO_LOOKUP, args)
    return struct.unpack_from("<Q", args, 0)[0]


def walk(top):
    lines, pending = [], [top.encode()]
    while pending:
        path = pending.pop()
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            sub = subvolume_id(fd)
            ino = os.fstat(fd).st_ino
            names = os.listdir(path)
        finally:
            os.close(fd)
        lost = 0
        for name in names:
            child = os.path.join(path, name)
            try:
                st = os.lstat(child)
            except OSError:
                lost += 1
                continue
            if stat.S_ISDIR(st.st_mode):
                pending.append(child)
        where = "subvol=%d ino=%d" % (sub, ino)
        lines.append("%s entries=%d" % (where, len(names)))
        if lost:
            lines.append("unreachable %s: %d names cannot be looked up" % (where, lost))
        if len(set(names)) != len(names):
            lines.append("duplicate %s: %d names appear twice" % (where, len(names) - len(set(names))))
    return sorted(lines)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.stdout.write("".join(line + "\n" for line in walk(sys.argv[1])))
