#!/usr/bin/env bats
# bimg-fixchunks against the reference restore: for every
# single-device crc32c corpus case, the target restored from the record
# stream of the reference's image equals `btrfs-image -r` of that image,
# byte for byte.

load lib/common
load lib/fixchunks

# Restore every single-device crc32c case at compression LEVEL through
# CONVERTER ("img2stream" or "unpack") and compare with the reference.
identical_for_level() {
	local level=$1 converter=$2 c img failed="" n=0
	for c in $(corpus_cases single-crc32c); do
		img=$(fx_ref_image "$c" "$level")
		rm -f "$BATS_TEST_TMPDIR/ref" "$BATS_TEST_TMPDIR/new"
		btrfs-image -r -t 1 "$img" "$BATS_TEST_TMPDIR/ref" >/dev/null 2>&1 || { failed+=" $c(reference)"; continue; }
		if [[ $converter == unpack ]]; then
			"$BIN/bimg-unpack" "$img" >"$BATS_TEST_TMPDIR/s"
		else
			fx_stream "$img" >"$BATS_TEST_TMPDIR/s"
		fi
		if ! fx_restore "$BATS_TEST_TMPDIR/s" "$BATS_TEST_TMPDIR/new" ||
			! fx_cmp "$BATS_TEST_TMPDIR/ref" "$BATS_TEST_TMPDIR/new"; then
			failed+=" $c"
		fi
		n=$((n + 1))
	done
	[[ $n -gt 0 ]] || skip "no single-device crc32c case in $CORPUS"
	[[ -z $failed ]] || { echo "differs from btrfs-image -r:$failed"; return 1; }
}

@test "every single-device crc32c case, -c0 image via img2stream, equals btrfs-image -r" {
	identical_for_level 0 img2stream
}

@test "every single-device crc32c case, -c9 image via img2stream, equals btrfs-image -r" {
	identical_for_level 9 img2stream
}

@test "every single-device crc32c case via bin/bimg-unpack equals btrfs-image -r" {
	[[ -x $BIN/bimg-unpack ]] || skip "bin/bimg-unpack is not built"
	identical_for_level 9 unpack
}

@test "the restored superblock differs from the image's only in checksum and METADUMP_V2" {
	img=$(fx_ref_image default 0)
	fx_stream "$img" >"$BATS_TEST_TMPDIR/s"
	fx_restore "$BATS_TEST_TMPDIR/s" "$BATS_TEST_TMPDIR/t"
	# The image's superblock item is its first payload, right after the 1024-byte index block.
	dd if="$img" bs=1024 skip=1 count=4 status=none >"$BATS_TEST_TMPDIR/sb.orig"
	dd if="$BATS_TEST_TMPDIR/t" bs=1024 skip=64 count=4 status=none >"$BATS_TEST_TMPDIR/sb.new"
	run bash -c "cmp -l '$BATS_TEST_TMPDIR/sb.orig' '$BATS_TEST_TMPDIR/sb.new' | awk '{print \$1 - 1}' | tr '\n' ' '"
	[[ $output =~ ^(0\ )?(1\ )?(2\ )?(3\ )?60\ $ ]] || { echo "differing bytes: $output"; return 1; }
	run btrfs inspect-internal dump-super "$BATS_TEST_TMPDIR/t"
	[[ $output =~ flags[[:space:]]+0x4000000 ]] || { echo "$output" | grep flags; return 1; }
}

@test "a restore from a pipe gives the same target" {
	img=$(fx_ref_image node4k 9)
	fx_stream "$img" >"$BATS_TEST_TMPDIR/s"
	fx_restore "$BATS_TEST_TMPDIR/s" "$BATS_TEST_TMPDIR/file"
	cat "$img" | python3 "$IMG2STREAM" - | "$BIN/bimg-fixchunks" "$BATS_TEST_TMPDIR/pipe"
	fx_cmp "$BATS_TEST_TMPDIR/file" "$BATS_TEST_TMPDIR/pipe"
	if [[ -x $BIN/bimg-unpack ]]; then
		cat "$img" | "$BIN/bimg-unpack" - | "$BIN/bimg-fixchunks" "$BATS_TEST_TMPDIR/unpack"
		fx_cmp "$BATS_TEST_TMPDIR/file" "$BATS_TEST_TMPDIR/unpack"
	fi
}

@test "item order does not matter: reversed and shuffled streams hold blocks back and give the same target" {
	local order
	img=$(fx_ref_image default 0)
	btrfs-image -r -t 1 "$img" "$BATS_TEST_TMPDIR/ref"
	for order in reverse shuffle:1 shuffle:7; do
		fx_stream "$img" --order "$order" >"$BATS_TEST_TMPDIR/s"
		rm -f "$BATS_TEST_TMPDIR/t"
		fx_restore "$BATS_TEST_TMPDIR/s" "$BATS_TEST_TMPDIR/t"
		fx_cmp "$BATS_TEST_TMPDIR/ref" "$BATS_TEST_TMPDIR/t"
		# A tiny memory bound sends the held blocks through the temporary file.
		rm -f "$BATS_TEST_TMPDIR/t"
		BIMG_FIXCHUNKS_HOLDBACK_MEMORY=20000 TMPDIR="$BATS_TEST_TMPDIR" \
			fx_restore "$BATS_TEST_TMPDIR/s" "$BATS_TEST_TMPDIR/t"
		fx_cmp "$BATS_TEST_TMPDIR/ref" "$BATS_TEST_TMPDIR/t"
	done
}

@test "a larger existing target is truncated first: same bytes and length" {
	img=$(fx_ref_image default 0)
	btrfs-image -r -t 1 "$img" "$BATS_TEST_TMPDIR/ref"
	head -c 1M /dev/urandom >"$BATS_TEST_TMPDIR/t"
	truncate -s 1G "$BATS_TEST_TMPDIR/t"
	fx_stream "$img" >"$BATS_TEST_TMPDIR/s"
	fx_restore "$BATS_TEST_TMPDIR/s" "$BATS_TEST_TMPDIR/t"
	fx_cmp "$BATS_TEST_TMPDIR/ref" "$BATS_TEST_TMPDIR/t"
}

@test "onto a loop device: same device contents as the reference, superblock copies included" {
	need_loop_mount
	img=$(fx_ref_image default 0)
	truncate -s 300M "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	a=$(losetup --find --show "$BATS_TEST_TMPDIR/a")
	LOOP_DEVS+=("$a")
	b=$(losetup --find --show "$BATS_TEST_TMPDIR/b")
	LOOP_DEVS+=("$b")
	btrfs-image -r -t 1 "$img" "$a" >/dev/null 2>&1
	fx_stream "$img" >"$BATS_TEST_TMPDIR/s"
	fx_restore "$BATS_TEST_TMPDIR/s" "$b"
	loop_cleanup
	fx_cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	btrfs inspect-internal dump-super -s 1 "$BATS_TEST_TMPDIR/b" | grep -q 'bytenr.*67108864'
}

