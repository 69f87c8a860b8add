#!/usr/bin/env python3
"""cmp-sparse.py A B: like `cmp -s`, but reads only the ranges that hold data
in A or B (SEEK_DATA/SEEK_HOLE), so that two 256 MiB restored targets that
are mostly holes compare in milliseconds.  A hole reads as zeros, so the
answer is the same as cmp's.  Exit 0 if identical; else 1 and one line
naming the first differing byte (1-based, like cmp)."""

import os
import sys


def data_ranges(fd, size):
    ranges, pos = [], 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError:  # ENXIO: no data after pos
            break
        end = os.lseek(fd, start, os.SEEK_HOLE)
        ranges.append((start, end))
        pos = end
    return ranges


def merged(ranges):
    out = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def main(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        size_a, size_b = os.fstat(fa.fileno()).st_size, os.fstat(fb.fileno()).st_size
        size = min(size_a, size_b)
        ranges = merged(data_ranges(fa.fileno(), size) + data_ranges(fb.fileno(), size))
        for start, end in ranges:
            end = min(end, size)
            pos = start
            while pos < end:
                n = min(end - pos, 1 << 20)
                x, y = os.pread(fa.fileno(), n, pos), os.pread(fb.fileno(), n, pos)
                if x != y:
                    i = next(i for i in range(n) if x[i] != y[i])
                    print("%s %s differ: byte %d" % (a, b, pos + i + 1))
                    return 1
                pos += n
        if size_a != size_b:
            print("%s %s differ: sizes %d and %d" % (a, b, size_a, size_b))
            return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.stderr.write("usage: cmp-sparse.py A B\n")
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
