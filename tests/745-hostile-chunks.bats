#!/usr/bin/env bats
# Chunks a filesystem cannot have, and chunk tree blocks where no reader
# expects them, in record streams made by tests/lib/mkhostile.c.  Every
# chunk item is checked against the superblock wherever it is parsed
# (chunk_parse, src/common/chunk.c): bimg-fixchunks refuses such a stream at
# its CHUNK record with one line, at once, and leaves no valid superblock.
# Under `make sanitize` an out-of-bounds read would fail these tests too.

load lib/common
load lib/fixchunks

MK="$BATS_FILE_TMPDIR/mkhostile"

setup_file() {
	cc -O2 -o "$BATS_FILE_TMPDIR/mkhostile" "$ROOT/tests/lib/mkhostile.c"
}

setup() {
	[[ -x $BIN/bimg-fixchunks ]] || skip "bin/bimg-fixchunks is not built"
	W=$BATS_TEST_TMPDIR
}

# The stream's last block (before the 64-byte END record) is at physical 1 MiB + 4 KiB of target $1.
leaf_is_at() {
	cmp <(tail -c $((4096 + 64)) "$W/s" | head -c 4096) \
		<(dd if="$1" bs=4096 skip=$(((0x100000 + 4096) / 4096)) count=1 2>/dev/null)
}

@test "a chunk tree leaf after the layout is decided is restored, not read as a node (one target and -m)" {
	# 159 empty items: as node pointers they would run 1 KiB past the block's end.
	"$MK" leaf-after-layout >"$W/s"
	run --separate-stderr "$BIN/bimg-fixchunks" "$W/t" <"$W/s"
	echo "$stderr"
	assert_success
	refute_stderr --partial "Sanitizer"
	btrfs inspect-internal dump-super "$W/t" | grep -q 'num_devices[[:space:]]*1$'
	# The leaf is on the target as it came (its chunk kept its place; rewriting changed nothing).
	leaf_is_at "$W/t"

	run --separate-stderr "$BIN/bimg-fixchunks" -m "$W/a" "$W/b" <"$W/s"
	echo "$stderr"
	assert_success
	refute_stderr --partial "Sanitizer"
	leaf_is_at "$W/a"
}

@test "-m: a 16 GiB RAID5 chunk with stripe_len 1 is refused at its CHUNK record, not written as parity" {
	"$MK" raid56 $((16 << 30)) 1 1 >"$W/s"
	run --separate-stderr timeout 120 "$BIN/bimg-fixchunks" -m "$W/a" "$W/b" "$W/c" <"$W/s"
	assert_failure 1
	assert_stderr "bimg-fixchunks: record 3: CHUNK at offset 0: invalid chunk stripe length 1 (a power of two from the sectorsize 4096 to 65536)"
	for t in a b c; do no_valid_superblock "$W/$t"; done
}

@test "chunk items a filesystem cannot have: one message each, exit 1, no superblock" {
	local what want
	while IFS='|' read -r what want; do
		"$MK" bad-chunk "$what" >"$W/s"
		run --separate-stderr "$BIN/bimg-fixchunks" "$W/t" <"$W/s"
		echo "$what: $status $stderr"
		assert_failure 1
		assert_stderr "bimg-fixchunks: record 3: CHUNK at offset 0: $want"
		no_valid_superblock "$W/t"
	done <<'EOF'
stripe-len-1|invalid chunk stripe length 1 (a power of two from the sectorsize 4096 to 65536)
stripe-len-128k|invalid chunk stripe length 131072 (a power of two from the sectorsize 4096 to 65536)
unaligned-length|chunk start or length 67109376 is not a multiple of the sectorsize 4096
length-over-total|chunk length 2147483648 is larger than the filesystem (1073741824 bytes)
single-two-stripes|single chunk with 2 stripes (single has exactly 1)
raid1-one-device|raid1 chunk with 2 stripes on a filesystem of 1 devices
unknown-type-bit|chunk type 0x100001 has unknown bits
stripe-beyond|stripe 0 (devid 1, offset 1040187392, 67108864 bytes) lies beyond the end of the filesystem (1073741824 bytes)
EOF
	# The same stream with a chunk that fits restores.
	"$MK" bad-chunk valid >"$W/s"
	run --separate-stderr "$BIN/bimg-fixchunks" "$W/t" <"$W/s"
	assert_success
}
