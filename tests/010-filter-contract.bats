#!/usr/bin/env bats
# The rules for filter stages (docs/record-stream.md section 9), checked with
# tests/lib/passfilter.py: a filter written from that text alone, with its own
# reader and writer.  Between bimg-scan and bimg-pack it must change nothing;
# fed a stream as a later minor version might write it (tests/lib/mkstream.py
# future: a longer FS_INFO, compat bits, OPTIONAL records of unknown types, a
# damaged count in END) it must forward what the text says it forwards; and
# failures travel as ERROR records, the first record included.

load lib/common

setup() {
	command -v python3 >/dev/null || skip "python3 is missing"
	PASS="$ROOT/tests/lib/passfilter.py"
	MKSTREAM="$ROOT/tests/lib/mkstream.py"
	T=$BATS_TEST_TMPDIR
}

# scan_pass_pack CASE [SCAN OPTIONS]: the stream and the image, with and without passfilter.
scan_pass_pack() {
	local img=$1
	shift
	bimg-scan "$@" "$img" >"$T/scan.strm"
	python3 "$PASS" <"$T/scan.strm" >"$T/pass.strm"
	cmp "$T/scan.strm" "$T/pass.strm"
	bimg-scan "$@" "$img" | bimg-pack -c0 -o "$T/direct.img"
	bimg-scan "$@" "$img" | python3 "$PASS" | bimg-pack -c0 -o "$T/filtered.img"
	cmp "$T/direct.img" "$T/filtered.img"
	bimg-scan "$@" "$img" | python3 "$PASS" | BIMG_DEFLATE=zlib bimg-pack -c1 -o "$T/filtered1.img"
	bimg-pack -c1 --deflate=zlib -o "$T/direct1.img" <"$T/scan.strm"
	cmp "$T/direct1.img" "$T/filtered1.img"
}

@test "passfilter between bimg-scan and bimg-pack: the same stream and a byte-identical image" {
	[[ -x $BIN/bimg-scan && -x $BIN/bimg-pack ]] || skip "needs bin/bimg-scan and bin/bimg-pack"
	scan_pass_pack "$(corpus_img default)"
	scan_pass_pack "$(corpus_img node4k)" -w
}

@test "passfilter with file data (-d): extents of several DATA records, CONTINUES copied, same image" {
	[[ -x $BIN/bimg-scan && -x $BIN/bimg-pack ]] || skip "needs bin/bimg-scan and bin/bimg-pack"
	scan_pass_pack "$(corpus_img reflink)" -d
	grep -q 'continues' <(bimg-unpack --list "$T/pass.strm")
}

@test "passfilter restores: scan | passfilter | pack, then unpack | passfilter | fixchunks, equals the plain pipeline" {
	local img
	[[ -x $BIN/bimg-fixchunks ]] || skip "needs bin/bimg-fixchunks"
	img=$(corpus_img default)
	bimg-scan "$img" | python3 "$PASS" | bimg-pack -c9 -o "$T/a.img"
	bimg-unpack "$T/a.img" | python3 "$PASS" | bimg-fixchunks "$T/a.target" 2>/dev/null
	bimg-unpack "$T/a.img" | bimg-fixchunks "$T/b.target" 2>/dev/null
	cmp "$T/a.target" "$T/b.target"
	btrfs check "$T/a.target" >/dev/null 2>&1
}

@test "a later minor version's stream: passfilter forwards the longer FS_INFO, OPTIONAL records and END's damaged count" {
	python3 "$MKSTREAM" future >"$T/future.strm"
	python3 "$PASS" <"$T/future.strm" >"$T/out.strm"
	stream_lines "$T/future.strm" >"$T/in.lines"
	stream_lines "$T/out.strm" >"$T/out.lines"
	# the input says 1.7 with compat bit 0x4; the filter writes its own header (9.3.1)
	[[ $(head -n1 "$T/in.lines") == "header 1 7 4 0" ]]
	[[ $(head -n1 "$T/out.lines") == "header 1 0 0 0" ]]
	# every record as it came: FS_INFO of 115 bytes, the OPTIONAL types 200..202 in
	# their places (after SUPERBLOCK, between CHUNK and TREE_BLOCK, before END), and
	# END (same counts, damaged 3)
	diff <(sed 1d "$T/in.lines") <(sed 1d "$T/out.lines")
	[[ $(sed -n 2p "$T/out.lines" | cut -d' ' -f1-3) == "1 0 115" ]]
	[[ $(cut -d' ' -f1,2 "$T/out.lines" | sed 1d | tr '\n' ' ') == "1 0 2 0 200 1 3 0 201 1 4 0 5 0 5 0 202 1 15 0 " ]]
	[[ $(python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read(); print(struct.unpack_from("<Q", d, len(d) - 16)[0])' "$T/out.strm") -eq 3 ]]
	# and the result is a valid stream for the C reader
	bimg-unpack --list "$T/out.strm" >/dev/null
	# bimg-pack skips the OPTIONAL records: the same image as from the 1.0 stream
	python3 "$MKSTREAM" valid | bimg-pack -o "$T/valid.img"
	python3 "$PASS" <"$T/future.strm" | bimg-pack -o "$T/future.img"
	cmp "$T/valid.img" "$T/future.img"
}

@test "ERROR as record 0: readers exit 1 quietly, filters forward it, bimg-pack leaves no image" {
	python3 "$MKSTREAM" error-first >"$T/e.strm"
	run bash -c 'python3 "$1" <"$2" 2>&1 >"$3/out"' _ "$PASS" "$T/e.strm" "$T"
	assert_failure 1
	refute_output
	cmp "$T/e.strm" "$T/out"
	if [[ -x $BIN/bimg-sanitize ]]; then
		run bash -c 'bimg-sanitize -s <"$1" 2>&1 >"$2/out"' _ "$T/e.strm" "$T"
		assert_failure 1
		refute_output
		cmp "$T/e.strm" "$T/out"
	fi
	# a real producer that cannot open its input: one message, from it, and no image
	run bash -c 'set -o pipefail; bimg-scan /nonexistent/device | python3 "$1" | bimg-pack -o "$2/x.img"' _ "$PASS" "$T"
	assert_failure 1
	assert_output "bimg-scan: cannot open '/nonexistent/device': No such file or directory"
	[[ ! -e $T/x.img ]]
}

@test "a stream passfilter refuses: one message from it, an ERROR downstream, no image" {
	python3 "$MKSTREAM" data-over-1mib >"$T/big.strm"
	run bash -c 'set -o pipefail; python3 "$1" <"$2" | bimg-pack -o "$3/x.img"' _ "$PASS" "$T/big.strm" "$T"
	assert_failure 1
	assert_output "passfilter.py: record 4: DATA record of 1048577 data bytes (1..1048576)"
	[[ ! -e $T/x.img ]]
	python3 "$MKSTREAM" unknown-type >"$T/u.strm"
	run bash -c 'python3 "$1" <"$2" | bimg-unpack --list - >/dev/null' _ "$PASS" "$T/u.strm"
	assert_failure 1
	assert_output "passfilter.py: reading stream from standard input: record 6: unknown record type 9"
}
