#!/usr/bin/env python3
"""multidev-corrupt.py CHUNK_DUMP LOGICAL WHICH DEV1 DEV2 ...

Damage the tree block at LOGICAL on the device images DEV1.. (devid order;
pass COPIES, never corpus originals).  CHUNK_DUMP is the output of
`btrfs inspect-internal dump-tree -t chunk` of the filesystem.  WHICH is a
comma-separated list of: copy0 (the first mirror, or for RAID5/6 the data
stripe holding the block), copy1, copy2, ... (further mirrors of DUP, RAID1,
RAID1C3 and RAID1C4), p, q (the RAID5/6 parity stripes of that block).
Prints one line per damaged place.
"""
import sys


def parse_chunks(text):
    chunks, cur = [], None
    for line in text.splitlines():
        w = line.split()
        if 'CHUNK_ITEM' in w:
            cur = {'logical': int(w[w.index('CHUNK_ITEM') + 1].rstrip(')')), 'stripes': []}
            chunks.append(cur)
        elif cur is not None and w[:1] == ['length']:
            cur.update(length=int(w[1]), stripe_len=int(w[5]), type=w[7])
        elif cur is not None and w[:1] == ['stripe'] and 'devid' in w:
            cur['stripes'].append((int(w[3]), int(w[5])))
    return chunks


def main():
    dump, logical, which, devs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(','), sys.argv[4:]
    chunks = parse_chunks(open(dump).read())
    c = next(c for c in chunks if c['logical'] <= logical < c['logical'] + c['length'])
    ns, off, sl = len(c['stripes']), logical - c['logical'], c['stripe_len']
    parity = 2 if 'RAID6' in c['type'] else 1 if 'RAID5' in c['type'] else 0
    places = []
    for w in which:
        if parity:
            nd = ns - parity
            nr = off // sl
            row = nr // nd
            index = {'copy0': (row + nr % nd) % ns, 'p': (row + nd) % ns, 'q': (row + nd + 1) % ns}[w]
            places.append((c['stripes'][index], row * sl + off % sl))
        else:
            places.append((c['stripes'][int(w[4:])], off))
    for (devid, start), at in places:
        with open(devs[devid - 1], 'r+b') as f:
            f.seek(start + at + 300)
            f.write(b'\xde\xad\xbe\xef' * 4)
        print('damaged devid %d physical %d' % (devid, start + at))


main()
