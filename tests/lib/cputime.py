#!/usr/bin/env python3
"""cputime.py OUT CMD [ARGS...]: run CMD (standard input and output inherited)
and write the CPU time it used, user + system in seconds, to the file OUT.

The kernel accounts a process's CPU time to the nanosecond; /usr/bin/time
prints it to the hundredth of a second, too coarse for the growth ratios of
tests/740-bounded-work.bats.  Exits with CMD's status (128 + N for signal N).
"""
import resource
import subprocess
import sys


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: cputime.py OUT CMD [ARGS...]\n")
        return 2
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    status = subprocess.call(argv[2:])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(argv[1], "w") as out:
        out.write("%.6f\n" % used)
    return status if status >= 0 else 128 - status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
