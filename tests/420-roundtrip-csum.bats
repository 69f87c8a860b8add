#!/usr/bin/env bats
# Restores that pass btrfs check and mount, for our own images of xxhash, sha256 and blake2 filesystems
# (the reference can dump them but never restore them): dump and restore
# with the wrapper, then btrfs check, a read-only mount, and the source's
# directory tree (names, types, sizes, modes, link counts).

load lib/common
load lib/fixchunks

roundtrip() {
	local src T=$BATS_TEST_TMPDIR
	src=$(CORPUS=$FULL_CORPUS corpus_img "$1")
	btrfs-image.sh -c9 "$src" "$T/img"
	btrfs-image.sh -r "$T/img" "$T/t"
	btrfs check "$T/t"
	run btrfs inspect-internal dump-super "$T/t"
	assert_success
	assert_output --regexp "csum_type.*\\($2\\)"
	assert_output --regexp 'csum[[:space:]]+0x[0-9a-f]+ \[match\]'
	need_loop_mount
	fx_mount_ro "$src" "$T/src"
	fx_tree "$T/src" >"$T/tree.src"
	loop_cleanup
	fx_mount_ro "$T/t" "$T/new"
	fx_tree "$T/new" >"$T/tree.new"
	loop_cleanup
	[[ $(wc -l <"$T/tree.src") -gt 10 ]]
	diff "$T/tree.src" "$T/tree.new"
}

@test "csum-xxhash: our dump and restore: check clean, mounts, same tree" {
	roundtrip csum-xxhash xxhash64
}

@test "csum-sha256: our dump and restore: check clean, mounts, same tree" {
	roundtrip csum-sha256 sha256
}

@test "csum-blake2: our dump and restore: check clean, mounts, same tree" {
	roundtrip csum-blake2 blake2
}
