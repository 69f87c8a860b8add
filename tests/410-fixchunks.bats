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
	assert_output --regexp '^(0 )?(1 )?(2 )?(3 )?60 $' # the differing byte offsets
	run btrfs inspect-internal dump-super "$BATS_TEST_TMPDIR/t"
	assert_success
	assert_output --regexp 'flags[[:space:]]+0x4000000'
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

@test "write-out starts while blocks are placed; every block is fsynced before the superblock, which is fsynced too" {
	command -v strace >/dev/null || skip "strace is missing"
	cc -O2 -o "$BATS_TEST_TMPDIR/mkhostile" "$ROOT/tests/lib/mkhostile.c"
	# 4000 blocks of 4 KiB: 16 MB, more than one writeback batch (8 MiB).
	"$BATS_TEST_TMPDIR/mkhostile" held 4000 >"$BATS_TEST_TMPDIR/s"
	ASAN_OPTIONS=detect_leaks=0 strace -o "$BATS_TEST_TMPDIR/trace" \
		-e trace=pwrite64,fsync,fdatasync,sync_file_range "$BIN/bimg-fixchunks" "$BATS_TEST_TMPDIR/t" \
		<"$BATS_TEST_TMPDIR/s" || skip "strace cannot trace here"
	run awk '
		/sync_file_range\(/ && !synced { started = 1 }
		/f(data)?sync\(/ { synced = 1; dirty = 0; if (super) super_synced = 1 }
		/pwrite64\(/ && /, 65536\) = / { if (dirty) print "superblock written before the blocks were fsynced"; super = 1; super_synced = 0; next }
		/pwrite64\(/ { dirty = 1 }
		END { if (!started) print "no write-out started before the first fsync"
		      if (!super || !super_synced) print "the superblock was not written, or not fsynced after" }' \
		"$BATS_TEST_TMPDIR/trace"
	echo "$output"
	refute_output
}
