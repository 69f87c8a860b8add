#!/usr/bin/env bats
# Restored targets are real filesystems: non-crc32c sources restore (the
# reference fails there) and every restored quick-corpus case mounts
# and shows the source's directory tree.

load lib/common
load lib/fixchunks

# Restore the reference's image of CASE, then btrfs check and mount it.
restore_checks_and_mounts() {
	local img
	img=$(fx_ref_image "$1" 0)
	fx_stream "$img" >"$BATS_TEST_TMPDIR/s"
	fx_restore "$BATS_TEST_TMPDIR/s" "$BATS_TEST_TMPDIR/t"
	btrfs check "$BATS_TEST_TMPDIR/t"
	run btrfs inspect-internal dump-super "$BATS_TEST_TMPDIR/t"
	assert_success
	assert_output --regexp 'csum[[:space:]]+0x[0-9a-f]+ \[match\]'
	need_loop_mount
	fx_mount_ro "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/mnt"
	[[ -n $(ls "$BATS_TEST_TMPDIR/mnt") ]]
}

@test "sha256 source: the reference's image restores, btrfs check is clean, it mounts" {
	restore_checks_and_mounts csum-sha256
}

@test "xxhash source (full corpus)" {
	CORPUS=$FULL_CORPUS restore_checks_and_mounts csum-xxhash
}

@test "blake2 source (full corpus)" {
	CORPUS=$FULL_CORPUS restore_checks_and_mounts csum-blake2
}

@test "every restored single-device quick case mounts and shows the source's tree" {
	local c img src failed="" n=0
	need_loop_mount
	for c in $(corpus_cases single); do
		img=$(fx_ref_image "$c" 0)
		src=$(corpus_img "$c")
		n=$((n + 1))
		rm -f "$BATS_TEST_TMPDIR/t"
		fx_stream "$img" >"$BATS_TEST_TMPDIR/s"
		fx_restore "$BATS_TEST_TMPDIR/s" "$BATS_TEST_TMPDIR/t" || { failed+=" $c(restore)"; continue; }
		fx_mount_ro "$src" "$BATS_TEST_TMPDIR/src" || { failed+=" $c(source mount)"; loop_cleanup; continue; }
		fx_mount_ro "$BATS_TEST_TMPDIR/t" "$BATS_TEST_TMPDIR/new" || { failed+=" $c(mount)"; loop_cleanup; continue; }
		fx_tree "$BATS_TEST_TMPDIR/src" >"$BATS_TEST_TMPDIR/tree.src"
		fx_tree "$BATS_TEST_TMPDIR/new" >"$BATS_TEST_TMPDIR/tree.new"
		loop_cleanup
		[[ $(wc -l <"$BATS_TEST_TMPDIR/tree.src") -gt 1 ]] || failed+=" $c(empty source tree)"
		diff "$BATS_TEST_TMPDIR/tree.src" "$BATS_TEST_TMPDIR/tree.new" >/dev/null || failed+=" $c"
	done
	[[ $n -gt 0 ]] || skip "no single-device case in $CORPUS"
	[[ -z $failed ]] || { echo "trees differ or restore failed:$failed"; return 1; }
}
