#!/usr/bin/env bats
# Sanitizing fails closed against blocks whose checksum is right but whose bytes are not what
# they claim (docs/robustness.md, "Sanitizing fails closed"): a name item whose key type byte
# was damaged before the block was checksummed, xattr names in namespaces the sanitizer does
# not replace, a header that is not the block's own, bytes in the checksum field past the
# digest, text in the bytes item layouts leave reserved or unused.  Each case starts from a real filesystem's stream (the corpus's default case),
# damaged with tests/lib/streamedit.py, and checks that no source name of 5 bytes or more is
# left in the sanitized stream or its image, with -s and -ss.

load lib/common

CHECK="$ROOT/tests/lib/sanitize-check.py"
EDIT="$ROOT/tests/lib/streamedit.py"

setup_file() {
	make -C "$ROOT" -s bin/bimg-scan bin/bimg-sanitize bin/bimg-pack bin/bimg-unpack >/dev/null
}

setup() {
	T=$BATS_TEST_TMPDIR
	bimg-scan "$(corpus_img default)" >"$T/clean.strm"
}

# damage EDIT...: $T/in.strm is the default case's stream with the edits, $T/plain.img its image.
damage() {
	python3 "$EDIT" edit "$T/clean.strm" "$T/in.strm" "$@"
	bimg-pack -o "$T/plain.img" <"$T/in.strm"
}

# sanitize MODE: $T/in.strm through bimg-sanitize MODE into $T/san.strm and $T/san.img; stderr
# in $stderr.
sanitize() {
	run --separate-stderr bash -c "bimg-sanitize $1 --seed 1 <'$T/in.strm' >'$T/san.strm'"
	assert_success
	bimg-pack -o "$T/san.img" <"$T/san.strm"
}

# no_names: no name of 5 bytes or more of $T/plain.img is in the sanitized stream or image.
no_names() {
	run python3 "$CHECK" --names-absent "$T/plain.img" "$T/san.strm" "$T/san.img"
	assert_success
}

# absent TEXT: TEXT occurs neither in the sanitized stream nor in any inflated item of its image.
absent() {
	! grep -qaF -- "$1" "$T/san.strm" || return 1
	bimg-unpack "$T/san.img" >"$T/san-back.strm"
	! grep -qaF -- "$1" "$T/san-back.strm"
}

# leak_free MARKER [quiet]: with -s and with -ss, no MARKER and no name of the source in the
# output; with quiet, no warning that anything was zeroed either.
leak_free() {
	local mode
	for mode in -s -ss; do
		sanitize $mode
		[[ ${2:-} != quiet ]] || refute_stderr --partial zeroed || { echo "mode $mode"; return 1; }
		absent "$1" || { echo "mode $mode"; return 1; }
		no_names || { echo "mode $mode"; return 1; }
	done
}

# retyped TYPE WHY: a dir index item with a name of 5 bytes or more gets key type TYPE (its
# checksum recomputed); WHY is the reason the sanitizer gives, or "" if the item passes.
retyped() {
	local logical slot name mode
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 96 5)
	damage "retype:$logical:$slot:$1"
	for mode in -s -ss; do
		sanitize $mode
		if [[ -n $2 ]]; then
			assert_stderr --partial "bimg-sanitize: warning: tree block $logical: $2: zeroed after its header" ||
				{ echo "mode $mode"; return 1; }
		else
			refute_stderr --partial zeroed || { echo "mode $mode"; return 1; }
		fi
		no_names || { echo "mode $mode"; return 1; }
		absent "$name" || { echo "mode $mode: $name"; return 1; }
	done
}

@test "a dir index item retyped as an unknown type (97): the leaf is wiped" {
	retyped 97 "item of a type the sanitizer does not know"
}

@test "a dir index item retyped as a dir log item (60, 8 bytes): the leaf is wiped" {
	retyped 60 "item of the wrong size for its type"
}

@test "a dir index item retyped as an orphan item (48, no data): the leaf is wiped" {
	retyped 48 "item of the wrong size for its type"
}

@test "a dir index item retyped as the test-only string item (253): the leaf is wiped" {
	retyped 253 "item of a type the sanitizer does not know"
}

@test "a dir index item retyped as an extent item (168): its inline references do not parse, the leaf is wiped" {
	retyped 168 "extent item with an inline reference of unknown type"
}

@test "a dir index item retyped as a checksum item (128) outside the checksum objectid: the leaf is wiped" {
	retyped 128 "checksum item under another objectid"
}

@test "a dir index item retyped as a verity Merkle item (37): its bytes are zeroed, the leaf passes" {
	retyped 37 ""
}

@test "a dir index item retyped as an xattr item (24): a name in no namespace is replaced whole" {
	retyped 24 ""
}

# An xattr name of 15 bytes renamed in place (the hash in its key no longer matches, which
# the sanitizer does not look at).
xattr_renamed() {
	local logical slot name
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 24 15)
	[ ${#name} -eq 15 ]
	damage "rename:$logical:$slot:$1"
	leak_free "${1#*.}"
}

@test "an xattr name in the security namespace that no security module defines is replaced after the namespace" {
	xattr_renamed security.LEAKME
	grep -qaF security. "$T/san.strm"
}

@test "an xattr name in no namespace (a damaged one) is replaced whole" {
	xattr_renamed xyzzyplugh.LEAK
}

# overwritten_header OFFSET [damaged]: a leaf with text written at OFFSET, its checksum kept
# (flagged DAMAGED in the stream if asked).
overwritten_header() {
	local logical slot name
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 96 5)
	damage "text:$logical:$1:LEAKMEheaderLEAKME" ${2:+"$2:$logical"}
	leak_free LEAKME
}

@test "a block whose fsid is text (flagged damaged): zeroed whole, header too" {
	overwritten_header 32 damaged
	assert_stderr --partial "flagged damaged in the stream, and its header is not this block's (address or fsid): zeroed whole"
}

@test "a block whose checksum field and fsid are text (checksum mismatch): zeroed whole" {
	overwritten_header 20
	assert_stderr --partial "checksum mismatch, and its header is not this block's (address or fsid): zeroed whole"
}

@test "a damaged block whose own header is right keeps it, but not the text in its chunk tree uuid" {
	overwritten_header 64 damaged
	refute_stderr --partial "zeroed whole"
}

@test "a sound leaf with text in its checksum field past the crc32c digest: the text is zeroed" {
	local logical slot name
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 96 5)
	damage "text:$logical:4:LEAKMEcsum"
	leak_free LEAKME quiet
}

# ---- DATA records: what is not a free space cache page that verifies does not pass ----

# from_image SCAN-ARGS...: a leaf holding names gets a wrong header bytenr (checksum fixed, every
# copy); bimg-scan --rescue=copy SCAN-ARGS copies it, bimg-pack stores it, and bimg-unpack gives
# its image item back as DATA (its first header does not name its address).  $T/in.strm is that
# stream, $T/plain.img the image of the sound filesystem.
from_image() {
	local logical slot name
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 96 5)
	python3 "$ROOT/tests/lib/corrupt.py" header-bytenr "$(corpus_img default)" "$T/bad.img" "$logical"
	bimg-scan --rescue=copy "$@" "$T/bad.img" 2>/dev/null | bimg-pack -o "$T/rescue.img" || true
	bimg-unpack "$T/rescue.img" >"$T/in.strm"
	bimg-unpack --list "$T/in.strm" | grep -q "^DATA  *$logical "
	bimg-pack -o "$T/plain.img" <"$T/clean.strm"
}

@test "a tree block item that comes back from an image as DATA: without -d, not a free space cache, zeroed" {
	local mode
	from_image
	for mode in -s -ss; do
		sanitize $mode
		assert_stderr --partial "bytes that are not free space cache pages whose checksums verify: zeroed" ||
			{ echo "mode $mode"; return 1; }
		no_names || { echo "mode $mode"; return 1; }
	done
}

# names_found FILE: how many names of 5 bytes or more of $T/plain.img FILE holds.
names_found() {
	python3 "$CHECK" --names-absent "$T/plain.img" "$1" | sed -n 's/.*: \([0-9]*\) of .*/\1/p'
}

@test "the same in a data dump's image (-d): the tree blocks in the file data are zeroed" {
	local mode sound
	from_image -d
	# A data dump keeps file contents and symlink targets, where names may be: no more than those.
	bimg-scan -d "$(corpus_img default)" | bimg-sanitize -s --seed 1 >"$T/sound.strm"
	sound=$(names_found "$T/sound.strm")
	for mode in -s -ss; do
		sanitize $mode
		assert_stderr --partial "bytes of tree blocks of this filesystem in the file data: zeroed" ||
			{ echo "mode $mode"; return 1; }
		[ "$(names_found "$T/san.strm")" -eq "$sound" ] || { echo "mode $mode"; return 1; }
	done
}

@test "the v1 free space cache passes byte for byte; a page of it with text is zeroed, the others pass" {
	local img extent
	img=$(corpus_img space-cache-v1)
	bimg-scan "$img" >"$T/clean.strm"
	extent=$(python3 "$EDIT" data "$T/clean.strm" | head -1)
	[[ -n $extent ]]
	python3 "$EDIT" edit "$T/clean.strm" "$T/in.strm" "datatext:${extent% *}:5000:LEAKMEcache"
	cp "$T/clean.strm" "$T/sound.strm"
	for mode in -s -ss; do
		run --separate-stderr bash -c "bimg-sanitize $mode <'$T/sound.strm' >'$T/san-sound.strm'"
		assert_success
		refute_stderr --partial "data extent"
		sanitize $mode
		assert_stderr --partial "data extent at ${extent% *}: 4096 bytes that are not free space cache pages"
		python3 - "$T/sound.strm" "$T/san-sound.strm" "$T/san.strm" "${extent% *}" <<'PY'
import struct, sys
def data(path):
    d, pos, out = open(path, "rb").read(), 32, []
    while pos + 24 <= len(d):
        typ, _, n = struct.unpack_from("<HHI", d, pos)
        if typ == 5:
            out.append(bytearray(d[pos + 24 + 16:pos + 24 + n]))
        pos += 24 + n
    return out
sound, san_sound, san = data(sys.argv[1]), data(sys.argv[2]), data(sys.argv[3])
assert sound == san_sound, "a sound cache changed"
# the damaged extent's page 1 (bytes 4096..8191) is zero, everything else as it was
sound[0][4096:8192] = bytes(4096)
assert san == sound, "more or less than the damaged page changed"
PY
	done
}

# ---- what a later stream version adds ----

@test "a later minor version's stream: OPTIONAL records and FS_INFO fields it cannot read are left out" {
	python3 "$ROOT/tests/lib/mkstream.py" future >"$T/future.strm"
	stream_lines "$T/future.strm" >"$T/in.lines"
	# the input has them: FS_INFO of 115 bytes, OPTIONAL types 200..202
	[[ $(sed -n 2p "$T/in.lines" | cut -d' ' -f1-3) == "1 0 115" ]]
	grep -q '^20[012] 1 ' "$T/in.lines"
	for mode in -s -ss; do
		run --separate-stderr bash -c "bimg-sanitize $mode <'$T/future.strm' >'$T/out.strm'"
		assert_success
		assert_stderr --partial "warning: 3 records and FS_INFO fields of a later stream version left out"
		stream_lines "$T/out.strm" >"$T/out.lines"
		[[ $(sed -n 2p "$T/out.lines" | cut -d' ' -f1-3) == "1 0 64" ]]
		! grep -q '^20[012] ' "$T/out.lines" || return 1
		bimg-unpack --list "$T/out.strm" >/dev/null
	done
}

# ---- -ss: node pointer keys to blocks the stream lacks ----

@test "-ss: the node pointer key to a leaf the stream lacks (--rescue=skip) does not keep its first short name's hash" {
	local leaf out
	python3 "$ROOT/tests/lib/mkstream-short.py" valid >"$T/valid.strm"
	# the second leaf, whose first item is a short name, is left out
	leaf=$(python3 "$EDIT" blocks "$T/valid.strm" | awk '$3 == 0' | sed -n 2p | cut -d' ' -f1)
	python3 "$EDIT" edit "$T/valid.strm" "$T/in.strm" "drop:$leaf"
	run --separate-stderr bash -c "bimg-sanitize -ss --seed 1 <'$T/in.strm' >'$T/san.strm'"
	assert_success
	out=$(python3 - "$T/in.strm" "$T/san.strm" <<'PY'
import struct, sys
def node(path):
    d, pos = open(path, "rb").read(), 32
    while pos + 24 <= len(d):
        typ, _, n = struct.unpack_from("<HHI", d, pos)
        if typ == 4 and d[pos + 24 + 16 + 100] == 1:
            return d[pos + 24 + 16:pos + 24 + n]
        pos += 24 + n
print("%#x %#x" % tuple(struct.unpack_from("<Q", node(p), 101 + 33 + 9)[0] for p in sys.argv[1:3]))
PY
	)
	echo "pointer key offset before, after: $out"
	# it moved as high as it may go (nothing follows the leaf), like a pointer to a wiped leaf
	[ "${out#* }" = 0xffffffff ]
	[ "${out% *}" != 0xffffffff ]
}

# ---- -ss: the blocks held back in $TMPDIR ----

@test "-ss: the blocks held back in the temporary file hold no name in clear (sealed)" {
	command -v strace >/dev/null || skip "strace is not installed"
	# the names case: hundreds of names of 1..4 bytes, whose leaves wait in the file
	bimg-scan "$(corpus_img names)" >"$T/clean.strm"
	bimg-pack -o "$T/plain.img" <"$T/clean.strm"
	strace -o "$T/trace" -e trace=openat,open,write -e write=all \
		bimg-sanitize -ss --seed 1 <"$T/clean.strm" >"$T/out.strm"
	# every byte written to the file opened O_TMPFILE, from strace's hex dumps
	python3 - "$T/trace" "$T/held" <<'PY'
import re, sys
fd, out, current = None, bytearray(), None
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"O_TMPFILE.*\) = (\d+)$", line)
    if m:
        fd = m.group(1)
    m = re.match(r"^(\d+ +)?write\((\d+),", line)
    if m:
        current = m.group(2)
        continue
    if line.startswith(" | ") and current == fd:
        out += bytes.fromhex(line[10:59].replace(" ", ""))
open(sys.argv[2], "wb").write(out)
print(len(out), "bytes written to the temporary file")
PY
	[ "$(stat -c %s "$T/held")" -gt $((100 << 10)) ]
	run python3 "$CHECK" --names-absent "$T/plain.img" "$T/held"
	assert_success
}

# ---- -ss: copies of a leaf's first key in the extent tree ----

@test "-ss, no skinny metadata: a tree block's extent item does not keep the hash of a short first name" {
	local dir=$T/root
	# 3000 names of 4 bytes in one directory: many leaves start with one of them
	mkdir -p "$dir/d"
	python3 -c '
import itertools, sys
for i, t in enumerate(itertools.product("abcdefghijklmnopqrstuvwxyz", repeat=3)):
    if i == 3000:
        break
    open(sys.argv[1] + "/" + "".join(t) + "q", "w").close()' "$dir/d"
	truncate -s 128M "$T/fs.img"
	mkfs.btrfs -q -O ^skinny-metadata --rootdir "$dir" "$T/fs.img" >/dev/null 2>&1
	bimg-scan "$T/fs.img" >"$T/in.strm"
	bimg-pack -o "$T/plain.img" <"$T/in.strm"
	sanitize -ss
	# the extent items' copies of DIR_ITEM keys that are the hash of a 4-byte name
	python3 - "$T/in.strm" "$T/san.strm" <<'PY'
import struct, sys
def crc_raw(seed, data):
    crc = seed
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc
def leaves(path):
    d, pos = open(path, "rb").read(), 32
    while pos + 24 <= len(d):
        typ, _, n = struct.unpack_from("<HHI", d, pos)
        p = d[pos + 24 + 16:pos + 24 + n]
        if typ == 4 and p[100] == 0:
            yield p
        pos += 24 + n
def info_keys(path):
    for leaf in leaves(path):
        for s in range(struct.unpack_from("<I", leaf, 96)[0]):
            _, t, _, off, size = struct.unpack_from("<QBQII", leaf, 101 + 25 * s)
            item = leaf[101 + off:101 + off + size]
            if t == 168 and size >= 42 and struct.unpack_from("<Q", item, 16)[0] & 2 and item[32] == 84:
                yield struct.unpack_from("<Q", item, 33)[0]
short = {crc_raw(0xFFFFFFFE, n.encode()) for n in (a + b + c + "q" for a in "abcdefghijklmnopqrstuvwxyz"
         for b in "abcdefghijklmnopqrstuvwxyz" for c in "abcdefghijklmnopqrstuvwxyz")}
before = [h for h in info_keys(sys.argv[1]) if h in short]
after = [h for h in info_keys(sys.argv[2]) if h != 0]
print(len(before), "extent items kept a short name's hash;", len(after), "non-zero after -ss")
assert before and not after
PY
	run python3 "$CHECK" --leak-min 5 "$T/plain.img" "$T/san.img" -ss
	assert_success
}

@test "a block of a sha256 filesystem carrying the reference's CRC-32C: the text in the rest of its checksum field is zeroed" {
	local logical
	bimg-scan "$(corpus_img csum-sha256)" >"$T/sha.strm"
	# an extent tree leaf: no name in it, so the sanitizer has no reason to recompute its checksum
	logical=$(python3 "$EDIT" blocks "$T/sha.strm" | awk '$2 == 2 && $3 == 0 { print $1; exit }')
	[[ -n $logical ]]
	# the reference writes a CRC-32C into bytes 0..3 of every block it stores, whatever the
	# filesystem's checksum; bytes 4..31 are then no checksum of anything
	python3 -c '
import struct, sys
sys.path.insert(0, sys.argv[4])
import streamedit as se
from crc32c import crc32c
head, records = se.read_records(sys.argv[1])
body = memoryview(records[se.block_index(records, int(sys.argv[3]))][2])[16:]
body[4:4 + 10] = b"LEAKMEcsum"
struct.pack_into("<I", body, 0, crc32c(bytes(body[32:])))
se.write_records(sys.argv[2], head, records)' "$T/sha.strm" "$T/in.strm" "$logical" "$ROOT/tests/lib"
	bimg-pack -o "$T/plain.img" <"$T/sha.strm"
	leak_free LEAKME quiet
}

# superblock_edit PYTHON: $T/in.strm is $T/clean.strm with PYTHON run on its superblock (a
# bytearray `sb`; `struct` imported), its checksum redone.
superblock_edit() {
	python3 - "$T/clean.strm" "$T/in.strm" "$ROOT/tests/lib" "$1" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[3])
import streamedit as se
from crc32c import crc32c
head, records = se.read_records(sys.argv[1])
sb = [p for t, _, p in records if t == se.SUPERBLOCK][0]
exec(sys.argv[4])
struct.pack_into("<I", sb, 0, crc32c(bytes(sb[32:])))
se.write_records(sys.argv[2], head, records)
PY
}

# superblock_check [PYTHON]: the superblock of $T/san.strm verifies, and PYTHON's asserts on it
# (`sb`) hold.
superblock_check() {
	python3 - "$T/san.strm" "$ROOT/tests/lib" "${1:-}" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[2])
import streamedit as se
from crc32c import crc32c
sb = [p for t, _, p in se.read_records(sys.argv[1])[1] if t == se.SUPERBLOCK][0]
assert struct.unpack_from("<I", sb, 0)[0] == crc32c(bytes(sb[32:])), "the superblock checksum"
exec(sys.argv[3])
PY
}

@test "the superblock: text past the system chunk array's size is zeroed with the label, the checksum redone" {
	local mode
	superblock_edit '
used = struct.unpack_from("<I", sb, 160)[0]
sb[811 + used:811 + used + 12] = b"LEAKMEsysarr"
'
	for mode in -s -ss; do
		sanitize $mode
		absent LEAKME || { echo "mode $mode"; return 1; }
		# the superblock still verifies
		superblock_check
	done
}

@test "the superblock: text in the bytes it does not define (reserved, padding, unused backup root fields) is zeroed, with a warning naming the offsets; the fields later kernels define stay" {
	local mode
	superblock_edit '
sb[104:112] = b"LEAKunus"
sb[612:624] = b"LEAKMEreserv"
sb[2859 + 168 + 120:2859 + 168 + 132] = b"LEAKMEbackup"
sb[2859 + 3 * 168 + 158:2859 + 3 * 168 + 168] = b"LEAKMElevl"
sb[4084:4096] = b"LEAKMEpaddin"
sb[587:595] = struct.pack("<Q", 7)          # nr_global_roots: defined, kept
sb[595:612] = bytes(range(1, 18))           # the remap root fields: defined upstream, kept
'
	for mode in -s -ss; do
		sanitize $mode
		absent LEAK || { echo "mode $mode"; return 1; }
		assert_stderr --partial "bimg-sanitize: warning: superblock: bytes 104..111 (unused (formerly log_root_transid)) were not zero: zeroed"
		assert_stderr --partial "bimg-sanitize: warning: superblock: bytes 612..810 (reserved) were not zero: zeroed"
		assert_stderr --partial "bimg-sanitize: warning: superblock: bytes 3147..3178 (unused, in a backup root) were not zero: zeroed"
		assert_stderr --partial "bimg-sanitize: warning: superblock: bytes 3521..3530 (unused, in a backup root) were not zero: zeroed"
		assert_stderr --partial "bimg-sanitize: warning: superblock: bytes 3531..4095 (padding) were not zero: zeroed"
		refute_stderr --partial "LEAK"
		superblock_check '
assert struct.unpack_from("<Q", sb, 587)[0] == 7
assert bytes(sb[595:612]) == bytes(range(1, 18))
'
	done
	# a real filesystem's superblock has none: no such warning
	cp "$T/clean.strm" "$T/in.strm"
	sanitize -ss
	refute_stderr --partial "superblock"
}

@test "the superblock: text in the unused leafsize and in compat_flags (no compat flag is defined; kernels ignore them) does not pass: leafsize written the node size, compat_flags zeroed, with warnings; restores and checks clean; a leafsize of 0 stays" {
	local mode
	superblock_edit '
assert struct.unpack_from("<I", sb, 152)[0] == struct.unpack_from("<I", sb, 148)[0]
sb[152:156] = b"LKLF"
sb[172:180] = b"LEAKMEcf"
'
	for mode in -s -ss; do
		sanitize $mode
		absent LKLF || { echo "mode $mode"; return 1; }
		absent LEAKME || { echo "mode $mode"; return 1; }
		assert_stderr --partial "bimg-sanitize: warning: superblock: bytes 152..155 (unused leafsize) were not the node size: set to it" ||
			{ echo "mode $mode"; return 1; }
		assert_stderr --partial "bimg-sanitize: warning: superblock: bytes 172..179 (compat_flags, none of them defined) were not zero: zeroed" ||
			{ echo "mode $mode"; return 1; }
		superblock_check '
assert struct.unpack_from("<I", sb, 152)[0] == struct.unpack_from("<I", sb, 148)[0]
assert struct.unpack_from("<Q", sb, 172)[0] == 0
'
	done
	restored_checks
	# 0 says nothing (synthetic streams write it): kept, no warning
	superblock_edit '
sb[152:156] = bytes(4)
'
	sanitize -ss
	refute_stderr --partial "superblock"
}

# ---- items: the bytes their layouts leave reserved, unused or spare (src/bimg-sanitize/reserved.c) ----

# item_zeroed LOGICAL SLOT FROM..TO...: leaf item SLOT of the block at LOGICAL in $T/san.strm is
# the one in $T/in.strm with each range of bytes zeroed (each held a byte set), all else kept.
item_zeroed() {
	local logical=$1 slot=$2
	shift 2
	python3 - "$(python3 "$EDIT" item "$T/in.strm" "$logical" "$slot")" \
		"$(python3 "$EDIT" item "$T/san.strm" "$logical" "$slot")" "$@" <<'EOF'
import sys
want, got = bytearray.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2])
for span in sys.argv[3:]:
    a, b = map(int, span.split(".."))
    assert any(want[a:b + 1]), f"{span}: no byte set there in the input"
    want[a:b + 1] = bytes(b + 1 - a)
assert bytes(want) == got, f"want {want.hex()}\ngot  {got.hex()}"
EOF
}

# restored_checks: the -ss image of $T/san.img restores (the reference) and btrfs check passes.
restored_checks() {
	btrfs-image -r "$T/san.img" "$T/r.img"
	run btrfs check --readonly "$T/r.img"
	assert_success
}

@test "a root item with text in its 64 reserved bytes and its inode item's 32: zeroed with a warning naming the block and the offsets; uuids and times kept; -ss restores and checks clean" {
	local logical slot mode
	read -r logical slot < <(python3 "$EDIT" finditem "$T/clean.strm" 132 439)
	# received_uuid (279) and rtime (363) are defined (later kernels write them): they stay
	damage "itemtext:$logical:$slot:80:LEAKMEinodereserved" "itemtext:$logical:$slot:375:LEAKMErootreserved" \
		"itemtext:$logical:$slot:420:LEAKMEend" "itemtext:$logical:$slot:279:KEEPreceivedUUID" \
		"itemtext:$logical:$slot:363:KEEP"
	grep -qaF LEAKMEend "$T/in.strm"
	for mode in -s -ss; do
		sanitize $mode
		assert_stderr --partial "bimg-sanitize: warning: tree block $logical: ROOT_ITEM (type 132) bytes 80..111 (reserved, in its inode item), 375..438 (reserved) of 1 item were not zero: zeroed" ||
			{ echo "mode $mode"; return 1; }
		refute_stderr --partial LEAK
		absent LEAKME || { echo "mode $mode"; return 1; }
		item_zeroed "$logical" "$slot" 80..111 375..438 || { echo "mode $mode"; return 1; }
	done
	restored_checks
	# a real filesystem has no such bytes set: no such warning
	cp "$T/clean.strm" "$T/in.strm"
	sanitize -ss
	refute_stderr --partial "were not zero"
}

@test "a balance item (inserted) with text in the unused bytes of its three filters and its own: zeroed, its defined fields kept; -ss restores and checks clean" {
	local logical slot mode
	logical=$(python3 "$EDIT" super "$T/clean.strm" | awk '{ print $2 }')
	damage "insert:$logical:-4:248:0:448"
	cp "$T/in.strm" "$T/ins.strm"
	slot=$(python3 "$EDIT" items "$T/ins.strm" "$logical" | awk '$3 == 248 { print $1 }')
	# flags (0), the data filter's profiles (8) and stripes_max (92), the system filter's target
	# (336) are defined: they stay
	python3 "$EDIT" edit "$T/ins.strm" "$T/in.strm" "itemtext:$logical:$slot:0:KEEPflag" \
		"itemtext:$logical:$slot:8:KEEPprof" "itemtext:$logical:$slot:92:KEEP" \
		"itemtext:$logical:$slot:336:KEEPtarg" "itemtext:$logical:$slot:96:LEAKMEdata" \
		"itemtext:$logical:$slot:270:LEAKMEmeta" "itemtext:$logical:$slot:368:LEAKMEsys" \
		"itemtext:$logical:$slot:440:LEAKMEun"
	bimg-pack -o "$T/plain.img" <"$T/in.strm"
	for mode in -s -ss; do
		sanitize $mode
		assert_stderr --partial "bimg-sanitize: warning: tree block $logical: BALANCE_ITEM (type 248) bytes 96..143 (unused, in the data filter), 232..279 (unused, in the metadata filter), 368..415 (unused, in the system filter), 416..447 (unused) of 1 item were not zero: zeroed" ||
			{ echo "mode $mode"; return 1; }
		absent LEAKME || { echo "mode $mode"; return 1; }
		item_zeroed "$logical" "$slot" 96..143 232..279 368..415 416..447 || { echo "mode $mode"; return 1; }
	done
	restored_checks
}

@test "a free space bitmap (inserted) of 3 sectors with the 5 bits past them set: cleared with a warning, its 3 bits kept; with them clear, left alone" {
	local logical info objectid slot mode
	read -r logical info < <(python3 "$EDIT" finditem "$T/clean.strm" 198 8)
	objectid=$(python3 "$EDIT" items "$T/clean.strm" "$logical" | awk -v s="$info" '$1 == s { print $2 }')
	# sorts right after the block group's FREE_SPACE_INFO: 3 sectors of 4 KiB, one byte
	damage "insert:$logical:$objectid:200:12288:1"
	cp "$T/in.strm" "$T/ins.strm"
	slot=$(python3 "$EDIT" items "$T/ins.strm" "$logical" | awk '$3 == 200 { print $1 }')
	# 'O' is 0x4f: the range's bits 0..2 set, and bits 3 and 6 past it
	python3 "$EDIT" edit "$T/ins.strm" "$T/in.strm" "itemtext:$logical:$slot:0:O"
	for mode in -s -ss; do
		sanitize $mode
		assert_stderr --partial "bimg-sanitize: warning: tree block $logical: FREE_SPACE_BITMAP (type 200) bits past the last sector of its range were set in 1 item: cleared" ||
			{ echo "mode $mode"; return 1; }
		[[ $(python3 "$EDIT" item "$T/san.strm" "$logical" "$slot") == 07 ]] || { echo "mode $mode"; return 1; }
	done
	# 0x05: only bits of the range set
	python3 "$EDIT" edit "$T/ins.strm" "$T/in.strm" "itemtext:$logical:$slot:0:"$'\x05'
	sanitize -s
	refute_stderr --partial FREE_SPACE_BITMAP
	[[ $(python3 "$EDIT" item "$T/san.strm" "$logical" "$slot") == 05 ]]
}

@test "a file extent item with bytes in other_encoding (spare): zeroed with a warning, the rest kept" {
	local logical slot mode
	read -r logical slot < <(python3 "$EDIT" finditem "$T/clean.strm" 108 53)
	damage "itemtext:$logical:$slot:18:LK"
	for mode in -s -ss; do
		sanitize $mode
		assert_stderr --partial "bimg-sanitize: warning: tree block $logical: EXTENT_DATA (type 108) bytes 18..19 (other_encoding, spare) of 1 item were not zero: zeroed" ||
			{ echo "mode $mode"; return 1; }
		item_zeroed "$logical" "$slot" 18..19 || { echo "mode $mode"; return 1; }
	done
	restored_checks
}

@test "a verity descriptor header (inserted) with text in its 16 reserved bytes: zeroed, its size and encryption kept" {
	local logical slot ino mode
	read -r logical slot < <(python3 "$EDIT" finditem "$T/clean.strm" 108 53)
	ino=$(python3 "$EDIT" items "$T/clean.strm" "$logical" | awk -v s="$slot" '$1 == s { print $2 }')
	damage "insert:$logical:$ino:36:0:25"
	cp "$T/in.strm" "$T/ins.strm"
	slot=$(python3 "$EDIT" items "$T/ins.strm" "$logical" | awk '$3 == 36 { print $1 }')
	python3 "$EDIT" edit "$T/ins.strm" "$T/in.strm" "itemtext:$logical:$slot:0:KEEPsize" \
		"itemtext:$logical:$slot:8:LEAKMEverityrsv" "itemtext:$logical:$slot:24:E"
	bimg-pack -o "$T/plain.img" <"$T/in.strm"
	for mode in -s -ss; do
		sanitize $mode
		assert_stderr --partial "bimg-sanitize: warning: tree block $logical: VERITY_DESC_ITEM (type 36) bytes 8..23 (reserved) of 1 item were not zero: zeroed" ||
			{ echo "mode $mode"; return 1; }
		absent LEAKME || { echo "mode $mode"; return 1; }
		item_zeroed "$logical" "$slot" 8..23 || { echo "mode $mode"; return 1; }
	done
}

@test "-d: a tree block in the file data whose fsid and address are both damaged is still known by its chunk tree uuid, and zeroed" {
	local mode sound logical slot name
	from_image -d
	# from_image gave the leaf a wrong bytenr; its fsid goes too: only the chunk tree uuid is left
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 96 5)
	python3 "$EDIT" edit "$T/in.strm" "$T/in2.strm" "datatext:$logical:32:XXXXXXXXXXXXXXXX"
	mv "$T/in2.strm" "$T/in.strm"
	bimg-scan -d "$(corpus_img default)" | bimg-sanitize -s --seed 1 >"$T/sound.strm"
	sound=$(names_found "$T/sound.strm")
	for mode in -s -ss; do
		sanitize $mode
		assert_stderr --partial "bytes of tree blocks of this filesystem in the file data: zeroed" ||
			{ echo "mode $mode"; return 1; }
		[ "$(names_found "$T/san.strm")" -eq "$sound" ] || { echo "mode $mode"; return 1; }
		absent "$name" || { echo "mode $mode: $name"; return 1; }
	done
}

# flags_written LOGICAL: in $T/san.strm the block at LOGICAL has the flags of a written block of
# backref revision 1 and nothing else, and its checksum verifies.
flags_written() {
	python3 - "$T/san.strm" "$1" "$ROOT/tests/lib" <<'PY'
import struct, sys
sys.path.insert(0, sys.argv[3])
import streamedit as se
from crc32c import crc32c
blocks = [bytes(p[16:]) for t, _, p in se.read_records(sys.argv[1])[1] if t == se.TREE_BLOCK]
block = [b for b in blocks if struct.unpack_from("<Q", b, 48)[0] == int(sys.argv[2])]
assert block, "the leaf is gone"
flags = struct.unpack_from("<Q", block[0], 56)[0]
assert flags == 0x0100000000000001, hex(flags)
assert struct.unpack_from("<I", block[0], 0)[0] == crc32c(block[0][32:]), "checksum"
PY
}

@test "a sound leaf with text in the header flag bits no kernel sets: cleared with a warning, WRITTEN and the backref revision kept; -ss restores and checks clean" {
	local logical slot name mode
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 96 5)
	# flags are bytes 56..63: bits 2..55 are free, byte 63 is the backref revision
	damage "textfix:$logical:57:LKFLAG"
	for mode in -s -ss; do
		sanitize $mode
		assert_stderr --partial "bimg-sanitize: warning: tree block $logical: header flag bits no kernel sets were set: cleared" ||
			{ echo "mode $mode"; return 1; }
		absent LKFLAG || { echo "mode $mode"; return 1; }
		flags_written "$logical" || { echo "mode $mode"; return 1; }
	done
	restored_checks
}

@test "a sound leaf with a letter in the header's backref revision byte: only revisions 0 and 1 exist (a kernel reads any other above 0 as 1), so it is written 1, with a warning; -ss restores and checks clean" {
	local logical slot name mode
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 96 5)
	# byte 63 of the header is the backref revision: 'Q' (0x51) is a byte of a name, not a revision
	damage "textfix:$logical:63:Q"
	for mode in -s -ss; do
		sanitize $mode
		assert_stderr --partial "bimg-sanitize: warning: tree block $logical: header backref revision above 1, which no kernel writes: set to 1" ||
			{ echo "mode $mode"; return 1; }
		flags_written "$logical" || { echo "mode $mode"; return 1; }
	done
	restored_checks
}
