#!/usr/bin/env bats
# On-disk features that Debian's btrfs-progs 6.2 cannot make, from the
# committed fixtures of tests/images (its README.md gives the commands that
# made them): block-group-tree with each checksum type and on two devices,
# simple quotas, raid-stripe-tree, zoned (emulated on a file), and
# extent-tree-v2.  For each fixture:
#   dump     our -c0, -w and -c9 (zlib) images (wrapper and stages) equal
#            btrfs-image 6.19's, committed beside it (non-crc32c: equal
#            outside each block's checksum, ours in the filesystem's own
#            algorithm)
#   restore  our image and upstream's restore to the same target, which is
#            upstream's own restore where it has one
#   check    btrfs check 6.2 is clean, unless 6.2 cannot read the feature
#   mount    where the kernel mounts the source: the restored metadata shows
#            the source's tree, and a -d image its file contents as well
# With BTRFS_PROGS_619=DIR (the bin directory of a btrfs-progs 6.19 build),
# the comparison also runs live against that btrfs-image and btrfs check.

load lib/common
load lib/fixchunks

IMAGES="$ROOT/tests/images"
MANIFEST="python3 $ROOT/tests/lib/tree-manifest.py"
SINGLE="bgt-crc32c bgt-xxhash bgt-sha256 bgt-blake2 squota zoned rst etv2"

setup() {
	[[ -x $BIN/bimg-scan && -x $BIN/bimg-fixchunks ]] || skip "bin/ is not built"
	command -v xz >/dev/null || skip "xz is missing"
	T=$BATS_TEST_TMPDIR
}

teardown() {
	loop_cleanup
}

# The source images of fixture NAME, first device first, unpacked once per
# file (sparse: holes stay holes).  Nothing here writes to them.
fixture() {
	local dir=$BATS_FILE_TMPDIR/src
	if [[ ! -e $dir/$1.img ]]; then
		mkdir -p "$dir"
		tar -xJf "$IMAGES/$1.img.tar.xz" -C "$dir" || return 1
	fi
	echo "$dir/$1.img"
	[[ ! -e $dir/$1.dev2.img ]] || echo "$dir/$1.dev2.img"
}

upstream_c0() { # NAME: upstream's -c0 dump, decompressed
	xz -dc "$IMAGES/$1.619.c0.img.xz" >"$T/$1.619.c0.img" && echo "$T/$1.619.c0.img"
}

is_crc32c() {
	[[ $1 != bgt-xxhash && $1 != bgt-sha256 && $1 != bgt-blake2 ]]
}

# devid in a superblock at OFFSET of FILE
sb_devid() {
	od -An -tu8 -j $(($2 + 201)) -N8 "$1" | tr -d ' '
}

# Sets DEVS: the fixture's devices, the one whose superblock upstream's
# image carries first (upstream takes the first device its scan finds;
# docs/compat.md), so that our image can be compared byte for byte.
devices_like_upstream() { # NAME UPSTREAM-IMAGE
	local want d first=""
	local -a rest=()
	mapfile -t DEVS < <(fixture "$1")
	[[ ${#DEVS[@]} -gt 1 ]] || return 0
	want=$(sb_devid "$2" 1024) # the image's superblock item follows its first index block
	for d in "${DEVS[@]}"; do
		if [[ -z $first && $(sb_devid "$d" 65536) == "$want" ]]; then first=$d; else rest+=("$d"); fi
	done
	[[ -n $first ]] || { echo "no device of $1 has devid $want"; return 1; }
	DEVS=("$first" "${rest[@]}")
}

# btrfs-image.sh's arguments for a dump of DEVS to OUT.
wrapper_dump() { # OPTIONS... -- OUT
	local -a opts=() extra=()
	local d
	while [[ $1 != -- ]]; do opts+=("$1"); shift; done
	shift
	for d in "${DEVS[@]:1}"; do extra+=(--device "$d"); done
	btrfs-image.sh "${opts[@]}" "${DEVS[0]}" "${extra[@]}" "$1"
}

dump_equals_upstream() { # NAME
	local up upw
	up=$(upstream_c0 "$1")
	devices_like_upstream "$1" "$up"
	wrapper_dump -c0 -- "$T/ours.c0"
	bimg-scan "${DEVS[@]}" >"$T/stream"
	bimg-pack -c0 -o "$T/stages.c0" <"$T/stream"
	cmp "$T/ours.c0" "$T/stages.c0"
	upw="$T/$1.619.w.c0.img"
	xz -dc "$IMAGES/$1.619.w.c0.img.xz" >"$upw"
	devices_like_upstream "$1" "$upw"
	bimg-scan -w "${DEVS[@]}" >"$T/walk"
	if is_crc32c "$1"; then
		cmp "$T/ours.c0" "$up"
		bimg-pack -c0 -o "$T/ours.w" <"$T/walk"
		cmp "$T/ours.w" "$upw"
		devices_like_upstream "$1" "$up"
		BIMG_DEFLATE=zlib wrapper_dump -c9 -- "$T/ours.c9"
		cmp "$T/ours.c9" "$IMAGES/$1.619.c9.img"
	else
		# Upstream writes CRC-32C into every block of a non-crc32c filesystem.
		$STREAMCMP compare "$T/stream" "$up" --mask-csum
		$STREAMCMP verify "$T/stream"
		$STREAMCMP compare "$T/walk" "$upw" --mask-csum
	fi
}

# Our -c9 image of fixture NAME restored with the wrapper, made once per
# file for the tests that only read it; prints its path.
restored() { # NAME
	local dir=$BATS_FILE_TMPDIR/$1
	if [[ ! -e $dir/r.ours ]]; then
		mkdir -p "$dir"
		mapfile -t DEVS < <(fixture "$1")
		wrapper_dump -c9 -- "$dir/ours.img" >&2 || return 1
		btrfs-image.sh -r "$dir/ours.img" "$dir/r.ours" >&2 || return 1
	fi
	echo "$dir/r.ours"
}

# Our image and upstream's, restored with the wrapper and the stages: one
# target, left in $T/r.ours.
restore_both() { # NAME
	devices_like_upstream "$1" "$(upstream_c0 "$1")"
	wrapper_dump -c9 -- "$T/ours.img"
	btrfs-image.sh -r "$T/ours.img" "$T/r.ours"
	bimg-unpack "$T/ours.img" | bimg-fixchunks "$T/r.stages"
	fx_cmp "$T/r.ours" "$T/r.stages"
	btrfs-image.sh -r "$IMAGES/$1.619.c9.img" "$T/r.up"
	fx_cmp "$T/r.ours" "$T/r.up"
}

restore_equals_upstream() { # NAME
	restore_both "$1"
	if [[ ! -e $IMAGES/$1.619.restored.img.tar.xz ]]; then
		# Nothing to compare with: upstream failed, as its log says.
		grep -q '^btrfs-image -r exit status: [1-9]' "$IMAGES/$1.619.log"
		return 0
	fi
	tar -xJf "$IMAGES/$1.619.restored.img.tar.xz" -C "$T"
	fx_cmp "$T/r.ours" "$T/$1.619.restored.img"
}

# btrfs check 6.2 of our restore; skipped only when 6.2 does not know the feature.
check_restored() { # NAME
	local r
	r=$(restored "$1")
	run btrfs check "$r"
	if [[ $status -ne 0 && $output == *"unsupported option features"* ]]; then
		skip "btrfs-progs 6.2 cannot read $1: $(grep -m1 unsupported <<<"$output")"
	fi
	assert_success
}

kernel_feature() { # NAME: the /sys/fs/btrfs/features entry the kernel needs
	case $1 in
	bgt-*) echo block_group_tree ;;
	squota) echo simple_quota ;;
	zoned) echo zoned ;;
	rst) echo raid_stripe_tree ;;
	etv2) echo extent_tree_v2 ;;
	esac
}

# Mount the devices of FILES read-only at DIR (several: scanned first).
mount_files() { # DIR FILES...
	local dir=$1 f d
	local -a devs=()
	shift
	for f in "$@"; do
		d=$(losetup --find --show --read-only "$f") || return 1
		LOOP_DEVS+=("$d")
		devs+=("$d")
	done
	[[ ${#devs[@]} -eq 1 ]] || for d in "${devs[@]}"; do btrfs device scan "$d" >/dev/null || return 1; done
	mkdir -p "$dir"
	mount -t btrfs -o ro,rescue=nologreplay "${devs[0]}" "$dir" || return 1
	LOOP_MOUNTS+=("$dir")
}

# The source mounted at $T/src, or a skip when the kernel cannot mount the
# feature (a failure when it says it can).
mount_source() { # NAME
	local feature
	feature=$(kernel_feature "$1")
	mapfile -t DEVS < <(fixture "$1")
	if ! mount_files "$T/src" "${DEVS[@]}"; then
		[[ ! -e /sys/fs/btrfs/features/$feature ]] || { echo "the kernel lists $feature but cannot mount $1"; return 1; }
		loop_cleanup
		skip "the kernel cannot mount $1 (no $feature in /sys/fs/btrfs/features)"
	fi
}

mount_restored() { # NAME
	local n
	need_loop_mount
	mount_source "$1"
	fx_tree "$T/src" >"$T/src.tree"
	$MANIFEST "$T/src" >"$T/src.manifest"
	n=$(count_entries "$T/src")
	loop_cleanup
	[[ $n -ge 17 ]] || { echo "only $n entries in the source"; return 1; }

	mount_files "$T/mnt" "$(restored "$1")"
	fx_tree "$T/mnt" >"$T/ours.tree"
	[[ $(count_entries "$T/mnt") -eq $n ]]
	loop_cleanup
	diff "$T/src.tree" "$T/ours.tree"

	# -d: the file contents come back too.
	mapfile -t DEVS < <(fixture "$1")
	wrapper_dump -d -c1 -- "$T/data.img"
	btrfs-image.sh -r "$T/data.img" "$T/r.data"
	mount_files "$T/mnt" "$T/r.data"
	$MANIFEST "$T/mnt" >"$T/data.manifest"
	loop_cleanup
	diff "$T/src.manifest" "$T/data.manifest"
}

@test "bgt-crc32c: our dumps equal btrfs-image 6.19's" { dump_equals_upstream bgt-crc32c; }
@test "bgt-crc32c: our restore of ours and of 6.19's image equals 6.19's restore" { restore_equals_upstream bgt-crc32c; }
@test "bgt-crc32c: btrfs check 6.2 of the restore is clean" { check_restored bgt-crc32c; }
@test "bgt-crc32c: the restore mounts with the source's tree (and -d its contents)" { mount_restored bgt-crc32c; }

@test "bgt-xxhash: our dumps equal btrfs-image 6.19's outside the checksums, which verify" { dump_equals_upstream bgt-xxhash; }
@test "bgt-xxhash: our restore of ours and of 6.19's image are one target (6.19 cannot restore it)" { restore_equals_upstream bgt-xxhash; }
@test "bgt-xxhash: btrfs check 6.2 of the restore is clean" { check_restored bgt-xxhash; }
@test "bgt-xxhash: the restore mounts with the source's tree (and -d its contents)" { mount_restored bgt-xxhash; }

@test "bgt-sha256: our dumps equal btrfs-image 6.19's outside the checksums, which verify" { dump_equals_upstream bgt-sha256; }
@test "bgt-sha256: our restore of ours and of 6.19's image are one target (6.19 cannot restore it)" { restore_equals_upstream bgt-sha256; }
@test "bgt-sha256: btrfs check 6.2 of the restore is clean" { check_restored bgt-sha256; }
@test "bgt-sha256: the restore mounts with the source's tree (and -d its contents)" { mount_restored bgt-sha256; }

@test "bgt-blake2: our dumps equal btrfs-image 6.19's outside the checksums, which verify" { dump_equals_upstream bgt-blake2; }
@test "bgt-blake2: our restore of ours and of 6.19's image are one target (6.19 cannot restore it)" { restore_equals_upstream bgt-blake2; }
@test "bgt-blake2: btrfs check 6.2 of the restore is clean" { check_restored bgt-blake2; }
@test "bgt-blake2: the restore mounts with the source's tree (and -d its contents)" { mount_restored bgt-blake2; }

@test "bgt-raid1: our dumps of both devices equal btrfs-image 6.19's" { dump_equals_upstream bgt-raid1; }
@test "bgt-raid1: btrfs check 6.2 of the one-device restore is clean" { check_restored bgt-raid1; }
@test "bgt-raid1: the one-device restore mounts with the source's tree (and -d its contents)" { mount_restored bgt-raid1; }

@test "bgt-raid1: our dump and 6.19's restore to one target" {
	restore_both bgt-raid1
}

@test "bgt-raid1: the block group tree of our restore has 6.19's block group flags, all single" {
	local r
	r=$(restored bgt-raid1)
	tar -xJf "$IMAGES/bgt-raid1.619.restored.img.tar.xz" -C "$T"
	run btrfs inspect-internal dump-tree -t 11 "$r"
	assert_success
	grep -o 'key ([0-9]* BLOCK_GROUP_ITEM [0-9]*)\|flags [A-Z|0-9]*' <<<"$output" >"$T/ours.bg"
	run btrfs inspect-internal dump-tree -t 11 "$T/bgt-raid1.619.restored.img"
	assert_success
	grep -o 'key ([0-9]* BLOCK_GROUP_ITEM [0-9]*)\|flags [A-Z|0-9]*' <<<"$output" >"$T/up.bg"
	[[ $(grep -c BLOCK_GROUP_ITEM "$T/ours.bg") -eq 3 ]]
	run grep -q RAID "$T/ours.bg"
	assert_failure 1
	diff "$T/up.bg" "$T/ours.bg"
}

@test "squota: our dumps equal btrfs-image 6.19's" { dump_equals_upstream squota; }
@test "squota: our restore of ours and of 6.19's image equals 6.19's restore" { restore_equals_upstream squota; }
@test "squota: btrfs check 6.2 of the restore is clean" { check_restored squota; }
@test "squota: the restore mounts with the source's tree (and -d its contents)" { mount_restored squota; }

@test "zoned: our dumps equal btrfs-image 6.19's" { dump_equals_upstream zoned; }
@test "zoned: our restore of ours and of 6.19's image equals 6.19's restore" { restore_equals_upstream zoned; }
@test "zoned: btrfs check 6.2 of the restore is clean" { check_restored zoned; }
@test "zoned: the restore mounts with the source's tree (and -d its contents)" { mount_restored zoned; }

@test "rst: our dumps equal btrfs-image 6.19's" { dump_equals_upstream rst; }
@test "rst: our restore of ours and of 6.19's image equals 6.19's restore" { restore_equals_upstream rst; }
@test "rst: btrfs check 6.2 of the restore is clean" { check_restored rst; }
@test "rst: the restore mounts with the source's tree (and -d its contents)" { mount_restored rst; }

@test "etv2: our dumps equal btrfs-image 6.19's" { dump_equals_upstream etv2; }
@test "etv2: our restore of ours and of 6.19's image equals 6.19's restore" { restore_equals_upstream etv2; }
@test "etv2: btrfs check 6.2 of the restore is clean" { check_restored etv2; }
@test "etv2: the restore mounts with the source's tree (and -d its contents)" { mount_restored etv2; }

@test "etv2: a second extent tree that is not empty stops an extent-tree dump with one message; -w dumps it" {
	local src
	src=$(fixture etv2)
	python3 "$ROOT/tests/lib/etv2-spread.py" "$src" "$T/spread.img" >/dev/null
	bimg-scan "$src" >/dev/null
	run --separate-stderr bimg-scan "$T/spread.img"
	assert_failure 1
	[[ $stderr == "bimg-scan: $T/spread.img: extent tree 1 of this extent-tree-v2 filesystem is not empty"*"dump it with -w" ]]
	[[ $(wc -l <<<"$stderr") -eq 1 ]]
	run btrfs-image.sh -c0 "$T/spread.img" "$T/spread.c0"
	assert_failure 1
	[[ ! -e $T/spread.c0 ]]
	# Walking finds the same blocks as in the unchanged filesystem, every one of them.
	bimg-scan -w "$T/spread.img" | bimg-unpack --list - | awk '$1 == "TREE_BLOCK" { print $2 }' | sort >"$T/spread.blocks"
	bimg-scan -w "$src" | bimg-unpack --list - | awk '$1 == "TREE_BLOCK" { print $2 }' | sort >"$T/src.blocks"
	bimg-scan "$src" | bimg-unpack --list - | awk '$1 == "TREE_BLOCK" { print $2 }' | sort >"$T/extent.blocks"
	[[ $(wc -l <"$T/src.blocks") -gt 10 ]]
	diff "$T/src.blocks" "$T/spread.blocks"
	diff "$T/src.blocks" "$T/extent.blocks"
}

@test "live btrfs-progs 6.19 (BTRFS_PROGS_619): its dumps are the committed ones; its check is clean on our restores" {
	local P=${BTRFS_PROGS_619:-} n src
	[[ -n $P ]] || skip "set BTRFS_PROGS_619 to the bin directory of a btrfs-progs 6.19 build to compare live"
	[[ -x $P/btrfs-image && -x $P/btrfs ]] || skip "$P has no btrfs-image and btrfs"
	"$P/btrfs" --version | grep -q 'v6\.19' || skip "$P/btrfs is not 6.19"
	for n in $SINGLE; do
		src=$(fixture "$n")
		"$P/btrfs-image" -c0 "$src" "$T/$n.live.c0" 2>/dev/null
		cmp "$T/$n.live.c0" "$(upstream_c0 "$n")" || { echo "$n: 6.19 now dumps differently"; return 1; }
		"$P/btrfs-image" -w -c0 "$src" "$T/$n.live.w" 2>/dev/null
		xz -dc "$IMAGES/$n.619.w.c0.img.xz" | cmp "$T/$n.live.w" - || { echo "$n: 6.19 now dumps -w differently"; return 1; }
		btrfs-image.sh -c9 "$src" "$T/$n.ours.img"
		btrfs-image.sh -r "$T/$n.ours.img" "$T/$n.r"
		"$P/btrfs" check "$T/$n.r" >/dev/null 2>&1 || { echo "$n: btrfs check 6.19 fails on our restore"; return 1; }
		btrfs-image.sh -d -c1 "$src" "$T/$n.data.img"
		btrfs-image.sh -r "$T/$n.data.img" "$T/$n.rd"
		"$P/btrfs" check --check-data-csum "$T/$n.rd" >/dev/null 2>&1 ||
			{ echo "$n: btrfs check --check-data-csum 6.19 fails on our -d restore"; return 1; }
		rm -f "$T/$n".*
	done
	mapfile -t DEVS < <(fixture bgt-raid1)
	wrapper_dump -c9 -- "$T/raid1.img"
	btrfs-image.sh -r "$T/raid1.img" "$T/raid1.r"
	"$P/btrfs" check "$T/raid1.r" >/dev/null 2>&1 || { echo "bgt-raid1: btrfs check 6.19 fails on our restore"; return 1; }
}
