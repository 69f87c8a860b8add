#!/usr/bin/env bats
# bimg-fixchunks --new-fsid: the restored filesystem gets another fsid so
# that it can be mounted next to its original; compared with btrfstune -U
# (same rewrite as -u, with a given fsid).

load lib/common
load lib/fixchunks

setup() {
	fx_setup
	T=$BATS_TEST_TMPDIR
	U=5d1f3c2a-7b6e-4c8d-9e0f-1a2b3c4d5e6f
}

teardown() {
	loop_cleanup
}

super_field() { # IMAGE FIELD
	btrfs inspect-internal dump-super "$1" | awk -v f="$2" '$1 == f { print $2; exit }'
}

# Every tree block header fsid and chunk tree DEV_ITEM fsid that dump-tree prints, sorted and unique.
tree_fsids() {
	btrfs inspect-internal dump-tree "$1" | awk '$1 == "fsid" { print $2 }' | sort -u
}

# Kernel's view of a mounted filesystem: its uuid as btrfs filesystem show prints it.
shown_uuid() {
	btrfs filesystem show "$1" | awk '/uuid:/ { print $NF; exit }'
}

@test "--new-fsid=UUID: check clean, every header and DEV_ITEM carries UUID, mounted next to the original" {
	need_loop_mount
	src=$(corpus_img default)
	img=$(fx_ref_image default 1)
	old=$(super_field "$src" fsid)
	bimg-unpack "$img" | bimg-fixchunks --new-fsid="$U" "$T/new"
	btrfs check "$T/new"
	[[ $(super_field "$T/new" fsid) == "$U" ]]
	[[ $(super_field "$T/new" dev_item.fsid) == "$U" ]]
	[[ $(tree_fsids "$T/new") == "$U" ]] || { tree_fsids "$T/new"; return 1; }
	[[ $(tree_fsids "$src") == "$old" ]]
	loop_mount_ro "$src" "$T/orig"
	loop_mount_ro "$T/new" "$T/restored"
	mountpoint -q "$T/orig"
	mountpoint -q "$T/restored"
	diff <(fx_tree "$T/orig") <(fx_tree "$T/restored")
	[[ $(shown_uuid "$T/orig") == "$old" ]]
	[[ $(shown_uuid "$T/restored") == "$U" ]]
	# Kernels from 6.7 mount a single-device clone under a temporary fsid; ours needs none.
	if [[ -e /sys/fs/btrfs/$U/temp_fsid ]]; then
		[[ $(cat "/sys/fs/btrfs/$U/temp_fsid") == 0 ]]
	fi
	[[ -d /sys/fs/btrfs/$U ]]
}

@test "--new-fsid without a value: a random fsid, another one each time" {
	img=$(fx_ref_image default 1)
	old=$(super_field "$(corpus_img default)" fsid)
	bimg-unpack "$img" | bimg-fixchunks --new-fsid "$T/a"
	bimg-unpack "$img" | bimg-fixchunks --new-fsid "$T/b"
	a=$(super_field "$T/a" fsid)
	b=$(super_field "$T/b" fsid)
	[[ $a =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]
	[[ $a != "$old" && $b != "$old" && $a != "$b" ]]
	btrfs check "$T/a"
}

@test "same bytes as btrfstune -U on a plain restore, but for the headers' chunk_tree_uuid and btrfstune's mirror" {
	command -v btrfstune >/dev/null || skip "btrfstune is missing"
	img=$(fx_ref_image default 1)
	bimg-unpack "$img" | bimg-fixchunks --new-fsid="$U" "$T/ours"
	bimg-unpack "$img" | bimg-fixchunks "$T/tuned"
	btrfstune -f -U "$U" "$T/tuned" >/dev/null
	nodesize=$(super_field "$T/ours" nodesize)
	[[ $(stat -c %s "$T/ours") == $(stat -c %s "$T/tuned") ]]
	# cmp -l: 1-based offsets.  Allowed: a tree block's checksum (0..31) and
	# chunk_tree_uuid (64..79), which btrfstune makes new; the superblock copy
	# at 64 MiB, which btrfstune also writes into a file.
	cmp -l "$T/ours" "$T/tuned" | awk -v ns="$nodesize" '
		{ o = $1 - 1; b = o % ns; n++ }
		o >= 67108864 && o < 67108864 + 4096 { next }
		b < 32 || (b >= 64 && b < 80) { next }
		{ print "unexpected difference at byte " o; bad = 1 }
		END { if (!n) { print "no difference at all: btrfstune changed nothing?"; bad = 1 } exit bad }'
}

@test "a METADATA_UUID source: only the superblock fsid changes; check clean; mounts next to the original" {
	need_loop_mount
	src=$(corpus_img metadata-uuid)
	btrfs-image -c1 "$src" "$T/img"
	meta=$(super_field "$src" metadata_uuid)
	[[ $meta != $(super_field "$src" fsid) ]] || skip "metadata-uuid case has no metadata_uuid"
	bimg-unpack "$T/img" | bimg-fixchunks --new-fsid="$U" "$T/new"
	btrfs check "$T/new"
	[[ $(super_field "$T/new" fsid) == "$U" ]]
	[[ $(super_field "$T/new" metadata_uuid) == "$meta" ]]
	[[ $(super_field "$T/new" dev_item.fsid) == "$meta" ]]
	[[ $(tree_fsids "$T/new") == "$meta" ]]
	loop_mount_ro "$src" "$T/orig"
	loop_mount_ro "$T/new" "$T/restored"
	diff <(fx_tree "$T/orig") <(fx_tree "$T/restored")
	[[ $(shown_uuid "$T/restored") == "$U" ]]
}

@test "a METADATA_UUID source given its metadata_uuid as the new fsid: the flag goes; check clean" {
	src=$(corpus_img metadata-uuid)
	btrfs-image -c1 "$src" "$T/img"
	meta=$(super_field "$src" metadata_uuid)
	bimg-unpack "$T/img" | bimg-fixchunks --new-fsid="$meta" "$T/new"
	btrfs check "$T/new"
	[[ $(super_field "$T/new" fsid) == "$meta" ]]
	run btrfs inspect-internal dump-super -f "$T/new"
	assert_success
	refute_output --partial METADATA_UUID
	run btrfs inspect-internal dump-super -f "$src"
	assert_success
	assert_output --partial METADATA_UUID
}

@test "multi-device source, one target and -m: the new fsid everywhere; check clean" {
	need_loop_mount
	mapfile -t files < <(corpus_files raid1)
	[[ ${#files[@]} -eq 2 ]] || skip "corpus case raid1 not built"
	bimg-scan "${files[@]}" >"$T/stream"
	bimg-fixchunks --new-fsid="$U" "$T/one" <"$T/stream"
	btrfs check "$T/one"
	[[ $(super_field "$T/one" fsid) == "$U" && $(tree_fsids "$T/one") == "$U" ]]
	bimg-fixchunks -m --new-fsid="$U" "$T/m1" "$T/m2" <"$T/stream"
	for m in m1 m2; do
		[[ $(super_field "$T/$m" fsid) == "$U" && $(super_field "$T/$m" dev_item.fsid) == "$U" ]]
	done
	[[ $(tree_fsids "$T/m1") == "$U" ]]
	a=$(losetup --find --show "$T/m1")
	LOOP_DEVS+=("$a")
	b=$(losetup --find --show "$T/m2")
	LOOP_DEVS+=("$b")
	btrfs device scan "$a" "$b" >/dev/null
	btrfs check "$a"
}

@test "btrfs-image.sh -r --new-fsid[=UUID]; --new-fsid without -r and a bad UUID are errors" {
	img=$(fx_ref_image default 1)
	btrfs-image.sh -r --new-fsid="$U" "$img" "$T/w"
	[[ $(super_field "$T/w" fsid) == "$U" ]]
	btrfs-image.sh -r --new "$img" "$T/w2"
	[[ $(super_field "$T/w2" fsid) != "$(super_field "$(corpus_img default)" fsid)" ]]
	run btrfs-image.sh --new-fsid "$(corpus_img default)" "$T/x.img"
	assert_failure 1
	assert_line --index 0 "ERROR: --new-fsid is a restore option (-r)"
	[[ ! -e $T/x.img ]]
	run bash -c 'bimg-unpack "$0" | bimg-fixchunks --new-fsid=not-a-uuid "$1"' "$img" "$T/y"
	assert_failure 1
	assert_output --partial "bimg-fixchunks: --new-fsid: 'not-a-uuid' is not a UUID"
}
