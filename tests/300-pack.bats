#!/usr/bin/env bats
# bimg-pack: byte-identical images (with BIMG_DEFLATE=zlib) and the
# same content with the default libdeflate from record streams, temp
# file handling, non-regular outputs, and closed stdout.  The streams come
# from bimg-unpack of a reference image (self-contained) and from bimg-scan.

load lib/common

setup() {
	TMP=$(mktemp -d)
}

teardown() {
	rm -rf "$TMP"
}

# crc32c_cases: the caller's cases = the single-device crc32c cases of CORPUS, or skip the test.
crc32c_cases() {
	cases=$(corpus_cases single-crc32c)
	[[ -n $cases ]] || skip "no corpus at $CORPUS"
}

# ref_vs_ours CASE LEVEL [-w]: reference image re-packed through our pipeline must be identical.
ref_vs_ours() {
	local img=$1 level=$2 walk=${3:-} t
	btrfs-image $walk -c"$level" "$img" "$TMP/ref.img"
	for t in 1 2; do
		rm -f "$TMP/ours.img"
		bimg-unpack "$TMP/ref.img" | BIMG_DEFLATE=zlib bimg-pack -c"$level" -t"$t" -o "$TMP/ours.img"
		cmp "$TMP/ref.img" "$TMP/ours.img" || {
			echo "differs: $img -c$level $walk -t$t"
			return 1
		}
	done
}

@test "unpack | pack reproduces reference images byte for byte (levels 0 1 9, -t 1 and 2)" {
	local cases c level n=0
	crc32c_cases
	for c in $cases; do
		for level in 0 1 9; do
			ref_vs_ours "$(corpus_img "$c")" "$level"
			n=$((n + 1))
		done
	done
	echo "checked $n images"
}

@test "unpack | pack reproduces reference -w images" {
	local cases c level
	crc32c_cases
	for c in $cases; do
		for level in 0 6; do
			ref_vs_ours "$(corpus_img "$c")" "$level" -w
		done
	done
}

@test "the round trip covers images of several clusters" {
	local img clusters
	img=$(corpus_img subvol-snap)
	# -w: walk order breaks up contiguous runs (about 400 items); without it the
	# item count is near 83 and varies from one corpus build to the next
	btrfs-image -w -c0 "$img" "$TMP/ref.img"
	clusters=$(bimg-unpack --info "$TMP/ref.img" | awk '/^clusters:/ { print $2 }')
	[[ $clusters -ge 2 ]]
	bimg-unpack "$TMP/ref.img" | bimg-pack -o "$TMP/ours.img"
	cmp "$TMP/ref.img" "$TMP/ours.img"
}

@test "default libdeflate: the reference's clusters, items and inflated payloads" {
	need_bin bimg-scan
	local cases c level n=0
	crc32c_cases
	for c in $cases; do
		bimg-scan "$(corpus_img "$c")" >"$TMP/s.strm"
		for level in 1 9; do
			btrfs-image -c"$level" "$(corpus_img "$c")" "$TMP/ref.img"
			bimg-pack -c"$level" -t2 -o "$TMP/ours.img" <"$TMP/s.strm"
			bimg-pack -c"$level" -t1 -o "$TMP/ours1.img" <"$TMP/s.strm"
			# deterministic whatever the thread count
			cmp "$TMP/ours.img" "$TMP/ours1.img"
			python3 "$ROOT/tests/lib/imgls.py" "$TMP/ref.img" --content >"$TMP/ref.ls"
			python3 "$ROOT/tests/lib/imgls.py" "$TMP/ours.img" --content >"$TMP/ours.ls"
			diff "$TMP/ref.ls" "$TMP/ours.ls" || {
				echo "content differs: $c -c$level"
				return 1
			}
			n=$((n + 1))
		done
	done
	echo "checked $n images"
}

# Every single-device case of the full corpus (or the quick one): our -c9
# image is never larger than the reference's -c9 (libdeflate's near-optimal
# level 10 against zlib 9; with libdeflate 8 for -c9, 12 of 27 were larger).
@test "-c9 images are no larger than btrfs-image -c9 on every single-device corpus case" {
	need_bin bimg-scan
	local dir=$CORPUS cases c img ref ours n=0 larger=0
	[[ -f $FULL_CORPUS/MANIFEST.tsv ]] && dir=$FULL_CORPUS
	cases=$(corpus_cases single "$dir")
	[[ -n $cases ]] || skip "no corpus at $dir"
	for c in $cases; do
		img=$(corpus_files "$c")
		btrfs-image -c9 -t2 "$img" "$TMP/ref.img"
		bimg-scan "$img" | bimg-pack -c9 -t2 -o "$TMP/ours.img"
		ref=$(stat -c %s "$TMP/ref.img")
		ours=$(stat -c %s "$TMP/ours.img")
		echo "$c: reference $ref, ours $ours"
		((ours <= ref)) || larger=$((larger + 1))
		n=$((n + 1))
	done
	echo "$n cases, $larger larger than the reference's"
	((n > 0 && larger == 0))
}

# btrfs-image 6.2 reads the zlib streams libdeflate's level 10 writes: its
# restore of our -c9 image is the target it makes from its own -c9 image.
@test "btrfs-image -r restores our -c9 images to the target of its own -c9 images" {
	need_bin bimg-scan
	local cases c img n=0
	crc32c_cases
	for c in $cases; do
		img=$(corpus_img "$c")
		btrfs-image -c9 "$img" "$TMP/ref.img"
		bimg-scan "$img" | bimg-pack -c9 -t2 -o "$TMP/ours.img"
		refute cmp -s "$TMP/ref.img" "$TMP/ours.img"
		rm -f "$TMP/ref.target" "$TMP/ours.target" "$TMP/bimg.target"
		btrfs-image -r -t1 "$TMP/ref.img" "$TMP/ref.target"
		btrfs-image -r -t1 "$TMP/ours.img" "$TMP/ours.target"
		bimg-unpack "$TMP/ours.img" | bimg-fixchunks "$TMP/bimg.target"
		cmp "$TMP/ref.target" "$TMP/ours.target" || { echo "btrfs-image -r differs: $c"; return 1; }
		cmp "$TMP/ref.target" "$TMP/bimg.target" || { echo "our restore differs: $c"; return 1; }
		n=$((n + 1))
	done
	echo "restored $n images"
}

@test "--deflate=zlib and BIMG_DEFLATE=zlib give the reference's bytes; libdeflate other ones" {
	local img
	img=$(corpus_img subvol-snap)
	btrfs-image -c9 "$img" "$TMP/ref.img"
	bimg-unpack "$TMP/ref.img" >"$TMP/s.strm"
	bimg-pack -c9 --deflate=zlib -o "$TMP/a.img" <"$TMP/s.strm"
	BIMG_DEFLATE=zlib bimg-pack -c9 -o "$TMP/b.img" <"$TMP/s.strm"
	BIMG_DEFLATE=zlib bimg-pack -c9 --deflate libdeflate -o "$TMP/c.img" <"$TMP/s.strm"
	bimg-pack -c9 -o "$TMP/d.img" <"$TMP/s.strm"
	cmp "$TMP/ref.img" "$TMP/a.img"
	cmp "$TMP/ref.img" "$TMP/b.img"
	# the option wins over the environment; libdeflate is the default
	cmp "$TMP/c.img" "$TMP/d.img"
	refute cmp -s "$TMP/ref.img" "$TMP/d.img"
	# and bimg-unpack reads both to the same stream
	cmp <(bimg-unpack "$TMP/ref.img") <(bimg-unpack "$TMP/d.img")
	run bimg-pack --deflate=gzip
	assert_failure 1
	assert_output --partial "not a deflate codec"
	run env BIMG_DEFLATE=bogus bimg-pack
	assert_failure 1
	assert_output --partial "BIMG_DEFLATE"
}

@test "an existing device or FIFO is written in place, not replaced" {
	local img size
	img=$(corpus_img default)
	btrfs-image -c1 "$img" "$TMP/ref.img"
	bimg-unpack "$TMP/ref.img" >"$TMP/s.strm"
	BIMG_DEFLATE=zlib bimg-pack -c1 -o /dev/null <"$TMP/s.strm"
	[[ -c /dev/null ]]
	mkfifo "$TMP/fifo"
	cat "$TMP/fifo" >"$TMP/from-fifo" &
	BIMG_DEFLATE=zlib bimg-pack -c1 -o "$TMP/fifo" <"$TMP/s.strm"
	wait $!
	[[ -p $TMP/fifo ]]
	cmp "$TMP/ref.img" "$TMP/from-fifo"
	[[ $(ls -A "$TMP" | wc -l) -eq 4 ]]
	# a block device: written from its start, not truncated, not replaced
	[[ $(id -u) -eq 0 ]] && losetup -f >/dev/null 2>&1 || skip "no loop device for the block device case"
	size=$(stat -c %s "$TMP/ref.img")
	head -c 8M /dev/urandom >"$TMP/dev.file"
	LOOPDEV=$(losetup --find --show "$TMP/dev.file")
	BIMG_DEFLATE=zlib bimg-pack -c1 -o "$LOOPDEV" <"$TMP/s.strm" || { losetup -d "$LOOPDEV"; return 1; }
	[[ -b $LOOPDEV ]] || { losetup -d "$LOOPDEV"; return 1; }
	losetup -d "$LOOPDEV"
	cmp -n "$size" "$TMP/ref.img" "$TMP/dev.file"
	[[ $(stat -c %s "$TMP/dev.file") -eq $((8 << 20)) ]]
}

@test "pack to standard output equals pack to a file" {
	local img
	img=$(corpus_img default)
	btrfs-image -c1 "$img" "$TMP/ref.img"
	bimg-unpack "$TMP/ref.img" | BIMG_DEFLATE=zlib bimg-pack -c1 >"$TMP/stdout.img"
	bimg-unpack "$TMP/ref.img" | BIMG_DEFLATE=zlib bimg-pack -c1 -o - >"$TMP/dash.img"
	cmp "$TMP/ref.img" "$TMP/stdout.img"
	cmp "$TMP/ref.img" "$TMP/dash.img"
}

@test "bimg-scan | bimg-pack equals btrfs-image" {
	need_bin bimg-scan
	local cases c level
	crc32c_cases
	for c in $cases; do
		for level in 0 1 9; do
			btrfs-image -c"$level" "$(corpus_img "$c")" "$TMP/ref.img"
			bimg-scan "$(corpus_img "$c")" | BIMG_DEFLATE=zlib bimg-pack -c"$level" -o "$TMP/ours.img"
			cmp "$TMP/ref.img" "$TMP/ours.img" || {
				echo "differs: $c -c$level"
				return 1
			}
		done
	done
}

@test "an empty output name is refused before the stream is read" {
	bimg-scan "$(corpus_img node4k)" >"$TMP/stream"
	run bimg-pack -o '' <"$TMP/stream"
	assert_failure 1
	assert_output "bimg-pack: cannot write the image to '': No such file or directory"
	# nothing read: it failed at once, not after writing a whole image it could not name
	run bash -c "{ '$BIN/bimg-pack' -o ''; wc -c; } <'$TMP/stream'"
	assert_line --index 1 "$(stat -c %s "$TMP/stream")"
}

@test "a truncated stream fails and leaves no output file" {
	local img size
	img=$(corpus_img default)
	btrfs-image -c0 "$img" "$TMP/ref.img"
	bimg-unpack "$TMP/ref.img" >"$TMP/stream"
	size=$(stat -c %s "$TMP/stream")
	mkdir "$TMP/out"
	run bimg-pack -o "$TMP/out/x.img" < <(head -c $((size / 2)) "$TMP/stream")
	assert_failure 1
	assert_output --regexp 'bimg-pack: .*truncated'
	[[ -z $(ls -A "$TMP/out") ]]
	# missing END record only
	run bimg-pack -o "$TMP/out/x.img" < <(head -c $((size - 64)) "$TMP/stream")
	assert_failure 1
	[[ -z $(ls -A "$TMP/out") ]]
}

@test "an upstream ERROR record fails quietly and leaves no output file" {
	local img
	img=$(corpus_img default)
	btrfs-image -c0 "$img" "$TMP/ref.img"
	# corrupt the last item's size so bimg-unpack dies after writing some records
	python3 "$ROOT/tests/lib/imgedit.py" "$TMP/ref.img" "$TMP/bad.img" past-eof
	mkdir "$TMP/out"
	run bash -c "'$BIN/bimg-unpack' '$TMP/bad.img' | '$BIN/bimg-pack' -o '$TMP/out/x.img'; echo \"status \${PIPESTATUS[*]}\""
	assert_output --partial "status 1 1"
	# one message only: bimg-unpack's; bimg-pack stays quiet
	[[ $(grep -c '^bimg-' <<<"$output") -eq 1 ]]
	assert_output --partial "bimg-unpack: "
	[[ -z $(ls -A "$TMP/out") ]]
}

@test "a closed standard output is an error, not a silent death" {
	local img
	# several MiB: more than a pipe buffer holds
	img=$(corpus_img subvol-snap)
	btrfs-image -c0 "$img" "$TMP/ref.img"
	bimg-unpack "$TMP/ref.img" >"$TMP/stream"
	run bash -c "'$BIN/bimg-pack' <'$TMP/stream' | head -c 10 >/dev/null; echo \"status \${PIPESTATUS[0]}\""
	assert_output --partial "status 1"
	assert_output --regexp 'bimg-pack: .*standard output'
}

@test "the output file gets the usual mode and replaces an old one" {
	local img
	img=$(corpus_img default)
	btrfs-image -c1 "$img" "$TMP/ref.img"
	echo old >"$TMP/x.img"
	(umask 022 && bimg-unpack "$TMP/ref.img" | BIMG_DEFLATE=zlib bimg-pack -c1 -o "$TMP/x.img")
	cmp "$TMP/ref.img" "$TMP/x.img"
	[[ $(stat -c %a "$TMP/x.img") == 644 ]]
	[[ $(ls -A "$TMP" | wc -l) -eq 2 ]]
}

@test "bimg-pack rejects bad usage and answers --help and --version" {
	run bimg-pack -c 10
	assert_failure 1
	run bimg-pack -t 33
	assert_failure 1
	run bimg-pack extra
	assert_failure 1
	run bimg-pack --help
	assert_success
	assert_output --regexp '^Usage:'
	run bimg-pack --version
	assert_success
	assert_output --regexp '^bimg-pack \(bimg\) '
}

# The payloads of IMAGE recompressed with zlib at LEVEL must equal the stored
# ones: what compress2() (Python's zlib.compress) makes of each item.
same_as_compress2() {
	python3 - "$ROOT/tests/lib" "$1" "$2" <<'PY'
import sys, zlib
sys.path.insert(0, sys.argv[1])
from imgls import items
level, n = int(sys.argv[3]), 0
for bytenr, stored in items(sys.argv[2]):
    if zlib.compress(zlib.decompress(stored), level) != stored:
        sys.exit("item %d at %d: not compress2's bytes" % (n, bytenr))
    n += 1
print("items", n)
PY
}

@test "-d streams: 64 MiB extents pack and unpack in bounded memory, same bytes through a pipe" {
	[[ -x $BIN/bimg-scan && -x /usr/bin/time ]] || skip "needs bin/bimg-scan and /usr/bin/time"
	command -v mkfs.btrfs >/dev/null || skip "needs mkfs.btrfs"
	local rss
	mkdir "$TMP/stage"
	head -c 64M /dev/urandom >"$TMP/stage/random"
	head -c 64M /dev/zero >"$TMP/stage/zeros"
	truncate -s 512M "$TMP/fs.img"
	mkfs.btrfs -q --rootdir "$TMP/stage" "$TMP/fs.img" >/dev/null
	bimg-scan -d "$TMP/fs.img" >"$TMP/s.strm"
	rm -r "$TMP/stage" "$TMP/fs.img"
	# pack: the 128 MiB of contiguous data make items far larger than 100 MB allows to hold
	/usr/bin/time -f %M -o "$TMP/rss" bimg-pack -c0 -o /dev/null <"$TMP/s.strm"
	rss=$(tail -n1 "$TMP/rss")
	echo "pack -c0 peak RSS: $rss KiB"
	sanitizer_build || ((rss < 100000))
	/usr/bin/time -f %M -o "$TMP/rss" bimg-pack -c1 -t2 -o "$TMP/file.img" <"$TMP/s.strm"
	rss=$(tail -n1 "$TMP/rss")
	echo "pack -c1 -t2 peak RSS: $rss KiB"
	sanitizer_build || ((rss < 100000))
	[[ $(bimg-unpack --info "$TMP/file.img" | awk '/^input:/ { print $4 }') == 1 ]]
	# standard output cannot seek: payloads wait in memory, or in a temporary file
	bimg-pack -c1 -t2 <"$TMP/s.strm" | cat >"$TMP/pipe.img"
	cmp "$TMP/file.img" "$TMP/pipe.img"
	BIMG_PACK_CLUSTER_MEMORY=65536 bimg-pack -c1 -t2 <"$TMP/s.strm" | cat >"$TMP/spill.img"
	cmp "$TMP/file.img" "$TMP/spill.img"
	# large items are deflated as a stream, yet zlib's bytes stay compress2's
	bimg-pack -c1 --deflate=zlib -o "$TMP/zlib.img" <"$TMP/s.strm"
	same_as_compress2 "$TMP/zlib.img" 1
	# unpack: a raw 64 MiB item streams from the input; zeros inflate 1000-fold
	bimg-pack -c0 -o "$TMP/raw.img" <"$TMP/s.strm"
	/usr/bin/time -f %M -o "$TMP/rss" bimg-unpack "$TMP/raw.img" >"$TMP/raw.strm"
	rss=$(tail -n1 "$TMP/rss")
	echo "unpack raw peak RSS: $rss KiB"
	sanitizer_build || ((rss < 100000))
	/usr/bin/time -f %M -o "$TMP/rss" bimg-unpack -t2 - <"$TMP/zlib.img" >"$TMP/zlib.strm"
	rss=$(tail -n1 "$TMP/rss")
	echo "unpack -c1 peak RSS: $rss KiB"
	sanitizer_build || ((rss < 100000))
	cmp "$TMP/raw.strm" "$TMP/zlib.strm"
	cmp "$TMP/raw.strm" <(bimg-unpack -t1 "$TMP/file.img")
	# and the stream holds every byte of the data
	[[ $(bimg-unpack --info "$TMP/raw.strm" | awk '/^data:/ { print $2 }') -ge $((128 << 20)) ]]
}

# Every item of IMAGE must inflate (zlib.decompress) to exactly the bytes
# of the same item of the -c0 image RAW; prints how many items were larger than 1 MiB.
inflates_to_raw() {
	python3 - "$ROOT/tests/lib" "$1" "$2" <<'PY'
import sys, zlib
sys.path.insert(0, sys.argv[1])
from imgls import items
packed, raw = items(sys.argv[2]), items(sys.argv[3])
large = 0
for (bytenr, stored), (raw_bytenr, plain) in zip(packed, raw):
    if bytenr != raw_bytenr:
        sys.exit("item at %d where the -c0 image has %d" % (bytenr, raw_bytenr))
    if zlib.decompress(stored) != plain:
        sys.exit("item at %d does not inflate to the -c0 image's bytes" % bytenr)
    large += len(plain) > 1 << 20
if next(packed, None) is not None or next(raw, None) is not None:
    sys.exit("not as many items as the -c0 image")
print(large)
PY
}

@test "default codec: a large item deflated in pieces on two threads is one zlib stream of its bytes" {
	need_bin bimg-scan
	command -v mkfs.btrfs >/dev/null || skip "needs mkfs.btrfs"
	local large
	mkdir "$TMP/stage"
	head -c 64M /dev/urandom >"$TMP/stage/random"
	head -c 6M /dev/urandom | base64 >"$TMP/stage/text" # compressible: the pieces' dictionaries matter
	truncate -s 256M "$TMP/fs.img"
	mkfs.btrfs -q --rootdir "$TMP/stage" "$TMP/fs.img" >/dev/null
	bimg-scan -d "$TMP/fs.img" >"$TMP/s.strm"
	rm -r "$TMP/stage" "$TMP/fs.img"
	bimg-pack -c0 -o "$TMP/raw.img" <"$TMP/s.strm"
	bimg-pack -c1 -t2 -o "$TMP/c1.img" <"$TMP/s.strm"
	large=$(inflates_to_raw "$TMP/c1.img" "$TMP/raw.img")
	echo "items over 1 MiB: $large"
	((large > 0))
	cmp <(bimg-unpack "$TMP/raw.img") <(bimg-unpack -t2 "$TMP/c1.img")
}
