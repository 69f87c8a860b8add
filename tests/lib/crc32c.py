"""CRC-32C for the Python test helpers (the C code has its own, in src/common).

crc32c_raw(seed, data): the reflected Castagnoli register run from seed with
no inversions (btrfs name hashes use seed ~1).  crc32c(*parts): the standard
checksum of the concatenated parts.  Slicing-by-8 keeps a 16 KiB block at a
few milliseconds.
"""
import struct

POLY = 0x82F63B78


def _tables():
    t0 = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ POLY if c & 1 else c >> 1
        t0.append(c)
    tables = [t0]
    for _ in range(7):
        prev = tables[-1]
        tables.append([(prev[n] >> 8) ^ t0[prev[n] & 0xFF] for n in range(256)])
    return tables


_T = _tables()


def crc32c_raw(seed, data):
    t0, t1, t2, t3, t4, t5, t6, t7 = _T
    crc = seed
    mv = memoryview(data)
    n8 = len(mv) // 8
    for (w,) in struct.iter_unpack("<Q", mv[: n8 * 8]):
        x = w ^ crc
        crc = (t7[x & 0xFF] ^ t6[(x >> 8) & 0xFF] ^ t5[(x >> 16) & 0xFF] ^ t4[(x >> 24) & 0xFF]
               ^ t3[(x >> 32) & 0xFF] ^ t2[(x >> 40) & 0xFF] ^ t1[(x >> 48) & 0xFF] ^ t0[x >> 56])
    for b in mv[n8 * 8:]:
        crc = (crc >> 8) ^ t0[(crc ^ b) & 0xFF]
    return crc


def crc32c(*parts):
    crc = 0xFFFFFFFF
    for p in parts:
        crc = crc32c_raw(crc, p)
    return crc ^ 0xFFFFFFFF
