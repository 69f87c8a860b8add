#!/usr/bin/env python3
"""passfilter.py: a record stream filter stage that changes nothing.

    producer | passfilter.py | consumer

Written from docs/record-stream.md alone (sections 2 to 6 and the rules for
filters in section 9), without looking at src/common/stream.c, to show that
the text is enough to write a stage.  Every record is parsed, checked and
written again by this file's own reader and writer; nothing is copied
wholesale.  What it does, rule by rule:

  * its own stream header: major 1, minor 0, no compat or incompat bits,
    whatever the input's minor and compat bits were (9.3.1);
  * FS_INFO rebuilt from its fields, the bytes after the first 64 kept,
    every content bit kept (9.3.2);
  * SUPERBLOCK, CHUNK, TREE_BLOCK, DATA written as they came, with the
    8-byte flags of TREE_BLOCK and DATA copied (9.3.3);
  * unknown OPTIONAL records forwarded in place (9.3.4);
  * END with its own counts and the input's damaged count (9.3.6);
  * an ERROR record forwarded silently, exit 1 (9.3.7); a failure of its
    own reported on stderr and downstream as ERROR, exit 1 (9.1.6).

Python 3 standard library only (plus tests/lib/crc32c.py).
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crc32c import crc32c  # noqa: E402

PROG = "passfilter.py"
INPUT = "standard input"

MAGIC = b"BIMGSTRM"
MAJOR, MINOR = 1, 0
KNOWN_INCOMPAT = 0
MAX_PAYLOAD = 16 * 1024 * 1024
DATA_MAX = 1024 * 1024

FS_INFO, SUPERBLOCK, CHUNK, TREE_BLOCK, DATA, ERROR, END = 1, 2, 3, 4, 5, 14, 15
NAMES = {FS_INFO: "FS_INFO", SUPERBLOCK: "SUPERBLOCK", CHUNK: "CHUNK", TREE_BLOCK: "TREE_BLOCK",
         DATA: "DATA", ERROR: "ERROR", END: "END"}
OPTIONAL = 0x1
CONTINUES = 0x1
FS_INFO_MIN, FS_INFO_MAX = 64, 4096
END_SIZE = 40
ERROR_TEXT_MAX = 4000


class Failed(Exception):
    """A failure of this stage: one line on stderr, ERROR downstream, exit 1."""


class UpstreamError(Exception):
    """An ERROR record from upstream: already reported there."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text


class Writer:
    """Section 2 header, then records numbered from 0 with their crc (section 3)."""

    def __init__(self, out):
        self.out = out
        self.seq = 0
        self.tree_blocks = 0
        self.data_bytes = 0
        self.closed = False
        head = MAGIC + struct.pack("<HHII8x", MAJOR, MINOR, 0, 0)
        self._put(head + struct.pack("<I", crc32c(head)))

    def _put(self, data):
        try:
            self.out.write(data)
        except BrokenPipeError:
            self.closed = True
            raise Failed("writing stream: downstream closed the pipe")

    def record(self, rtype, payload, flags=0):
        head = struct.pack("<HHIQII", rtype, flags, len(payload), self.seq, 0, 0)
        crc = crc32c(head, payload)
        self._put(head[:16] + struct.pack("<I", crc) + head[20:])
        self._put(payload)
        self.seq += 1
        if rtype == TREE_BLOCK:
            self.tree_blocks += 1
        elif rtype == DATA:
            self.data_bytes += len(payload) - 16

    def end(self, damaged):
        self.record(END, struct.pack("<QQQQQ", self.seq, self.tree_blocks, self.data_bytes, damaged, 0))

    def error(self, text):
        """Best effort: the pipe may be what failed."""
        if self.closed:
            return
        data = text.encode("utf-8", "replace")[:ERROR_TEXT_MAX]
        try:
            self.record(ERROR, data)
            self.out.flush()
        except (Failed, OSError):
            pass


class Reader:
    """Section 6's checks, in its order; yields (seq, type, flags, payload) up to END."""

    def __init__(self, inp):
        self.inp = inp
        self.next_seq = 0
        self.tree_blocks = 0
        self.data_bytes = 0
        self.damaged = None
        head = self._read(32)
        if not head:
            raise Failed(f"reading stream from {INPUT}: empty input (no stream header)")
        if len(head) < 32:
            raise Failed(f"reading stream from {INPUT}: truncated stream header")
        if head[:8] != MAGIC:
            raise Failed(f"reading stream from {INPUT}: bad magic (not a bimg record stream)")
        if struct.unpack_from("<I", head, 28)[0] != crc32c(head[:28]):
            raise Failed(f"reading stream from {INPUT}: stream header crc32c mismatch")
        major, minor, _compat, incompat = struct.unpack_from("<HHII", head, 8)
        if major != MAJOR:
            raise Failed(f"reading stream from {INPUT}: unsupported stream version {major}.{minor} "
                         f"(this program reads {MAJOR}.x)")
        if incompat & ~KNOWN_INCOMPAT:
            raise Failed(f"reading stream from {INPUT}: unknown incompatible feature flags "
                         f"0x{incompat & ~KNOWN_INCOMPAT:x}")

    def _read(self, n):
        parts, got = [], 0
        while got < n:
            chunk = self.inp.read(n - got)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def _fail(self, what):
        raise Failed(f"reading stream from {INPUT}: {what}")

    def records(self):
        while True:
            n = self.next_seq
            head = self._read(24)
            if not head:
                self._fail(f"truncated: expected record {n}, got end of input")
            if len(head) < 24:
                self._fail(f"truncated in the header of record {n}")
            rtype, flags, length, seq, crc, _reserved = struct.unpack("<HHIQII", head)
            if seq != n:
                self._fail(f"record {n} out of sequence (header says {seq})")
            if length > MAX_PAYLOAD:
                self._fail(f"record {n}: payload length {length} exceeds the maximum {MAX_PAYLOAD}")
            payload = self._read(length)
            if len(payload) < length:
                self._fail(f"truncated in the payload of record {n} ({NAMES.get(rtype, 'UNKNOWN')})")
            computed = crc32c(head[:16] + b"\0\0\0\0" + head[20:], payload)
            if computed != crc:
                self._fail(f"record {n}: crc32c mismatch (stored 0x{crc:08x}, computed 0x{computed:08x})")
            self.next_seq += 1
            if rtype == ERROR:
                raise UpstreamError(payload.decode("utf-8", "replace"))
            if rtype == END:
                self._check_end(n, payload)
                return
            if rtype == TREE_BLOCK:
                self.tree_blocks += 1
            elif rtype == DATA and length > 16:
                self.data_bytes += length - 16
            elif rtype not in NAMES and not flags & OPTIONAL:
                self._fail(f"record {n}: unknown record type {rtype}")
            yield n, rtype, flags, payload

    def _check_end(self, n, payload):
        if len(payload) != END_SIZE:
            self._fail(f"record {n}: END record of {len(payload)} bytes")
        records, tree_blocks, data_bytes, damaged, _reserved = struct.unpack("<QQQQQ", payload)
        for what, said, had in (("records", records, n), ("tree blocks", tree_blocks, self.tree_blocks),
                                ("data bytes", data_bytes, self.data_bytes)):
            if said != had:
                self._fail(f"record {n}: END counts {said} {what}, stream had {had}")
        if self._read(1):
            self._fail(f"junk after the END record (record {n})")
        self.damaged = damaged


def power_of_two_in(v, lo, hi):
    return lo <= v <= hi and v & (v - 1) == 0


def fs_info_copy(n, p):
    """Section 4.1: check the fields, rebuild the first 64 bytes, keep the rest."""
    if not FS_INFO_MIN <= len(p) <= FS_INFO_MAX:
        raise Failed(f"record {n}: FS_INFO of {len(p)} bytes (expected {FS_INFO_MIN}..{FS_INFO_MAX})")
    fsid, header_fsid = p[0:16], p[16:32]
    nodesize, sectorsize, csum_type, content, num_devices, generation = struct.unpack_from("<IIH2xIQQ", p, 32)
    if not power_of_two_in(nodesize, 4096, 65536):
        raise Failed(f"record {n}: FS_INFO has invalid nodesize {nodesize}")
    if not power_of_two_in(sectorsize, 4096, 65536):
        raise Failed(f"record {n}: FS_INFO has invalid sectorsize {sectorsize}")
    if csum_type > 3:
        raise Failed(f"record {n}: FS_INFO has unknown checksum type {csum_type}")
    fields = fsid + header_fsid + struct.pack("<IIH2xIQQ", nodesize, sectorsize, csum_type, content,
                                               num_devices, generation)
    return nodesize, fields + p[FS_INFO_MIN:]


class Extent:
    """Where the DATA records of the current extent have reached (4.5)."""

    def __init__(self):
        self.next = None

    def check(self, n, logical, flags, length):
        if flags & CONTINUES and self.next != logical:
            raise Failed(f"record {n}: DATA continuation at {logical} does not follow the extent before it")
        self.next = logical + length

    def stop(self):
        self.next = None


def block_copy(n, rtype, p, nodesize, extent):
    """TREE_BLOCK (4.4) and DATA (4.5): prefix (logical, flags) and bytes, flags copied."""
    if len(p) < 16:
        raise Failed(f"record {n}: {NAMES[rtype]} of {len(p)} bytes")
    logical, flags = struct.unpack_from("<QQ", p, 0)
    body = p[16:]
    if rtype == TREE_BLOCK:
        if len(body) != nodesize:
            raise Failed(f"record {n}: TREE_BLOCK of {len(p)} bytes (nodesize is {nodesize})")
        extent.stop()
    else:
        if not 1 <= len(body) <= DATA_MAX:
            raise Failed(f"record {n}: DATA record of {len(body)} data bytes (1..{DATA_MAX})")
        if logical + len(body) >= 1 << 64:
            raise Failed(f"record {n}: DATA range wraps around")
        extent.check(n, logical, flags, len(body))
    return struct.pack("<QQ", logical, flags) + body


def filter_stream(reader, writer):
    nodesize = None
    extent = Extent()
    for n, rtype, flags, p in reader.records():
        if n == 0 and rtype != FS_INFO:
            raise Failed(f"record 0: {NAMES.get(rtype, 'UNKNOWN')} where FS_INFO must come first")
        if n == 1 and rtype != SUPERBLOCK:
            raise Failed(f"record 1: {NAMES.get(rtype, 'UNKNOWN')} where SUPERBLOCK must come second")
        if rtype == FS_INFO:
            if n != 0:
                raise Failed(f"record {n}: a second FS_INFO")
            nodesize, payload = fs_info_copy(n, p)
            writer.record(FS_INFO, payload)
        elif rtype == SUPERBLOCK:
            if n != 1:
                raise Failed(f"record {n}: a second SUPERBLOCK")
            if len(p) != 4096:
                raise Failed(f"record {n}: SUPERBLOCK of {len(p)} bytes")
            writer.record(SUPERBLOCK, p)
        elif rtype in (TREE_BLOCK, DATA):
            writer.record(rtype, block_copy(n, rtype, p, nodesize, extent))
        elif rtype == CHUNK:
            extent.stop()
            writer.record(CHUNK, p)
        else:
            # Unknown and OPTIONAL (the reader refused the others): forwarded as it came.
            writer.record(rtype, p, flags)
    writer.end(reader.damaged)


def main():
    out = sys.stdout.buffer
    if os.isatty(1):
        sys.stderr.write(f"{PROG}: refusing to write the binary record stream to a terminal "
                         "(redirect or pipe it)\n")
        return 1
    if os.isatty(0):
        sys.stderr.write(f"{PROG}: refusing to read a binary record stream from a terminal "
                         "(redirect or pipe it)\n")
        return 1
    # The header goes out first, so that any failure below reaches downstream as ERROR.
    try:
        writer = Writer(out)
    except Failed as e:
        sys.stderr.write(f"{PROG}: {e}\n")
        return 1
    try:
        filter_stream(Reader(sys.stdin.buffer), writer)
        out.flush()
    except UpstreamError as e:
        writer.error(e.text)
        return 1
    except Failed as e:
        sys.stderr.write(f"{PROG}: {e}\n")
        writer.error(str(e))
        return 1
    except BrokenPipeError:
        sys.stderr.write(f"{PROG}: writing stream: downstream closed the pipe\n")
        return 1
    return 0


if __name__ == "__main__":
    status = main()
    try:
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        if status == 0:
            sys.stderr.write(f"{PROG}: writing stream: downstream closed the pipe\n")
        status = 1
    sys.stderr.flush()
    # Everything is flushed: leave without Python closing a broken stdout once more.
    os._exit(status)
