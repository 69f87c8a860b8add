#!/usr/bin/env bats
# bimg-sanitize -ss: copies of a short name's hash outside the items and node pointers that
# move with it (src/bimg-sanitize/hashcopies.h).  A half-deleted subvolume's drop_progress key
# (a real one, from the half-dropped case, and crafted ones), and the DIR_LOG_ITEM ranges of
# older kernels' log trees (crafted: kernels of today write none).

load lib/common

SHORT="$ROOT/tests/lib/mkstream-short.py"

setup_file() {
	make -C "$ROOT" -s bin/bimg-scan bin/bimg-sanitize bin/bimg-pack bin/bimg-unpack >/dev/null
}

setup() {
	T=$BATS_TEST_TMPDIR
}

teardown() {
	loop_cleanup
}

# blocks STREAM: "logical owner level" and the keys of each tree block, for the checks below.
PY_BLOCKS='
import struct, sys
sys.path.insert(0, sys.argv[1])
import streamedit as se
def blocks(path):
    out = {}
    for t, _, p in se.read_records(path)[1]:
        if t == se.TREE_BLOCK:
            logical, flags = struct.unpack_from("<QQ", p, 0)
            out[logical] = (flags, bytes(p[16:]))
    return out
def keys(b):
    n, level = struct.unpack_from("<IB", b, 96)
    size = 33 if level else 25
    return [struct.unpack_from("<QBQ", b, 101 + size * i) for i in range(n)]
def item(b, slot):
    off, size = struct.unpack_from("<II", b, 101 + 25 * slot + 17)
    return b[101 + off:101 + off + size]
def name(b, slot):
    it = item(b, slot)
    n = struct.unpack_from("<H", it, 27)[0]
    return it[30:30 + n]
'

@test "crafted: a drop_progress key that is a moved node pointer's key takes its new key; one no pointer has is hidden; an xattr key stays" {
	python3 "$SHORT" drop >"$T/in.strm"
	run --separate-stderr bash -c "bimg-sanitize -ss -v --seed 1 <'$T/in.strm' >'$T/out.strm'"
	assert_success
	python3 -c "$PY_BLOCKS"'
from crc32c import crc32c_raw
old, new = blocks(sys.argv[2]), blocks(sys.argv[3])
root, node = 20 << 20, 8 << 20
def drops(b):
    return [struct.unpack_from("<QBQ", item(b, s), 220) for s in range(3)]
before, after = drops(old[root][1]), drops(new[root][1])
pointer = keys(new[node][1])[1]
assert keys(old[node][1])[1] == before[0]
assert pointer != before[0], "the pointer was to move"
assert after[0] == pointer, (after[0], pointer)
assert after[1] == before[1][:2] + ((1 << 64) - 1,), after[1]
assert after[2] == before[2], after[2]
' "$ROOT/tests/lib" "$T/in.strm" "$T/out.strm"
	assert_stderr --partial "bimg-sanitize: 1 drop_progress keys of subvolumes being deleted moved with the short names"
	assert_stderr --partial "bimg-sanitize: warning: 1 drop_progress keys of subvolumes being deleted could not follow the short names"
	# -s moves no key: the drop_progress keys stay (their hashes are every DIR_ITEM key's under -s)
	bimg-sanitize -s --seed 1 <"$T/in.strm" >"$T/s.strm"
	python3 -c "$PY_BLOCKS"'
old, new = blocks(sys.argv[2]), blocks(sys.argv[3])
for s in range(3):
    assert item(old[20 << 20][1], s)[220:237] == item(new[20 << 20][1], s)[220:237]
' "$ROOT/tests/lib" "$T/in.strm" "$T/s.strm"
}

@test "crafted: the DIR_LOG_ITEM ranges of an old kernel's log tree follow the short names they bound" {
	python3 "$SHORT" dirlog >"$T/in.strm"
	run --separate-stderr bash -c "bimg-sanitize -ss -v --seed 1 <'$T/in.strm' >'$T/out.strm'"
	assert_success
	python3 -c "$PY_BLOCKS"'
from crc32c import crc32c_raw
h = lambda n: crc32c_raw(0xFFFFFFFE, n)
old, new = blocks(sys.argv[2]), blocks(sys.argv[3])
A, log = 1 << 20, 16 << 20
assert not new[log][0] & 1, "the log leaf passes"
# the first leaf holds the three names the ranges are made of, in hash order
was = [name(old[A][1], s) for s in range(3)]
now = [name(new[A][1], s) for s in range(3)]
assert all(a != b for a, b in zip(was, now))
def ranges(b):
    return [(k[2], struct.unpack_from("<Q", item(b, s))[0]) for s, k in enumerate(keys(b)) if k[1] == 60]
assert ranges(old[log][1]) == [(h(was[0]), h(was[1])), (h(was[1]) + 1, h(was[2]) - 1), (h(was[2]), (1 << 64) - 1)]
assert ranges(new[log][1]) == [(h(now[0]), h(now[1])), (h(now[1]) + 1, h(now[2]) - 1), (h(now[2]), (1 << 64) - 1)], ranges(new[log][1])
# the pointer key of the log node is still the first key of its leaf
assert keys(new[17 << 20][1]) == [keys(new[log][1])[0]], keys(new[17 << 20][1])
# and the log leaf keeps none of the old hashes, nor one next to them
body = new[log][1]
for n in was:
    for v in (h(n) - 1, h(n), h(n) + 1):
        assert struct.pack("<Q", v) not in body, (n, v)
' "$ROOT/tests/lib" "$T/in.strm" "$T/out.strm"
	assert_stderr --partial "bimg-sanitize: 6 directory log range bounds moved with the short names"
}

# dirlog_wiped VARIANT [ARGS...]: mkstream-short.py's VARIANT through -ss (seed 1), into
# $T/out.strm: its log leaf (at 16 MiB) is wiped whole and flagged damaged, with the warning
# that its ranges cannot follow the short names.
dirlog_wiped() {
	python3 "$SHORT" "$@" >"$T/in.strm"
	run --separate-stderr bash -c "bimg-sanitize -ss -v --seed 1 <'$T/in.strm' >'$T/out.strm'"
	assert_success
	python3 -c "$PY_BLOCKS"'
flags, body = blocks(sys.argv[2])[16 << 20]
assert flags & 1, "flagged damaged"
assert not any(body[101:])
' "$ROOT/tests/lib" "$T/out.strm"
	assert_stderr --partial "bimg-sanitize: warning: tree block 16777216: a directory log range whose bounds cannot follow the short names (two names with its hash, or ranges out of order): zeroed after its header"
}

@test "crafted: a DIR_LOG_ITEM bound that two short names share (they move apart) cannot follow: the log leaf is wiped" {
	dirlog_wiped dirlog-ambiguous
	python3 -c "$PY_BLOCKS"'
from crc32c import crc32c_raw
flags, body = blocks(sys.argv[2])[16 << 20]
assert struct.pack("<I", crc32c_raw(0xFFFFFFFE, b"abc")) not in body
' "$ROOT/tests/lib" "$T/out.strm"
	# the summary counts it for that reason, not as a block that could not be read
	assert_stderr --partial "bimg-sanitize: warning: 1 tree blocks could not be trusted or read in full: zeroed after their headers and flagged DAMAGED (0 flagged damaged upstream, 0 with a checksum mismatch, 0 that could not be read in full, 1 whose directory log ranges could not follow the short names)"
}

@test "crafted: DIR_LOG_ITEM bounds that a moved short name would put out of order (a stale bound between its old and new hash): the log leaf is wiped" {
	local was now stale
	# where the first short name's hash goes (a log leaf of ranges does not change where)
	python3 "$SHORT" dirlog-ranges x:x >"$T/probe.strm"
	bimg-sanitize -ss --seed 1 <"$T/probe.strm" >"$T/probe.out"
	read -r was now stale < <(python3 -c "$PY_BLOCKS"'
from crc32c import crc32c_raw
h = lambda n: crc32c_raw(0xFFFFFFFE, n)
old, new = blocks(sys.argv[2]), blocks(sys.argv[3])
A = 1 << 20
was, now = h(name(old[A][1], 0)), h(name(new[A][1], 0))
assert was != now
# the old name hashes, and one either side, are bounds that follow their names
taken = {k[2] + d for _, b in old.values() for k in keys(b) if k[1] == 84 for d in (-1, 0, 1)}
low, high = min(was, now), max(was, now)
stale = [v for v in range(low + 2, high - 1, max(1, (high - low) // 64)) if v not in taken]
assert stale, (was, now)
print(was, now, stale[len(stale) // 2])
' "$ROOT/tests/lib" "$T/probe.strm" "$T/probe.out")
	[[ -n $stale ]]
	if ((now > was)); then
		# two ranges: the first starts at the name, the second at the stale bound above it
		dirlog_wiped dirlog-ranges x:x "$stale:$stale"
		# one range from the name up to the stale bound: its start would pass its end
		dirlog_wiped dirlog-ranges "x:$stale"
	else
		dirlog_wiped dirlog-ranges "$stale:$stale" x:x
		dirlog_wiped dirlog-ranges "$stale:x"
	fi
}

# drop_key IMAGE: "ROOTID OBJECTID TYPE OFFSET LEVEL" of the first root item with drop_progress set.
drop_key() {
	btrfs inspect-internal dump-tree -t root "$1" | awk '
		$3 == "key" && $5 == "ROOT_ITEM" { id = substr($4, 2) }
		$1 == "drop_progress" && $3 != "(0" { print id, substr($3, 2), $4, substr($5, 1, length($5) - 1), $7; exit }'
}

@test "half-dropped, -ss: drop_progress follows its node pointer; the image checks clean, and the kernel finishes the deletion" {
	local img src new dev
	img=$(corpus_img half-dropped)
	src=$(drop_key "$img")
	echo "source: $src"
	[[ $src == *" DIR_ITEM "* ]]
	bimg-scan "$img" | bimg-sanitize -ss -v --seed 4 2>"$T/err" | bimg-pack -o "$T/san.img"
	cat "$T/err"
	btrfs-image -r "$T/san.img" "$T/r.img"
	new=$(drop_key "$T/r.img")
	echo "sanitized: $new"
	# the same root, directory and level; another hash
	read -r -a s <<<"$src"
	read -r -a n <<<"$new"
	[ "${s[0]} ${s[1]} ${s[2]} ${s[4]}" = "${n[0]} ${n[1]} ${n[2]} ${n[4]}" ]
	[ "${s[3]}" != "${n[3]}" ]
	run btrfs check --readonly "$T/r.img"
	assert_success
	# The checker finds no leak, and no drop_progress key that keeps a short name's hash or goes
	# where no node pointer is (it also counts the keys of pointers into the part already
	# dropped, moved without a child to match: those blocks are not in the stream)
	bimg-scan "$img" | bimg-pack -o "$T/plain.img"
	run python3 "$ROOT/tests/lib/sanitize-check.py" "$T/plain.img" "$T/san.img" -ss
	refute_output --partial "leak:"
	refute_output --partial drop_progress
	# The kernel resumes the deletion at that key: it must find the pointer there, not free
	# blocks a second time (a key before it) or leave blocks behind (btrfs check after).
	need_loop_mount
	dev=$(losetup --find --show "$T/r.img")
	LOOP_DEVS+=("$dev")
	mkdir -p "$T/mnt"
	mount -t btrfs "$dev" "$T/mnt"
	LOOP_MOUNTS+=("$T/mnt")
	timeout 120 btrfs subvolume sync "$T/mnt"
	umount "$T/mnt"
	LOOP_MOUNTS=()
	[ -z "$(drop_key "$T/r.img")" ]
	run btrfs check --readonly "$T/r.img"
	echo "$output"
	assert_success
	grep -q "drop_progress keys of subvolumes being deleted moved with the short names" "$T/err"
	refute grep -q "could not follow" "$T/err"
}
