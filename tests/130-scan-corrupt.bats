#!/usr/bin/env bats
# bimg-scan on corrupted filesystems: every kind of damage tests/lib/corrupt.py
# makes (checksums fixed where the point is the field behind them) ends in
# exit status 1 and one line naming the device and the block or field, within
# 20 seconds, in both modes where both read the damaged block; and a loop of
# random mutations never crashes, hangs or exits with another status.
# The same file runs under an ASan/UBSan build (make sanitize in a copy).

load lib/common

setup() {
	need_bin bimg-scan
	T=$BATS_TEST_TMPDIR
}

# IMG PATTERN [MODE...]: in each mode ("" = default), exit 1 within 20 s with
# exactly one line "bimg-scan: IMG: ...PATTERN...".
fails_naming() {
	local img=$1 pattern=$2 mode
	shift 2
	(($#)) || set -- ""
	for mode in "$@"; do
		run --separate-stderr timeout 20 "$BIN/bimg-scan" $mode "$img"
		echo "mode '$mode': status $status, stderr: $stderr"
		assert_failure 1
		[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
		[[ $stderr == "bimg-scan: $img: "*"$pattern"* ]]
	done
}

# ROOT EDIT WHY [EDIT-ARG]: the node4k case with the root of the root tree (ROOT 1) or of
# the fs tree (ROOT 3, as `corrupt.py info` lists them) changed by corrupt.py EDIT fails in
# both modes, naming the block and WHY.
damaged_root_fails() {
	local img block
	img=$(corpus_img node4k)
	block=$($CORRUPT info "$img" | awk -v field="$1" '{ print $field }')
	$CORRUPT "$2" "$img" "$T/bad.img" "$block" ${4:+"$4"} >/dev/null
	fails_naming "$T/bad.img" "cannot read tree block $block: $3" "" -w
}

@test "corrupt: a leaf with a bad checksum in both DUP copies" {
	damaged_root_fails 1 block-csum "checksum mismatch"
}

@test "corrupt: a header bytenr that is not the block's address" {
	damaged_root_fails 3 header-bytenr "header bytenr does not match its address"
}

@test "corrupt: chunk items with an unaligned or oversized length, a stripe beyond the device" {
	local img leaf
	img=$(corpus_img node4k)
	leaf=$($CORRUPT chunk "$img" "$T/unaligned.img" unaligned)
	fails_naming "$T/unaligned.img" "chunk tree block $leaf slot " "" -w
	assert_stderr --partial "not a multiple of the sectorsize"
	$CORRUPT chunk "$img" "$T/oversized.img" oversized >/dev/null
	fails_naming "$T/oversized.img" "chunk tree block $leaf slot " "" -w
	assert_stderr --partial "chunk length 1125899906842624 is larger than the filesystem"
	$CORRUPT chunk "$img" "$T/beyond.img" stripe-beyond >/dev/null
	fails_naming "$T/beyond.img" "chunk tree block $leaf slot " "" -w
	# One device: its end is the filesystem's (chunk_parse says so before bimg-scan looks at the device).
	[[ $stderr == *"stripe 0 (devid 1, offset "*") lies beyond the end of the "@(device|filesystem)* ]]
}

@test "corrupt: superblock fields out of range (checksum fixed)" {
	local img
	img=$(corpus_img node4k)
	$CORRUPT super-field "$img" "$T/a.img" nodesize 12288 >/dev/null
	fails_naming "$T/a.img" "bad superblock: invalid nodesize"
	$CORRUPT super-field "$img" "$T/b.img" sectorsize 0 >/dev/null
	fails_naming "$T/b.img" "bad superblock: invalid sectorsize"
	$CORRUPT super-field "$img" "$T/c.img" root_level 9 >/dev/null
	fails_naming "$T/c.img" "bad superblock: invalid tree root level"
	$CORRUPT super-field "$img" "$T/d.img" sys_chunk_array_size 5000 >/dev/null
	fails_naming "$T/d.img" "bad superblock: sys_chunk_array_size too large"
	$CORRUPT super-field "$img" "$T/e.img" num_devices 0 >/dev/null
	fails_naming "$T/e.img" "bad superblock: invalid number of devices"
}

@test "corrupt: a node with no pointers, and with too many" {
	damaged_root_fails 3 nritems "node has no pointers" 0
	damaged_root_fails 3 nritems "node has too many pointers" 5000
}

@test "corrupt: a leaf whose item data lies outside the block" {
	damaged_root_fails 1 item-offset "leaf item data out of bounds"
}

@test "corrupt: a node pointing at itself (extent tree: both modes; fs tree: -w)" {
	local img node
	img=$(corpus_img node4k)
	node=$($CORRUPT cycle "$img" "$T/extent.img" 2)
	fails_naming "$T/extent.img" "tree block $node: level 1 where level 0 was expected" "" -w
	node=$($CORRUPT cycle "$img" "$T/fs.img" 5)
	fails_naming "$T/fs.img" "tree block $node: level 1 where level 0 was expected" -w
}

@test "corrupt: a node pointing at an ancestor (-w; needs a tree of level 2)" {
	local img child root
	img=$(FULL_CORPUS=$FULL_CORPUS corpus_img many-small)
	read -r child root < <($CORRUPT ancestor "$img" "$T/bad.img")
	fails_naming "$T/bad.img" "tree block $root: level 2 where level 0 was expected" -w
}

@test "corrupt: a child whose level is not one below its parent's" {
	local img child
	img=$(corpus_img node4k)
	child=$($CORRUPT child-level "$img" "$T/bad.img" 2)
	fails_naming "$T/bad.img" "tree block $child: level 1 where level 0 was expected" "" -w
}

@test "corrupt: an EXTENT_ITEM of length 0 in the extent tree" {
	local img leaf bytenr
	img=$(corpus_img node4k)
	read -r leaf bytenr < <($CORRUPT extent-len0 "$img" "$T/bad.img")
	fails_naming "$T/bad.img" "tree block $leaf: extent length 0 at bytenr $bytenr"
	# -w does not read extent items: the walk succeeds
	timeout 20 "$BIN/bimg-scan" -w "$T/bad.img" >/dev/null
}

@test "corrupt: a truncated device image: short read naming the block" {
	local img root cut
	img=$(corpus_img logtree)
	root=$(btrfs inspect-internal dump-super "$img" | awk '$1 == "root" { print $2 }')
	# Cut just above the root tree's first copy: the blocks written after it
	# (the log tree) lose both copies.
	read -r cut _ < <($CORRUPT physical "$img" "$root")
	cp --sparse=always "$img" "$T/cut.img"
	truncate -s $((cut + 16384)) "$T/cut.img"
	fails_naming "$T/cut.img" "short read: $T/cut.img ends before physical" "" -w
	assert_stderr --partial "cannot read tree block "
}

@test "corrupt: 200 random mutations of tree blocks (checksums fixed): no crash, hang or other status" {
	local img
	img=$(corpus_img node4k)
	$CORRUPT mutate-loop "$img" "$T/work.img" 200 "${MUTATE_SEED:-$RANDOM}" -- \
		"$BIN/bimg-scan" \; "$BIN/bimg-scan" -w \; "$BIN/bimg-scan" --rescue=copy \; \
		"$BIN/bimg-scan" -w --rescue=skip \; "$BIN/bimg-scan" -d --rescue=copy
}
