#!/usr/bin/env bats
# Multi-device filesystems (docs/restore.md: one target, and -m): dump
# with every device given, restore to one target (every chunk SINGLE or
# DUP) and with -m to one target per device; mirror and parity fallback.
# Sources and restores are never attached at the same time (same fsid).

load lib/common
load lib/fixchunks

CORRUPT="$ROOT/tests/lib/multidev-corrupt.py"

setup() {
	fx_setup
	need_loop_mount
	T=$BATS_TEST_TMPDIR
}

teardown() {
	loop_cleanup
}

# Attach FILES as loop devices (read-only with ro=1), let btrfs know them; sets DEVS.
attach() {
	local f d ro=$1
	shift
	DEVS=()
	for f in "$@"; do
		if [[ $ro == 1 ]]; then d=$(losetup --find --show --read-only "$f"); else d=$(losetup --find --show "$f"); fi
		LOOP_DEVS+=("$d")
		DEVS+=("$d")
	done
	for d in "${DEVS[@]}"; do btrfs device scan "$d" >/dev/null; done
}

mount_ro() { # DEV DIR
	mkdir -p "$2"
	mount -t btrfs -o ro "$1" "$2"
	LOOP_MOUNTS+=("$2")
}

# The source's directory tree, read through read-only loop devices.
source_tree() {
	local -a files
	mapfile -t files < <(corpus_files "$1")
	attach 1 "${files[@]}"
	mount_ro "${DEVS[0]}" "$T/src"
	fx_tree "$T/src" >"$T/src.tree"
	loop_cleanup
}

# Stream of CASE: bimg-scan of all devices, packed and unpacked.
case_stream() {
	local -a files
	mapfile -t files < <(corpus_files "$1") || skip "corpus case $1 not built"
	[[ ${#files[@]} -gt 1 ]] || skip "corpus case $1 not built"
	bimg-scan "${files[@]}" | bimg-pack -o "$T/img"
	bimg-unpack "$T/img" >"$T/stream"
}

single_target() {
	case_stream "$1"
	source_tree "$1"
	bimg-fixchunks "$T/one" <"$T/stream"
	btrfs check "$T/one"
	run btrfs inspect-internal dump-tree -t chunk "$T/one"
	assert_success
	refute_output --regexp 'RAID|num_stripes [3-9]'
	refute_output --regexp 'devid [2-9]'
	attach 1 "$T/one"
	mount_ro "${DEVS[0]}" "$T/mnt"
	fx_tree "$T/mnt" >"$T/one.tree"
	diff "$T/src.tree" "$T/one.tree"
}

multi_target() {
	local n i
	local -a targets
	case_stream "$1"
	source_tree "$1"
	n=$(corpus_files "$1" | wc -l)
	for ((i = 1; i <= n; i++)); do targets+=("$T/m$i"); done
	bimg-fixchunks -m "${targets[@]}" <"$T/stream"
	attach 0 "${targets[@]}"
	btrfs check "${DEVS[0]}"
	mount_ro "${DEVS[0]}" "$T/mnt"
	fx_tree "$T/mnt" >"$T/m.tree"
	diff "$T/src.tree" "$T/m.tree"
}

@test "raid1: dump all devices, restore to one target: check clean, mounts, same tree" { single_target raid1; }
@test "raid0: one target" { single_target raid0; }
@test "raid10: one target" { single_target raid10; }
@test "raid1c3: one target" { single_target raid1c3; }
@test "raid5: one target" { single_target raid5; }
@test "raid6: one target" { single_target raid6; }
@test "dup-single-2dev: one target (DUP copies of devid 2 moved, no overlap)" { single_target dup-single-2dev; }

@test "raid1: -m onto two targets: check clean, mounts with both" { multi_target raid1; }
@test "raid0: -m" { multi_target raid0; }
@test "raid10: -m" { multi_target raid10; }
@test "raid1c3: -m" { multi_target raid1c3; }
@test "dup-single-2dev: -m" { multi_target dup-single-2dev; }

@test "raid5 and raid6: -m recomputes parity: degraded mounts without one (raid5) or two (raid6) devices" {
	local c keep
	for c in raid5 raid6; do
		multi_target $c
		loop_cleanup
		if [[ $c == raid5 ]]; then keep=("$T/m1" "$T/m3"); else keep=("$T/m3" "$T/m4"); fi
		attach 1 "${keep[@]}"
		mkdir -p "$T/deg"
		mount -t btrfs -o ro,degraded "${DEVS[0]}" "$T/deg"
		LOOP_MOUNTS+=("$T/deg")
		fx_tree "$T/deg" >"$T/deg.tree"
		diff "$T/src.tree" "$T/deg.tree"
		loop_cleanup
	done
}

@test "-m needs as many targets as the source had devices" {
	case_stream raid1c3
	run bimg-fixchunks -m "$T/a" "$T/b" <"$T/stream"
	assert_failure
	assert_output --partial "3 devices but 2 targets"
}

@test "the reference's images of raid1 and raid10 restore like the reference's own restore" {
	local c
	local -a files
	for c in raid1 raid10; do
		mapfile -t files < <(corpus_files $c)
		[[ ${#files[@]} -gt 1 ]] || skip "corpus case $c not built"
		attach 1 "${files[@]}"
		btrfs-image "${DEVS[0]}" "$T/$c.ref.img"
		loop_cleanup
		btrfs-image -r "$T/$c.ref.img" "$T/$c.theirs"
		bimg-unpack "$T/$c.ref.img" | bimg-fixchunks "$T/$c.ours"
		btrfs check "$T/$c.theirs"
		btrfs check "$T/$c.ours"
		# Same chunks (logical start, length, type) as the reference's restore.
		diff <(btrfs inspect-internal dump-tree -t chunk "$T/$c.theirs" | grep -A1 CHUNK_ITEM | grep -o 'CHUNK_ITEM [0-9]*\|length [0-9]*\|type [A-Z|]*') \
			<(btrfs inspect-internal dump-tree -t chunk "$T/$c.ours" | grep -A1 CHUNK_ITEM | grep -o 'CHUNK_ITEM [0-9]*\|length [0-9]*\|type [A-Z|]*')
		attach 1 "$T/$c.ours"
		mount_ro "${DEVS[0]}" "$T/mnt"
		[[ -n $(ls "$T/mnt") ]]
		loop_cleanup
	done
}

# Copy the devices of CASE into $T/bad, damage the root tree root as WHICH says.
damaged_copy() {
	local c=$1 which=$2 root f
	local -a files copies
	mapfile -t files < <(corpus_files "$c")
	[[ ${#files[@]} -gt 1 ]] || skip "corpus case $c not built"
	mkdir -p "$T/bad"
	attach 1 "${files[@]}"
	btrfs inspect-internal dump-tree -t chunk "${DEVS[0]}" >"$T/chunks.txt"
	loop_cleanup
	for f in "${files[@]}"; do
		cp --sparse=always "$f" "$T/bad/"
		copies+=("$T/bad/$(basename "$f")")
	done
	root=$(btrfs inspect-internal dump-super "${files[0]}" | awk '$1 == "root" { print $2 }')
	python3 "$CORRUPT" "$T/chunks.txt" "$root" "$which" "${copies[@]}"
	BAD=("${copies[@]}")
	ROOT_BLOCK=$root
}

@test "raid1 with one mirror of a tree block damaged: the dump falls back to the other copy and says so; restore is clean" {
	damaged_copy raid1 copy0
	run bash -c 'bimg-scan "$@" 2>"$0.err" | bimg-pack -o "$0.img"; cat "$0.err"' "$T/x" "${BAD[@]}"
	assert_success
	assert_output --regexp "tree block $ROOT_BLOCK: first copy bad \(checksum mismatch\); used copy 2 on devid 2"
	bimg-unpack "$T/x.img" | bimg-fixchunks "$T/one"
	btrfs check "$T/one"
}

@test "raid5: a damaged data stripe is rebuilt from P" {
	damaged_copy raid5 copy0
	run bimg-scan "${BAD[@]}"
	assert_success
	assert_output --partial "tree block $ROOT_BLOCK: first copy bad (checksum mismatch); used a rebuild from the P parity"
}

@test "raid6: a damaged data stripe and P: rebuilt from Q" {
	damaged_copy raid6 copy0,p
	bimg-scan "${BAD[@]}" 2>"$T/err" >"$T/stream"
	grep -F "tree block $ROOT_BLOCK: first copy bad (checksum mismatch); used a rebuild from the Q parity" "$T/err"
	bimg-fixchunks "$T/one" <"$T/stream"
	btrfs check "$T/one"
}

@test "raid5: data stripe and P both damaged: the dump fails naming the block" {
	damaged_copy raid5 copy0,p
	run bimg-scan "${BAD[@]}"
	assert_failure
	assert_output --partial "cannot read tree block $ROOT_BLOCK"
}
