#!/usr/bin/env bats
# Sanitizing fails closed (docs/robustness.md): a tree block bimg-sanitize cannot trust
# (flagged DAMAGED, or its checksum does not verify) or cannot read in full leaves it
# zeroed after its header and flagged DAMAGED, with a warning and a count.  For every kind
# of damage bimg-scan --rescue=copy passes on, and for the same blocks read back from an
# image (where the flag is gone), no name of 5 bytes or more of the source is left in the
# sanitized stream or image, with -s and with -ss.

load lib/common

CHECK="$ROOT/tests/lib/sanitize-check.py"

setup_file() {
	make -C "$ROOT" -s bin/bimg-scan bin/bimg-sanitize bin/bimg-pack bin/bimg-unpack bin/bimg-fixchunks >/dev/null
}

setup() {
	T=$BATS_TEST_TMPDIR
}

# STREAM LOGICAL -> "flags=F zero-after-header=yes|no" for that TREE_BLOCK record
block_state() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
want, pos = int(sys.argv[2]), 32
while pos + 24 <= len(d):
    typ, _, n = struct.unpack_from("<HHI", d, pos)
    p = d[pos + 24:pos + 24 + n]
    if typ == 4:
        logical, flags = struct.unpack_from("<QQ", p, 0)
        if logical == want:
            print("flags=%d zero-after-header=%s" % (flags, "yes" if not any(p[16 + 101:]) else "no"))
            sys.exit(0)
    pos += 24 + n
print("absent")
EOF
}

# sanitize ARGS...: bimg-sanitize ARGS from $T/in.strm to $T/san.strm
sanitize() {
	bimg-sanitize "$@" --seed 1 <"$T/in.strm" >"$T/san.strm"
}

# wiped_and_no_names LOGICAL: in $T/san.strm that block is flagged DAMAGED and zero after
# its header, and no name of $T/plain.img is left in the stream or in its image.
wiped_and_no_names() {
	[ "$(block_state "$T/san.strm" "$1")" = "flags=1 zero-after-header=yes" ]
	bimg-pack -o "$T/san.img" <"$T/san.strm"
	run python3 "$CHECK" --names-absent "$T/plain.img" "$T/san.strm" "$T/san.img"
	assert_success
}

# sanitized_clean SOURCE.img DAMAGED.img LOGICAL SCAN-ARGS...: for -s and -ss, the rescue
# stream of DAMAGED.img, and the same blocks read back from its image, sanitize with the
# block wiped and flagged, a warning with the count, and no source name in the stream or
# the image.
sanitized_clean() {
	local src=$1 bad=$2 logical=$3 mode route
	shift 3
	bimg-scan "$src" | bimg-pack -o "$T/plain.img"
	bimg-scan --rescue=copy "$@" "$bad" >"$T/rescue.strm" 2>/dev/null || [ $? -eq 2 ]
	bimg-pack -o "$T/rescue.img" <"$T/rescue.strm"
	# The block is there, copied as it was read.
	[ "$(block_state "$T/rescue.strm" "$logical")" = "flags=1 zero-after-header=no" ]
	for route in stream image; do
		for mode in -s -ss; do
			if [[ $route == stream ]]; then
				cp "$T/rescue.strm" "$T/in.strm"
			else
				# An image has no room for the flag: the block comes back unflagged.
				bimg-unpack "$T/rescue.img" >"$T/in.strm"
			fi
			run --separate-stderr sanitize $mode
			assert_success || { echo "$route $mode: $stderr"; return 1; }
			assert_stderr --partial "warning: 1 tree blocks could not be trusted or read in full: zeroed after their headers and flagged DAMAGED" ||
				{ echo "$route $mode"; return 1; }
			wiped_and_no_names "$logical" || { echo "$route $mode"; return 1; }
		done
	done
}

@test "fail closed: a leaf whose nritems is out of range (both copies)" {
	local img leaf
	corrupt_default_leaf nritems 5000
	sanitized_clean "$img" "$T/bad.img" "$leaf"
	sanitized_clean "$img" "$T/bad.img" "$leaf" -w
}

@test "fail closed: a leaf whose item data lies outside the block" {
	local img leaf
	corrupt_default_leaf item-offset
	sanitized_clean "$img" "$T/bad.img" "$leaf"
}

@test "fail closed: a leaf with a checksum mismatch in both copies (layout sound)" {
	local img leaf
	corrupt_default_leaf block-csum
	sanitized_clean "$img" "$T/bad.img" "$leaf"
}

# Items too short for their type pass bimg-scan's layout check (their checksum is right):
# only the sanitizer sees them, and wipes the block without any DAMAGED flag upstream.
short_item() {
	local img leaf mode
	corrupt_default_leaf short-item "$1"
	bimg-scan "$img" | bimg-pack -o "$T/plain.img"
	bimg-scan "$T/bad.img" >"$T/in.strm"
	for mode in -s -ss; do
		run --separate-stderr sanitize $mode
		assert_success
		echo "$stderr"
		assert_stderr --partial "bimg-sanitize: warning: tree block $leaf: $2: zeroed after its header"
		assert_stderr --partial "1 tree blocks could not be trusted or read in full: zeroed after their headers and flagged DAMAGED (0 flagged damaged upstream, 0 with a checksum mismatch, 1 that could not be read in full)"
		wiped_and_no_names "$leaf" || { echo "mode $mode"; return 1; }
	done
	# The restore tells the block is damaged (its checksum no longer matches).
	run --separate-stderr bash -c "bimg-fixchunks '$T/r.img' <'$T/san.strm'"
	assert_failure 1
	assert_stderr --partial "tree block $leaf: crc32c checksum mismatch"
}

@test "fail closed: a dir index item one byte shorter than its record" { short_item 96 "name record overruns its item"; }
@test "fail closed: an inode item one byte short" { short_item 1 "inode item of the wrong size"; }

@test "fail closed: a leaf whose level byte says node (checksum right) is not read as a node" {
	local img leaf mode
	corrupt_default_leaf level 1
	bimg-scan "$img" | bimg-pack -o "$T/plain.img"
	bimg-scan "$T/bad.img" >"$T/in.strm"
	for mode in -s -ss; do
		run --separate-stderr sanitize $mode
		assert_success
		assert_stderr --regexp "tree block $leaf: node .*: zeroed after its header"
		[ "$(block_state "$T/san.strm" "$leaf")" = "flags=1 zero-after-header=yes" ]
		run python3 "$CHECK" --names-absent "$T/plain.img" "$T/san.strm"
		assert_success
	done
	# Under -w the level does not fit the parent's pointer: bimg-scan counts the block and
	# never copies it, so nothing of it reaches the sanitizer.
	bimg-scan -w --rescue=copy "$T/bad.img" 2>/dev/null >"$T/w.strm" || [ $? -eq 2 ]
	[ "$(block_state "$T/w.strm" "$leaf")" = absent ]
}

@test "fail closed: a damaged node (level 1, both copies) is wiped too: its level byte may be the damage" {
	local img root level mode
	img=$(corpus_img node4k)
	read -r _ _ root level < <($CORRUPT info "$img")
	[ "$level" -ge 1 ]
	$CORRUPT block-csum "$img" "$T/bad.img" "$root" >/dev/null
	bimg-scan -w --rescue=copy "$T/bad.img" 2>/dev/null >"$T/in.strm" || [ $? -eq 2 ]
	[ "$(block_state "$T/in.strm" "$root")" = "flags=1 zero-after-header=no" ]
	for mode in -s -ss; do
		run --separate-stderr sanitize $mode
		assert_success
		assert_stderr --partial "zeroed after their headers and flagged DAMAGED (1 flagged damaged upstream, 0 with a checksum mismatch, 0 that could not be read in full)"
		[ "$(block_state "$T/san.strm" "$root")" = "flags=1 zero-after-header=yes" ]
		# Everything else is still there, in the same order, and sound.
		diff <($STREAMCMP logicals "$T/in.strm") <($STREAMCMP logicals "$T/san.strm")
	done
}

@test "fail closed: a sound filesystem loses nothing (no block wiped, no warning about it)" {
	local c dir=$FULL_CORPUS
	[[ -f $dir/MANIFEST.tsv ]] || dir=$CORPUS
	for c in $(corpus_cases all "$dir"); do
		mapfile -t files < <(corpus_files "$c")
		run --separate-stderr bash -c 'bimg-scan "$@" | bimg-sanitize -s --seed 1 >/dev/null' _ "${files[@]}"
		assert_success || { echo "case $c"; return 1; }
		refute_stderr --partial zeroed || { echo "case $c"; return 1; }
	done
}

@test "fail closed, -ss: the node pointer key to a wiped leaf does not keep its first short name's hash" {
	local out
	python3 "$ROOT/tests/lib/mkstream-short.py" damaged-second >"$T/in.strm"
	run --separate-stderr sanitize -ss -v
	assert_success
	echo "$stderr"
	assert_stderr --partial "flagged DAMAGED (1 flagged damaged upstream"
	# The node (the stream's last block) over the leaves: its second pointer's key offset was the
	# hash of the wiped leaf's first name, and moved as high as it may go (nothing follows the leaf).
	out=$(python3 - "$T/in.strm" "$T/san.strm" <<'EOF2'
import struct, sys
def blocks(path):
    d, pos, out = open(path, "rb").read(), 32, []
    while pos + 24 <= len(d):
        typ, _, n = struct.unpack_from("<HHI", d, pos)
        if typ == 4:
            out.append(d[pos + 24 + 16:pos + 24 + n])
        pos += 24 + n
    return out
before = [b for b in blocks(sys.argv[1]) if b[100] == 1][0]
after = [b for b in blocks(sys.argv[2]) if b[100] == 1][0]
print("%#x %#x" % (struct.unpack_from("<Q", before, 101 + 33 + 9)[0], struct.unpack_from("<Q", after, 101 + 33 + 9)[0]))
EOF2
	)
	echo "pointer key offset before, after: $out"
	[ "${out#* }" = 0xffffffff ]
	[ "${out% *}" != 0xffffffff ]
}
