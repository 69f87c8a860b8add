#!/usr/bin/env python3
"""sparsecmp.py A B: like cmp for two sparse files, reading only their data.

Restored targets are sparse files of hundreds of MiB holding a few MiB of
metadata; cmp reads every zero.  This compares the lengths, then the bytes
of every range that is data in either file (holes read as zeros).  Exit 0
if identical, 1 with the first differing offset otherwise.
"""
import os
import sys

CHUNK = 1 << 20


def data_ranges(fd, size):
    """(start, end) of each range of the first size bytes that SEEK_DATA reports as data."""
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:  # ENXIO: no data after pos
            return
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        yield start, end
        pos = end


def merged(a, b):
    out = []
    for start, end in sorted(a + b):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: sparsecmp.py A B\n")
        return 2
    fa = os.open(sys.argv[1], os.O_RDONLY)
    fb = os.open(sys.argv[2], os.O_RDONLY)
    size_a, size_b = os.fstat(fa).st_size, os.fstat(fb).st_size
    if size_a != size_b:
        print("%s: %d bytes, %s: %d bytes" % (sys.argv[1], size_a, sys.argv[2], size_b))
        return 1
    for start, end in merged(list(data_ranges(fa, size_a)), list(data_ranges(fb, size_b))):
        pos = start
        while pos < end:
            n = min(CHUNK, end - pos)
            x, y = os.pread(fa, n, pos), os.pread(fb, n, pos)
            if x != y:
                i = next(i for i in range(min(len(x), len(y))) if x[i] != y[i]) if len(x) == len(y) else 0
                print("%s %s differ: first at byte offset %d" % (sys.argv[1], sys.argv[2], pos + i))
                return 1
            pos += n
    return 0


if __name__ == "__main__":
    sys.exit(main())
