#!/usr/bin/env bats
# Every test filesystem of the full set, through the whole pipeline:
# bimg-scan (all devices) | bimg-pack -c1, restored by btrfs-image.sh -r to
# one target, btrfs check clean; a single-device source that mounts here is
# mounted next to its restore (one at a time: same fsid) and both show the
# same tree.  Multi-device trees are compared in tests/800-multidev.bats.

load lib/common
load lib/fixchunks

setup() {
	fx_setup
	T=$BATS_TEST_TMPDIR
}

teardown() {
	loop_cleanup
}

# The tree of IMAGE, mounted read-only without log replay (a crash image
# and its restore then show the same pre-log state).
tree_of() {
	fx_mount_ro "$1" "$T/mnt" || return 1
	fx_tree "$T/mnt"
	loop_cleanup
}

# A case mounts here unless its sectors are larger than a page.
mountable() {
	local sector
	sector=$(awk -F'\t' -v c="$1" '$1 == c { print $4 }' "$FULL_CORPUS/MANIFEST.tsv")
	[[ $(id -u) -eq 0 && $sector -le $(getconf PAGESIZE) ]]
}

@test "every case of the full set: dumped, restored to one target, btrfs check clean, same tree" {
	local c n=0 compared=0
	local -a files
	[[ -f $FULL_CORPUS/MANIFEST.tsv ]] || skip "no full set of test filesystems (make corpus)"
	for c in $(corpus_cases all "$FULL_CORPUS"); do
		mapfile -t files < <(CORPUS=$FULL_CORPUS corpus_files "$c")
		rm -f "$T/img" "$T/target"
		bimg-scan "${files[@]}" | bimg-pack -c1 -o "$T/img"
		btrfs-image.sh -r "$T/img" "$T/target"
		run btrfs check "$T/target"
		assert_success || { echo "case $c"; return 1; }
		n=$((n + 1))
		if ((${#files[@]} == 1)) && mountable "$c"; then
			tree_of "${files[0]}" >"$T/src.tree"
			tree_of "$T/target" >"$T/target.tree"
			[[ $(wc -l <"$T/src.tree") -gt 10 ]] || { echo "$c: the source tree is nearly empty"; return 1; }
			diff "$T/src.tree" "$T/target.tree" || { echo "$c: trees differ"; return 1; }
			compared=$((compared + 1))
		fi
	done
	echo "$n cases restored, $compared trees compared"
	# the 18 rootdir cases need no root; the mount cases do
	[[ $n -ge 18 ]]
}
