#!/usr/bin/env bats
# Data dump (-d): every data extent goes into a format 1 image, and the
# restored filesystem holds the same files with the same contents.
#
# Source and target have the same fsid, so they are mounted one after the
# other (read-only; the source through a read-only loop device) and compared
# through a manifest: tests/lib/tree-manifest.py lists every entry with its
# type, a sha256-based digest of each regular file's contents, its size and
# each symlink's target.

load lib/common

MANIFEST="python3 $ROOT/tests/lib/tree-manifest.py"

setup() {
	local p
	for p in bimg-scan bimg-pack bimg-unpack bimg-fixchunks; do
		[[ -x $BIN/$p ]] || skip "bin/$p is not built"
	done
	T=$BATS_TEST_TMPDIR
}

teardown() {
	loop_cleanup
}

# Full-corpus case image, or skip.
full_img() {
	local f=$FULL_CORPUS/$1.img
	[[ -f $f ]] || skip "full corpus case $1 not built ($f)"
	printf '%s\n' "$f"
}

# Mount IMAGE read-only, write its manifest to OUT, and let the fsid go
# again (the other side of the comparison has the same one).
manifest_of() { # IMAGE OUT [rw]
	local dev opts=ro
	[[ ${3:-} == rw ]] && opts=rw
	if [[ $opts == ro ]]; then
		dev=$(losetup --find --show --read-only "$1") || return 1
	else
		dev=$(losetup --find --show "$1") || return 1
	fi
	LOOP_DEVS+=("$dev")
	mkdir -p "$T/mnt"
	mount -t btrfs -o "$opts" "$dev" "$T/mnt" || { echo "cannot mount $1"; loop_cleanup; return 1; }
	LOOP_MOUNTS+=("$T/mnt")
	$MANIFEST "$T/mnt" >"$2" || { loop_cleanup; return 1; }
	loop_cleanup
}

# Dump SOURCE with -d, restore it to $T/target, check the target.
dump_restore_check() { # SOURCE [sanitize args]
	local src=$1
	shift
	rm -f "$T/d.img" "$T/target"
	if (($#)); then
		bimg-scan -d "$src" | bimg-sanitize "$@" | bimg-pack -c1 -o "$T/d.img" || return 1
	else
		bimg-scan -d "$src" | bimg-pack -c1 -o "$T/d.img" || return 1
	fi
	[[ $(head -c 8 "$T/d.img") == _DUmP_v1 ]] || { echo "not a format 1 image"; return 1; }
	bimg-unpack "$T/d.img" | bimg-fixchunks "$T/target" || return 1
}

round_trip() { # CASE
	local src
	need_loop_mount
	src=$(full_img "$1")
	dump_restore_check "$src"
	run btrfs check --check-data-csum "$T/target"
	assert_success
	run btrfs inspect-internal dump-super "$T/target"
	assert_success
	refute_output --partial METADUMP # the restored superblock has no METADUMP flag
	manifest_of "$src" "$T/src.txt"
	manifest_of "$T/target" "$T/dst.txt"
	grep -q '^f ' "$T/src.txt" || { echo "the source has no files"; return 1; }
	diff "$T/src.txt" "$T/dst.txt"
}

# The data extents of the extent tree ("bytenr length", sorted) against the
# DATA records of a stream, pieces joined into extents.
extent_tree_data() { # IMAGE
	btrfs inspect-internal dump-tree -t extent "$1" | awk '
		/ key \([0-9]+ EXTENT_ITEM [0-9]+\)/ { gsub(/[()]/, ""); for (i = 1; i <= NF; i++) if ($i == "key") { b = $(i + 1); l = $(i + 3) } next }
		/^\t\trefs [0-9]+ gen [0-9]+ flags / { if (b != "" && $6 ~ /^DATA/) print b, l; b = "" }
	' | sort -n
}
stream_data() { # STREAM
	bimg-unpack --list "$1" | awk '
		$1 == "DATA" && $4 == "continues" { len += $3; next }
		$1 == "DATA" { if (start != "") print start, len; start = $2; len = $3 }
		END { if (start != "") print start, len }
	' | sort -n
}

@test "bimg-scan -d: --help documents -d; -d with -w is refused" {
	run bimg-scan --help
	assert_success
	assert_line --regexp '^  -d'
	run bimg-scan -d -w "$(corpus_img default)"
	assert_failure 1
	assert_output --partial "-d conflicts with -w"
}

@test "bimg-scan -d: each data extent of the extent tree once, regular, prealloc and compressed alike" {
	local c n=0
	for c in default compress-zstd compress-zlib reflink sparse subvol-snap space-cache-v1; do
		[[ -f $FULL_CORPUS/$c.img ]] || continue
		bimg-scan -d "$FULL_CORPUS/$c.img" >"$T/s.strm"
		extent_tree_data "$FULL_CORPUS/$c.img" >"$T/want"
		stream_data "$T/s.strm" >"$T/got"
		[ -s "$T/want" ] || { echo "$c: no data extents found in the extent tree"; return 1; }
		diff "$T/want" "$T/got" || { echo "case $c differs"; return 1; }
		# The bytes are the disk's: the oracle reads the reference's own view of the stream.
		python3 "$ROOT/tests/lib/streamcmp.py" verify "$T/s.strm"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || skip "no full corpus"
}

@test "bimg-scan -d: content DATA in FS_INFO; without -d the stream is unchanged" {
	local img
	img=$(corpus_img default)
	bimg-scan -d "$img" | bimg-unpack --list - >"$T/d.txt"
	bimg-scan "$img" | bimg-unpack --list - >"$T/m.txt"
	grep -q '^FS_INFO.* content 0x8$' "$T/d.txt"
	grep -q '^FS_INFO.* content 0x0$' "$T/m.txt"
	# Without -d: no file data, only tree blocks (and v1 cache extents, none here).
	[ "$(grep -c '^DATA' "$T/m.txt")" -eq 0 ]
	[ "$(grep -c '^DATA' "$T/d.txt")" -gt 0 ]
	[ "$(grep -c '^TREE_BLOCK' "$T/d.txt")" -eq "$(grep -c '^TREE_BLOCK' "$T/m.txt")" ]
}

@test "bimg-scan -d: round trip default" { round_trip default; }
@test "bimg-scan -d: round trip compress-zstd" { round_trip compress-zstd; }
@test "bimg-scan -d: round trip compress-zlib" { round_trip compress-zlib; }
@test "bimg-scan -d: round trip reflink" { round_trip reflink; }
@test "bimg-scan -d: round trip sparse (holes, prealloc, a 1 TiB file)" { round_trip sparse; }
@test "bimg-scan -d: round trip subvol-snap" { round_trip subvol-snap; }

@test "bimg-scan -d: without -d the comparison fails (the oracle can see missing data)" {
	local src
	need_loop_mount
	src=$(full_img default)
	bimg-scan "$src" | bimg-pack -c1 -o "$T/m.img"
	bimg-unpack "$T/m.img" | bimg-fixchunks "$T/target"
	manifest_of "$src" "$T/src.txt"
	run manifest_of "$T/target" "$T/dst.txt"
	# Reading files whose data is missing fails (bad csums), or the digests differ.
	if [ "$status" -eq 0 ]; then
		refute diff -q "$T/src.txt" "$T/dst.txt"
	fi
}

@test "bimg-scan -d: data only the log tree knows is dumped too (files replayed from the log)" {
	local src
	need_loop_mount
	src=$(full_img logtree)
	dump_restore_check "$src"
	# Replaying the log needs a writable mount: both sides on copies.
	cp --sparse=always "$src" "$T/source"
	manifest_of "$T/source" "$T/src.txt" rw
	manifest_of "$T/target" "$T/dst.txt" rw
	grep -q '^f ' "$T/src.txt"
	diff "$T/src.txt" "$T/dst.txt"
	run btrfs check --check-data-csum "$T/target"
	assert_success
}

@test "bimg-scan -d | bimg-sanitize -s: names replaced, data bytes kept" {
	local img
	[[ -x $BIN/bimg-sanitize ]] || skip "bin/bimg-sanitize is not built"
	img=$(corpus_img default)
	bimg-scan -d "$img" >"$T/plain.strm"
	bimg-sanitize -s <"$T/plain.strm" >"$T/s.strm"
	grep -q '^FS_INFO.* content 0xa$' <(bimg-unpack --list "$T/s.strm")
	data_digest() {
		python3 -c 'import sys, hashlib
sys.path.insert(0, sys.argv[1])
import streamcmp
h = hashlib.sha256()
for rtype, flags, p in streamcmp.read_stream(sys.argv[2]):
    if rtype == streamcmp.REC_DATA:
        h.update(p)
print(h.hexdigest())' "$ROOT/tests/lib" "$1"
	}
	[ "$(data_digest "$T/plain.strm")" = "$(data_digest "$T/s.strm")" ]
	# and the tree blocks (names) did change
	refute cmp -s "$T/plain.strm" "$T/s.strm"
}

@test "bimg-scan -d | bimg-sanitize -ss: restored files have the source's contents under new names" {
	local src
	[[ -x $BIN/bimg-sanitize ]] || skip "bin/bimg-sanitize is not built"
	need_loop_mount
	src=$(full_img default)
	# --keep-short: names under 5 bytes cannot keep their hash otherwise, and
	# the kernel refuses leaves with mismatched hashes.
	dump_restore_check "$src" -ss --keep-short
	manifest_of "$src" "$T/src.txt"
	manifest_of "$T/target" "$T/dst.txt"
	# Same contents (sizes, digests, symlink targets), names aside.
	contents() { awk '$1 == "f" { print $1, $2, $3 } $1 == "l" { print $1, $2 } $1 != "f" && $1 != "l" { print $1 }' "$1" | sort; }
	diff <(contents "$T/src.txt") <(contents "$T/dst.txt")
	refute diff -q <(awk '{ print $NF }' "$T/src.txt") <(awk '{ print $NF }' "$T/dst.txt")
}

@test "btrfs-image.sh -d: dump and restore through the wrapper; -d -w refused" {
	local src
	[[ -x $ROOT/btrfs-image.sh ]] || skip "no wrapper"
	need_loop_mount
	src=$(full_img reflink)
	"$ROOT/btrfs-image.sh" -d -c1 "$src" "$T/w.img"
	[[ $(head -c 8 "$T/w.img") == _DUmP_v1 ]]
	"$ROOT/btrfs-image.sh" -r "$T/w.img" "$T/target"
	run btrfs check --check-data-csum "$T/target"
	assert_success
	manifest_of "$src" "$T/src.txt"
	manifest_of "$T/target" "$T/dst.txt"
	diff "$T/src.txt" "$T/dst.txt"
	run "$ROOT/btrfs-image.sh" -d -w "$src" "$T/x.img"
	assert_failure 1
	assert_output --partial "-d conflicts with -w"
}
