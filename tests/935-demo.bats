#!/usr/bin/env bats
# make demo, the README's first command (tests/lib/demo.sh): it makes a
# filesystem from a generated tree, dumps it with the wrapper, restores it,
# runs btrfs check on the restore, and has the reference restore both its
# own image and ours.  A demo that stops working fails the suite.

load lib/common

@test "make demo: the restore passes btrfs check, the reference restores our image as its own, nothing left in TMPDIR" {
	local tmp=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$tmp"
	TMPDIR=$tmp run bash "$ROOT/tests/lib/demo.sh"
	assert_success
	assert_output --regexp 'btrfs check of our restore +ok'
	assert_output --regexp 'btrfs-image -r of both +identical'
	assert_output --regexp 'dump time +[0-9]+\.[0-9]{3}s +[0-9]+\.[0-9]{3}s'
	run ls -A "$tmp"
	assert_output ""
}
