#!/usr/bin/env bats
# bimg-scan: the record stream against the reference btrfs-image, and bad input.

load lib/common

setup() {
	need_bin bimg-scan
	T=$BATS_TEST_TMPDIR
}

teardown() {
	loop_cleanup
}

# Dump CASE both ways in MODE ("" or -w) and compare: the stream's blocks and
# data against the reference image (independent oracle), and, once bimg-pack
# exists, the packed image against the reference byte for byte.
compare_with_reference() { # IMG MODE [streamcmp options]
	local img=$1 mode=$2
	shift 2
	bimg-scan $mode "$img" >"$T/s.strm" || return 1
	btrfs-image $mode -c0 "$img" "$T/ref.img" 2>/dev/null || return 1
	$STREAMCMP compare "$T/s.strm" "$T/ref.img" "$@" || return 1
	if [[ -x $BIN/bimg-pack && $# -eq 0 ]]; then
		bimg-pack -c0 -o "$T/ours.img" <"$T/s.strm" || return 1
		cmp "$T/ours.img" "$T/ref.img" || return 1
	fi
}

@test "bimg-scan: --help, --version and bad usage" {
	run bimg-scan --help
	assert_success
	assert_output --partial "Usage: bimg-scan"
	run bimg-scan --version
	assert_success
	assert_output --regexp '^bimg-scan \(bimg\) '
	run bimg-scan
	assert_failure 1
	assert_output "bimg-scan: no device given: try 'bimg-scan --help'"
	run bimg-scan -x "$(corpus_img default)"
	assert_failure 1
}

@test "bimg-scan: same blocks, bytes and order as btrfs-image, every single-device crc32c case" {
	local c n=0
	for c in $(corpus_cases single-crc32c); do
		compare_with_reference "$(corpus_img "$c")" "" || { echo "case $c differs"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "no corpus"
}

@test "bimg-scan -w: same blocks, bytes and order as btrfs-image -w, every single-device crc32c case" {
	local c n=0
	for c in $(corpus_cases single-crc32c); do
		compare_with_reference "$(corpus_img "$c")" -w || { echo "case $c differs"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "no corpus"
}

@test "bimg-scan: walk mode finds the same set of blocks as extent-tree mode" {
	local img
	img=$(corpus_img subvol-snap)
	btrfs-image -c0 "$img" "$T/ref.img"
	bimg-scan -w "$img" >"$T/w.strm"
	$STREAMCMP compare "$T/w.strm" "$T/ref.img" --sorted
}

@test "bimg-scan: non-crc32c filesystems: blocks verify with their own checksum" {
	local c img n=0
	for c in csum-sha256 csum-xxhash csum-blake2; do
		img=$(FULL_CORPUS=${FULL_CORPUS} corpus_files "$c" 2>/dev/null | head -1) || continue
		[[ -n $img ]] || continue
		bimg-scan "$img" >"$T/s.strm"
		$STREAMCMP verify "$T/s.strm"
		# Apart from the checksum field, the same as the reference.
		compare_with_reference "$img" "" --mask-csum || { echo "case $c differs"; return 1; }
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "no non-crc32c case built"
}

@test "bimg-scan: the log tree is dumped, after the other tree blocks" {
	local img log_root at last_extent_block
	img=$(corpus_img logtree)
	log_root=$(btrfs inspect-internal dump-super "$img" | awk '$1 == "log_root" { print $2 }')
	[ "$log_root" -ne 0 ]
	bimg-scan "$img" >"$T/s.strm"
	$STREAMCMP logicals "$T/s.strm" >"$T/logicals"
	at=$(awk -v r="$log_root" '$1 == r { print NR }' "$T/logicals")
	[ -n "$at" ]
	# Every block the extent tree records comes before the log root tree.
	btrfs inspect-internal dump-tree -t extent "$img" |
		awk '/key \([0-9]+ METADATA_ITEM/ { sub(/.*key \(/, ""); print $1 }' >"$T/extent_blocks"
	[ -s "$T/extent_blocks" ]
	last_extent_block=$(grep -nxFf "$T/extent_blocks" "$T/logicals" | tail -1 | cut -d: -f1)
	[ "$last_extent_block" -lt "$at" ]
}

@test "bimg-scan: not a btrfs filesystem" {
	head -c 1048576 /dev/zero >"$T/zero.img"
	run --separate-stderr bimg-scan "$T/zero.img"
	assert_failure 1
	[[ $stderr == "bimg-scan: $T/zero.img: not a btrfs filesystem"* ]]
	run --separate-stderr bimg-scan "$T/missing.img"
	assert_failure 1
	assert_stderr --partial "missing.img"
}

@test "bimg-scan: superblock with a bad checksum" {
	$CORRUPT super-csum "$(corpus_img default)" "$T/bad.img"
	run --separate-stderr bimg-scan "$T/bad.img"
	assert_failure 1
	assert_stderr --partial "$T/bad.img: bad superblock: superblock checksum mismatch"
}

@test "bimg-scan: absurd stripe count in the system chunk array" {
	$CORRUPT chunk-stripes "$(corpus_img default)" "$T/bad.img"
	run --separate-stderr bimg-scan "$T/bad.img"
	assert_failure 1
	assert_stderr --partial "$T/bad.img: superblock system chunk array"
}

@test "bimg-scan: tree block bad in both DUP copies: error naming it; in one copy: the other is used" {
	local img fs_root
	img=$(corpus_img default)
	read -r _ _ fs_root _ < <($CORRUPT info "$img")
	$CORRUPT block-csum "$img" "$T/both.img" "$fs_root"
	for mode in "" -w; do
		run --separate-stderr bimg-scan $mode "$T/both.img"
		assert_failure 1
		assert_stderr --partial "$T/both.img: cannot read tree block $fs_root: checksum mismatch"
	done
	$CORRUPT block-csum "$img" "$T/one.img" "$fs_root" 1
	bimg-scan "$img" >"$T/clean.strm"
	bimg-scan "$T/one.img" >"$T/one.strm"
	cmp "$T/clean.strm" "$T/one.strm"
}

@test "bimg-scan -w: a node pointing at itself is an error, not a hang" {
	local img
	img=$(corpus_img node4k)
	run $CORRUPT cycle "$img" "$T/cycle.img"
	[ "$status" -eq 0 ] || skip "$output"
	node=$output
	run --separate-stderr timeout 20 bimg-scan -w "$T/cycle.img"
	assert_failure 1
	assert_stderr --partial "$T/cycle.img: tree block $node: level "
}

@test "bimg-scan: reader going away is an error, not a silent death" {
	# Big enough that the stream cannot all fit in the pipe before head exits.
	local img
	img=$(corpus_img subvol-snap)
	run bash -c "bimg-scan '$img' | head -c 100 >/dev/null; echo \"\${PIPESTATUS[0]}\""
	assert_output --partial "bimg-scan: writing stream: downstream closed the pipe"
	assert_line --index -1 1
}

@test "bimg-scan: failures reach the next stage as an ERROR record" {
	head -c 1048576 /dev/zero >"$T/zero.img"
	run bimg-scan "$T/zero.img"
	assert_failure 1
	bimg-scan "$T/zero.img" >"$T/s.strm" 2>/dev/null || true
	run $STREAMCMP list "$T/s.strm"
	assert_output --partial ERROR
}

@test "bimg-scan: never writes the source" {
	local img before after
	img=$(corpus_img default)
	before=$(sha256sum <"$img")
	bimg-scan "$img" >/dev/null
	bimg-scan -w "$img" >/dev/null
	after=$(sha256sum <"$img")
	[ "$before" = "$after" ]
}

# From a cold page cache the disk reads the next blocks while the ones read
# are checked and sent on (src/bimg-scan/blockio.c): each window is
# followed by a request to read ahead, never for bytes already asked for.
@test "bimg-scan: asks the kernel to read ahead of its windows, each range once" {
	command -v strace >/dev/null || skip "needs strace"
	local img
	img=$(corpus_img many-small)
	strace -e trace=fadvise64 -o "$T/trace" bimg-scan "$img" >/dev/null
	cat "$T/trace"
	awk -F'[(,)]' '/POSIX_FADV_WILLNEED/ {
		n++
		start = $3 + 0; end = start + $4
		if (n > 1 && start < last_end && end > last_start) { print "overlap at " start; bad = 1 }
		last_start = start; last_end = end
	} END { exit (n == 0 || bad) }' "$T/trace"
}

@test "bimg-scan: warns when the filesystem is mounted, and still dumps it" {
	need_loop_mount
	local img
	img=$(corpus_img default)
	loop_mount_ro "$img" "$T/mnt"
	bimg-scan "$img" 2>"$T/err" >"$T/mounted.strm"
	grep -q "bimg-scan: warning: $img is mounted, results may be inaccurate" "$T/err"
	bimg-scan "$LOOPDEV" 2>"$T/err" >"$T/dev.strm"
	grep -q "bimg-scan: warning: $LOOPDEV is mounted" "$T/err"
	loop_cleanup
	bimg-scan "$img" 2>"$T/err" >"$T/plain.strm"
	refute grep -q warning "$T/err"
	cmp "$T/plain.strm" "$T/mounted.strm"
}

@test "bimg-scan: multi-device: needs the devices that hold the blocks" {
	local files
	files=$(corpus_files raid1) || skip "no raid1 case"
	# RAID1: either device alone has every block; both together of course too.
	bimg-scan $files >"$T/both.strm"
	bimg-scan $(echo $files | cut -d' ' -f2) >"$T/one.strm"
	run $STREAMCMP logicals "$T/both.strm"
	assert_success
	both=$output
	run $STREAMCMP logicals "$T/one.strm"
	assert_success
	assert_output "$both"
	run --separate-stderr bimg-scan "$(echo $files | cut -d' ' -f1)" "$(corpus_img default)"
	assert_failure 1
	assert_stderr --partial "fsid differs"
}
