#!/usr/bin/env bats
# bimg-scan --rescue=copy|skip: tree blocks with no good copy are copied as
# read (flagged DAMAGED, checksum as it was) or left out, the dump goes on,
# the count is reported and the exit status is 2; the stages downstream
# accept the stream; the wrapper passes the option on.

load lib/common

setup() {
	need_bin bimg-scan
	T=$BATS_TEST_TMPDIR
}

# STREAM -> "content=0xNN damaged=N", from FS_INFO and END (docs/record-stream.md)
stream_summary() {
	python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
pos, content, damaged = 32, None, None
while pos + 24 <= len(d):
    typ, flags, n = struct.unpack_from("<HHI", d, pos)
    p = d[pos + 24:pos + 24 + n]
    if typ == 1:
        content = struct.unpack_from("<I", p, 44)[0]
    if typ == 15:
        damaged = struct.unpack_from("<Q", p, 24)[0]
    pos += 24 + n
print(f"content=0x{content:x} damaged={damaged}")
EOF
}

# STREAM LOGICAL -> the flags of that TREE_BLOCK record, or "absent"
block_flags() {
	local line
	line=$($STREAMCMP list "$1" | grep "TREE_BLOCK .*logical=$2 ") || { echo absent; return; }
	echo "${line##*flags=}"
}

@test "rescue: usage" {
	run bimg-scan --rescue=maybe "$(corpus_img default)"
	assert_failure 1
	assert_output --partial "--rescue: 'maybe' is neither copy nor skip"
	run bimg-scan --help
	assert_success
	assert_output --partial "--rescue=copy"
	assert_output --partial "--rescue=skip"
}

@test "rescue: a sound filesystem dumps as usual, exit 0, content flag RESCUE" {
	local img
	img=$(corpus_img default)
	btrfs-image -c0 "$img" "$T/ref.img"
	for mode in copy skip; do
		run --separate-stderr bimg-scan --rescue=$mode "$img"
		assert_success
		refute_stderr
		bimg-scan --rescue=$mode "$img" >"$T/s.strm"
		$STREAMCMP compare "$T/s.strm" "$T/ref.img"
		[ "$(stream_summary "$T/s.strm")" = "content=0x20 damaged=0" ]
	done
}

@test "rescue: a leaf bad in both copies: copied with DAMAGED and its bad checksum, or skipped; exit 2" {
	local img leaf mode
	corrupt_default_leaf block-csum
	for mode in "" -w; do
		bimg-scan $mode "$img" >"$T/clean.strm"
		$STREAMCMP logicals "$T/clean.strm" >"$T/clean.list"

		run --separate-stderr bimg-scan $mode --rescue=copy "$T/bad.img"
		echo "$stderr"
		assert_failure 2
		assert_stderr --partial "bimg-scan: warning: $T/bad.img: damaged tree block $leaf: checksum mismatch"
		[ "${stderr##*$'\n'}" = "bimg-scan: 1 tree blocks were damaged (copied as they were)" ]
		bimg-scan $mode --rescue=copy "$T/bad.img" >"$T/copy.strm" 2>/dev/null || [ $? -eq 2 ]
		# same blocks in the same order; only the damaged one flagged, and it does not verify
		$STREAMCMP logicals "$T/copy.strm" | diff "$T/clean.list" -
		[ "$(block_flags "$T/copy.strm" "$leaf")" = 1 ]
		[ "$($STREAMCMP list "$T/copy.strm" | grep -c 'TREE_BLOCK .*flags=1')" -eq 1 ]
		run $STREAMCMP verify "$T/copy.strm"
		assert_failure 1
		assert_output --partial "$leaf"
		# RESCUE (0x20), and WALKED (0x1) with -w
		local content=0x20
		[[ $mode == -w ]] && content=0x21
		[ "$(stream_summary "$T/copy.strm")" = "content=$content damaged=1" ]

		run --separate-stderr bimg-scan $mode --rescue=skip "$T/bad.img"
		assert_failure 2
		[ "${stderr##*$'\n'}" = "bimg-scan: 1 tree blocks were damaged (skipped)" ]
		bimg-scan $mode --rescue=skip "$T/bad.img" >"$T/skip.strm" 2>/dev/null || [ $? -eq 2 ]
		$STREAMCMP logicals "$T/skip.strm" | diff <(grep -vx "$leaf" "$T/clean.list") -
		$STREAMCMP verify "$T/skip.strm"
	done
}

@test "rescue: below a damaged node nothing is followed (-w); the extent tree still lists its children" {
	local img fs_root level
	img=$(corpus_img node4k)
	read -r _ _ fs_root level < <($CORRUPT info "$img")
	[ "$level" -ge 1 ]
	$CORRUPT block-csum "$img" "$T/bad.img" "$fs_root" >/dev/null
	bimg-scan "$img" | $STREAMCMP logicals /dev/stdin >"$T/clean.list"
	bimg-scan --rescue=copy "$T/bad.img" 2>/dev/null >"$T/default.strm" || [ $? -eq 2 ]
	$STREAMCMP logicals "$T/default.strm" | diff "$T/clean.list" -
	bimg-scan -w --rescue=copy "$T/bad.img" 2>/dev/null >"$T/walk.strm" || [ $? -eq 2 ]
	[ "$(block_flags "$T/walk.strm" "$fs_root")" = 1 ]
	# the fs tree's leaves are missing from the walk
	[ "$($STREAMCMP logicals "$T/walk.strm" | wc -l)" -lt "$(wc -l <"$T/clean.list")" ]
}

@test "rescue: the stages downstream take a damaged stream; fixchunks wants --ignore-bad-blocks" {
	local img leaf
	corrupt_default_leaf block-csum
	bimg-scan --rescue=copy "$T/bad.img" 2>/dev/null >"$T/copy.strm" || [ $? -eq 2 ]
	bimg-pack -o "$T/copy.bimg" <"$T/copy.strm"
	# sanitizing keeps the block damaged (flag and bad checksum)
	bimg-sanitize -s <"$T/copy.strm" >"$T/san.strm" 2>/dev/null
	[ "$(block_flags "$T/san.strm" "$leaf")" = 1 ]
	run $STREAMCMP verify "$T/san.strm"
	assert_failure 1
	run --separate-stderr bash -c "bimg-unpack '$T/copy.bimg' | bimg-fixchunks '$T/r1.img'"
	assert_failure 1
	assert_stderr --partial "tree block $leaf: crc32c checksum mismatch"
	run --separate-stderr bash -c "bimg-unpack '$T/copy.bimg' | bimg-fixchunks --ignore-bad-blocks '$T/r2.img'"
	assert_success
	assert_stderr --partial "1 damaged tree blocks written as they were"
	# the restored filesystem shows the same damage as the source
	run btrfs check "$T/r2.img"
	assert_output --partial "$leaf"
}

@test "rescue: a truncated device image: short reads counted, the stream still ends" {
	local img root cut mode
	img=$(corpus_img logtree)
	root=$(btrfs inspect-internal dump-super "$img" | awk '$1 == "root" { print $2 }')
	read -r cut _ < <($CORRUPT physical "$img" "$root")
	cp --sparse=always "$img" "$T/cut.img"
	truncate -s $((cut + 16384)) "$T/cut.img"
	run --separate-stderr bimg-scan "$T/cut.img"
	assert_failure 1
	for mode in "--rescue=copy" "--rescue=skip" "-w --rescue=skip"; do
		run --separate-stderr timeout 20 bimg-scan $mode "$T/cut.img"
		echo "$mode: $stderr"
		assert_failure 2
		[[ $stderr == *"damaged tree block "*": short read: $T/cut.img ends before physical "* ]]
		[[ ${stderr##*$'\n'} == "bimg-scan: "[1-9]*" tree blocks were damaged ("* ]]
		bimg-scan $mode "$T/cut.img" 2>/dev/null >"$T/s.strm" || [ $? -eq 2 ]
		[ "$($STREAMCMP list "$T/s.strm" | tail -1 | cut -d' ' -f1)" = END ]
		bimg-pack -o "$T/s.bimg" <"$T/s.strm"
	done
	# data extents past the cut (-d) are left out too
	run --separate-stderr bimg-scan -d --rescue=skip "$T/cut.img"
	assert_failure 2
	assert_stderr --regexp 'cannot read data at logical .*short read'
	assert_stderr --partial "data extents could not be read"
}

@test "rescue: without the chunk tree or the root tree nothing can be rescued: exit 1" {
	local img root chunk_root
	img=$(corpus_img default)
	read -r root chunk_root _ < <($CORRUPT info "$img")
	$CORRUPT block-csum "$img" "$T/chunk.img" "$chunk_root" >/dev/null
	run --separate-stderr bimg-scan --rescue=copy "$T/chunk.img"
	assert_failure 1
	assert_stderr --partial "cannot read tree block $chunk_root: checksum mismatch"
	$CORRUPT block-csum "$img" "$T/root.img" "$root" >/dev/null
	run --separate-stderr bimg-scan --rescue=skip "$T/root.img"
	assert_failure 1
	assert_stderr "bimg-scan: $T/root.img: cannot read tree block $root: checksum mismatch"
}

@test "btrfs-image.sh --rescue: passed to bimg-scan; exit 2 with the image made" {
	local img leaf
	corrupt_default_leaf block-csum
	run "$ROOT/btrfs-image.sh" "$T/bad.img" "$T/none.img"
	assert_failure 1
	[ ! -e "$T/none.img" ]
	run "$ROOT/btrfs-image.sh" --rescue=copy "$T/bad.img" "$T/copy.img"
	assert_failure 2
	assert_output --partial "1 tree blocks were damaged (copied as they were)"
	[ -s "$T/copy.img" ]
	run "$ROOT/btrfs-image.sh" -c9 --rescue skip "$T/bad.img" "$T/skip.img"
	assert_failure 2
	[ -s "$T/skip.img" ]
	run "$ROOT/btrfs-image.sh" --rescue=copy "$img" "$T/clean.img"
	assert_success
	run "$ROOT/btrfs-image.sh" --rescue=later "$T/bad.img" "$T/x.img"
	assert_failure 1
	run "$ROOT/btrfs-image.sh" -r --rescue=copy "$T/copy.img" "$T/x.img"
	assert_failure 1
	assert_output --partial "--rescue is a dump option"
}
