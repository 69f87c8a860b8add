#!/usr/bin/env bats
# RAID1C4 (the raid1c4 test filesystem, four devices): dumped, restored to
# one target and with -m to four, each checked, mounted and compared with
# the source's tree; and a dump that finds three of the four copies of a
# block damaged.

load lib/common
load lib/fixchunks

setup() {
	fx_setup
	need_loop_mount
	T=$BATS_TEST_TMPDIR
	mapfile -t SRC < <(corpus_files raid1c4)
	[[ ${#SRC[@]} -eq 4 ]] || skip "test filesystem raid1c4 not built (make corpus, as root)"
}

teardown() {
	loop_cleanup
}

# Mount the four files (read-only loops) or the given targets; print the tree.
tree_of() {
	local f d first=""
	for f in "$@"; do
		d=$(losetup --find --show --read-only "$f")
		LOOP_DEVS+=("$d")
		btrfs device scan "$d" >/dev/null
		[[ -n $first ]] || first=$d
	done
	mkdir -p "$T/m"
	mount -t btrfs -o ro "$first" "$T/m"
	LOOP_MOUNTS+=("$T/m")
	fx_tree "$T/m"
	loop_cleanup
}

@test "raid1c4: dump, restore to one target: check clean, single chunks, same tree" {
	tree_of "${SRC[@]}" >"$T/src.tree"
	bimg-scan "${SRC[@]}" | bimg-pack -c1 -o "$T/img"
	btrfs-image.sh -r "$T/img" "$T/one"
	btrfs check "$T/one"
	run btrfs inspect-internal dump-tree -t chunk "$T/one"
	assert_success
	refute_output --partial RAID1C4
	refute_output --partial "num_stripes 4"
	tree_of "$T/one" >"$T/one.tree"
	[[ $(wc -l <"$T/src.tree") -gt 20 ]]
	diff "$T/src.tree" "$T/one.tree"
}

@test "raid1c4: -m onto four targets: check clean with all, same tree" {
	tree_of "${SRC[@]}" >"$T/src.tree"
	bimg-scan "${SRC[@]}" | bimg-pack -o "$T/img"
	btrfs-image.sh -m "$T/img" "$T"/t{1,2,3,4}
	tree_of "$T"/t{1,2,3,4} >"$T/m.tree"
	diff "$T/src.tree" "$T/m.tree"
	local d devs=()
	for d in "$T"/t{1,2,3,4}; do devs+=("$(losetup --find --show "$d")"); LOOP_DEVS+=("${devs[-1]}"); done
	for d in "${devs[@]}"; do btrfs device scan "$d" >/dev/null; done
	btrfs check "${devs[0]}"
}

@test "raid1c4: three copies of the root tree root damaged: the fourth is used and says so" {
	local root i
	for i in 1 2 3 4; do cp --sparse=always "${SRC[i - 1]}" "$T/c$i.img"; done
	root=$(btrfs inspect-internal dump-super "$T/c1.img" | awk '$1 == "root" { print $2 }')
	btrfs inspect-internal dump-tree -t chunk "$T/c1.img" >"$T/chunks"
	python3 "$ROOT/tests/lib/multidev-corrupt.py" "$T/chunks" "$root" copy0,copy1,copy2 "$T"/c{1,2,3,4}.img
	bimg-scan "$T"/c{1,2,3,4}.img 2>"$T/err" | bimg-pack -o "$T/img"
	cat "$T/err"
	grep -q "tree block $root" "$T/err"
	grep -q "used copy 4" "$T/err"
	btrfs-image.sh -r "$T/img" "$T/one"
	btrfs check "$T/one"
	# all four damaged: the dump fails naming the block
	python3 "$ROOT/tests/lib/multidev-corrupt.py" "$T/chunks" "$root" copy3 "$T"/c{1,2,3,4}.img
	run bimg-scan "$T"/c{1,2,3,4}.img
	assert_failure 1
	assert_output --partial "$root"
}
