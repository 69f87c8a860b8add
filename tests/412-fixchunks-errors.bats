#!/usr/bin/env bats
# bimg-fixchunks on bad input and in its other modes: damaged tree blocks,
# misclassified blocks, interrupted streams, protected targets, -o,
# and the command line.

load lib/common
load lib/fixchunks

setup() {
	fx_setup
	IMG=$(fx_ref_image default 0)
	S="$BATS_TEST_TMPDIR/s"
	T="$BATS_TEST_TMPDIR/t"
}

teardown() {
	loop_cleanup
}

@test "a damaged tree block: exit 1 naming its address" {
	fx_stream "$IMG" --damage 5 >"$S" 2>"$BATS_TEST_TMPDIR/damaged"
	bytenr=$(awk '{print $NF}' "$BATS_TEST_TMPDIR/damaged")
	[[ -n $bytenr ]]
	run fx_restore "$S" "$T"
	assert_failure 1
	assert_output "bimg-fixchunks: tree block $bytenr: crc32c checksum mismatch (--ignore-bad-blocks restores damaged blocks as they are)"
	no_valid_superblock "$T"
}

@test "--ignore-bad-blocks: a damaged tree block is written as it is and counted" {
	fx_stream "$IMG" --damage 5 >"$S" 2>/dev/null
	run fx_restore "$S" "$T" --ignore-bad-blocks
	assert_success
	assert_output "bimg-fixchunks: 1 damaged tree blocks written as they were"
	btrfs inspect-internal dump-super "$T" | grep -q 'csum.*\[match\]'
}

@test "--ignore-bad-blocks: a damaged chunk root still fails, naming it, and leaves no superblock" {
	chunk_root=$(btrfs inspect-internal dump-super "$(corpus_img default)" | awk '$1 == "chunk_root" {print $2}')
	# The chunk tree of a fresh filesystem is the first tree block in a reference image.
	fx_stream "$IMG" --damage 0 >"$S" 2>"$BATS_TEST_TMPDIR/damaged"
	[[ $(awk '{print $NF}' "$BATS_TEST_TMPDIR/damaged") == "$chunk_root" ]] || skip "block 0 is not the chunk root here"
	run fx_restore "$S" "$T" --ignore-bad-blocks
	assert_failure 1
	assert_output "bimg-fixchunks: $T: incomplete restore: chunk tree block $chunk_root is missing from the stream or damaged"
	no_valid_superblock "$T"
}

@test "a tree block sent as DATA into a metadata chunk: exit 1 naming its address" {
	fx_stream "$IMG" --as-data 3 >"$S" 2>"$BATS_TEST_TMPDIR/moved"
	bytenr=$(awk '{print $4}' "$BATS_TEST_TMPDIR/moved")
	run fx_restore "$S" "$T"
	assert_failure 1
	[[ $output =~ ^bimg-fixchunks:\ data\ at\ $bytenr:\ .*metadata\ chunk ]] || { echo "$output"; return 1; }
}

@test "an interrupted stream: exit 1 and the target (a previous good restore) has no valid superblock" {
	fx_stream "$IMG" >"$S"
	fx_restore "$S" "$T"
	btrfs inspect-internal dump-super "$T" >/dev/null
	for cut in 100 5000 $(($(stat -c %s "$S") / 2)) $(($(stat -c %s "$S") - 10)); do
		head -c "$cut" "$S" >"$BATS_TEST_TMPDIR/cut"
		run fx_restore "$BATS_TEST_TMPDIR/cut" "$T"
		assert_failure 1 || { echo "cut at $cut"; return 1; }
		assert_output --regexp '^bimg-fixchunks: reading stream.*truncated' || { echo "cut at $cut"; return 1; }
		no_valid_superblock "$T"
	done
}

@test "an interrupted stream onto a block device: the old superblock and its copy are gone" {
	need_loop_mount
	fx_stream "$IMG" >"$S"
	truncate -s 300M "$BATS_TEST_TMPDIR/dev"
	dev=$(losetup --find --show "$BATS_TEST_TMPDIR/dev")
	LOOP_DEVS+=("$dev")
	fx_restore "$S" "$dev"
	btrfs inspect-internal dump-super "$dev" >/dev/null
	# the copy at 64 MiB is there: it must not survive to describe trees half overwritten
	btrfs inspect-internal dump-super -s 1 "$dev" | grep -q '_BHRfS_M \[match\]'
	head -c 300000 "$S" >"$BATS_TEST_TMPDIR/cut"
	run fx_restore "$BATS_TEST_TMPDIR/cut" "$dev"
	assert_failure 1
	no_valid_superblock "$dev"
	run btrfs inspect-internal dump-super -s 1 "$dev"
	[[ ! $output =~ _BHRfS_M\ \[match\] ]] || { echo "the copy at 64 MiB is still valid"; return 1; }
}

@test "a mounted block device is refused and left alone" {
	need_loop_mount
	fx_stream "$IMG" >"$S"
	fx_restore "$S" "$T"
	loop_mount_ro "$T" "$BATS_TEST_TMPDIR/mnt"
	run fx_restore "$S" "$LOOPDEV"
	assert_failure 1
	assert_output "bimg-fixchunks: $LOOPDEV: refusing to restore: the device is mounted"
	ls "$BATS_TEST_TMPDIR/mnt" >/dev/null
}

@test "-m with more targets than the source had devices is refused (multi-device: tests/800-multidev.bats)" {
	fx_stream "$IMG" >"$S"
	run "$BIN/bimg-fixchunks" -m "$T" "$T.2" <"$S"
	assert_failure 1
	assert_output "bimg-fixchunks: -m: the filesystem has 1 devices but 2 targets were given"
}

@test "-o: every item at its logical address; same bytes as the reference's -o (which then fails)" {
	fx_stream "$IMG" >"$S"
	run btrfs-image -r -o -t 1 "$IMG" "$BATS_TEST_TMPDIR/ref"
	assert_failure 1 # the reference rejects its own fake chunk (docs/restore.md, -o)
	fx_restore "$S" "$T" -o
	fx_cmp "$BATS_TEST_TMPDIR/ref" "$T"
	run btrfs inspect-internal dump-super -f "$T"
	assert_success
	assert_output --regexp 'flags[[:space:]]+0x200000001'
	assert_output --regexp 'sys_array_size[[:space:]]+97'
}

@test "command line: --help, --version, usage errors, unusable targets" {
	run "$BIN/bimg-fixchunks" --help
	assert_success
	assert_line --index 0 --regexp '^usage: bimg-fixchunks'
	run "$BIN/bimg-fixchunks" --version
	assert_success
	assert_output --regexp '^bimg-fixchunks \(bimg\) [0-9]'
	run "$BIN/bimg-fixchunks"
	assert_failure 1
	assert_output "bimg-fixchunks: no target given: try 'bimg-fixchunks --help'"
	run "$BIN/bimg-fixchunks" a b
	assert_failure 1
	assert_output "bimg-fixchunks: 2 targets given: one without -m: try 'bimg-fixchunks --help'"
	run "$BIN/bimg-fixchunks" --bogus t
	assert_failure 1
	fx_stream "$IMG" >"$S"
	run fx_restore "$S" "$BATS_TEST_TMPDIR"
	assert_failure 1
	assert_output "bimg-fixchunks: $BATS_TEST_TMPDIR: not a regular file or a block device"
	run fx_restore "$S" /nonexistent/dir/t
	assert_failure 1
	assert_output --regexp '^bimg-fixchunks: /nonexistent/dir/t: cannot create: No such'
	run bash -c "printf 'this is not a record stream, not at all' | '$BIN/bimg-fixchunks' '$T'"
	assert_failure 1
	assert_output --partial 'bad magic'
}
