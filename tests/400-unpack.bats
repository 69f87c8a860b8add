#!/usr/bin/env bats
# bimg-unpack: hostile images fail fast with the cluster offset; pipes,
# threads, --info and --list.

load lib/common

EDIT="$ROOT/tests/lib/imgedit.py"

setup() {
	TMP=$(mktemp -d)
	IMG=$(corpus_img default)
	[[ -f $TMP/ref0.img ]] || btrfs-image -c0 "$IMG" "$TMP/ref0.img"
	[[ -f $TMP/ref9.img ]] || btrfs-image -c9 "$IMG" "$TMP/ref9.img"
}

teardown() {
	rm -rf "$TMP"
}

# hostile SOURCE EDIT [ARG] -> runs bimg-unpack on the damaged copy
hostile() {
	python3 "$EDIT" "$TMP/$1" "$TMP/bad.img" "${@:2}"
	run timeout 20 bimg-unpack "$TMP/bad.img"
	echo "$output" | grep -v '^BIMGSTRM' | tail -n 3 >&2 || true
	assert_failure 1
	# the message is the last line on stderr; stdout (the partial stream) is mixed in by run
	assert_output --regexp "bimg-unpack: $TMP/bad.img: cluster at offset [0-9]+: "
}

@test "flipped superblock byte: error, no hang" {
	hostile ref0.img flip-super
	assert_output --regexp 'cluster at offset 0: superblock item: .*checksum'
}

@test "compressed payload cut short by 6 bytes: error, no runaway output" {
	hostile ref9.img truncate-last 6
	assert_output --partial "zlib stream ends early"
}

@test "trailing garbage after a zlib stream: error" {
	hostile ref9.img grow-last 6
	assert_output --partial "trailing garbage"
}

@test "bogus trailing cluster announcing a missing payload: error (the reference exits 0)" {
	hostile ref9.img bogus-cluster
	assert_output --partial "cut short by the end of the image"
}

@test "nritems out of range (84 and 0): error" {
	hostile ref9.img nritems 84
	assert_output --partial "item count out of range"
	hostile ref9.img nritems 0
}

@test "item size past the end of the file: error" {
	hostile ref0.img past-eof
	assert_output --partial "cut short"
	hostile ref9.img past-eof
}

@test "index block bytenr mismatch and bad magic: error" {
	hostile ref9.img bytenr
	assert_output --partial "does not match its file offset"
	hostile ref9.img magic
	assert_output --partial "magic"
}

@test "a downstream stage sees the failure as an ERROR record, not a truncation" {
	python3 "$EDIT" "$TMP/ref0.img" "$TMP/bad.img" past-eof
	run bash -c "'$BIN/bimg-unpack' '$TMP/bad.img' | '$BIN/bimg-unpack' --list - >/dev/null; echo \"status \${PIPESTATUS[*]}\""
	assert_output --partial "status 1 1"
	[[ $(grep -c '^bimg-unpack' <<<"$output") -eq 1 ]]
}

@test "an image that cannot be opened is forwarded as an ERROR record too" {
	run bash -c "'$BIN/bimg-unpack' '$TMP/missing.img' | '$BIN/bimg-unpack' --list - >/dev/null; echo \"status \${PIPESTATUS[*]}\""
	echo "$output"
	assert_output --partial "status 1 1"
	[[ $(grep -c '^bimg-' <<<"$output") -eq 1 ]]
	assert_output --partial "bimg-unpack: cannot open '$TMP/missing.img'"
}

@test "a default (libdeflate) image from a pipe, in slow pieces: the same stream" {
	bimg-unpack "$TMP/ref9.img" | bimg-pack -c9 -o "$TMP/ours9.img"
	bimg-unpack "$TMP/ref9.img" >"$TMP/ref.strm"
	bimg-unpack "$TMP/ours9.img" >"$TMP/ours.strm"
	cmp "$TMP/ref.strm" "$TMP/ours.strm"
	# odd-sized writes with pauses: reads must not assume full buffers
	python3 -c '
import sys, time
data = open(sys.argv[1], "rb").read()
for i in range(0, len(data), 3001):
    sys.stdout.buffer.write(data[i:i + 3001]); sys.stdout.flush()
    if i % 60020 == 0: time.sleep(0.01)
' "$TMP/ours9.img" | bimg-unpack - >"$TMP/slow.strm"
	cmp "$TMP/ref.strm" "$TMP/slow.strm"
}

@test "a partial index block at the end is ignored with a warning" {
	bimg-unpack "$TMP/ref9.img" >"$TMP/good.strm"
	python3 "$EDIT" "$TMP/ref9.img" "$TMP/tail.img" partial-trailer 500
	run bimg-unpack "$TMP/tail.img"
	assert_success
	bimg-unpack "$TMP/tail.img" 2>"$TMP/err" >"$TMP/tail.strm"
	grep -q "warning: .*500 trailing bytes" "$TMP/err"
	cmp "$TMP/good.strm" "$TMP/tail.strm"
}

@test "pipe input, file input and thread counts give the same stream" {
	local level
	for level in 0 9; do
		bimg-unpack "$TMP/ref$level.img" >"$TMP/file.strm"
		cat "$TMP/ref$level.img" | bimg-unpack - >"$TMP/pipe.strm"
		bimg-unpack <"$TMP/ref$level.img" >"$TMP/stdin.strm"
		bimg-unpack -t 1 "$TMP/ref$level.img" >"$TMP/t1.strm"
		bimg-unpack -t 3 "$TMP/ref$level.img" >"$TMP/t3.strm"
		cmp "$TMP/file.strm" "$TMP/pipe.strm"
		cmp "$TMP/file.strm" "$TMP/stdin.strm"
		cmp "$TMP/file.strm" "$TMP/t1.strm"
		cmp "$TMP/file.strm" "$TMP/t3.strm"
	done
	# compression does not change the records
	bimg-unpack "$TMP/ref0.img" >"$TMP/raw.strm"
	cmp "$TMP/raw.strm" "$TMP/t3.strm"
}

@test "--info agrees with dump-super and the image's index blocks" {
	local super info field
	super=$(btrfs inspect-internal dump-super "$IMG")
	field() { awk -v k="$1" '$1 == k { print $2 }' <<<"$super"; }
	info=$(bimg-unpack --info "$TMP/ref9.img")
	echo "$info"
	grep -qx "fsid: *$(field fsid)" <<<"$info"
	grep -qx "nodesize: *$(field nodesize)" <<<"$info"
	grep -qx "sectorsize: *$(field sectorsize)" <<<"$info"
	grep -qx "generation: *$(field generation)" <<<"$info"
	grep -qx "devices: *$(field num_devices)" <<<"$info"
	# dump-super escapes non-ASCII labels; 'filesystem label' prints them as they are
	grep -qxF "label:          $(btrfs filesystem label "$IMG")" <<<"$info"
	grep -qx "items: *$(python3 "$EDIT" "$TMP/ref9.img" - count-items)" <<<"$info"
	grep -qx "compression: *zlib" <<<"$info"
	grep -qx "input: *image, format 0 (metadata)" <<<"$info"
	grep -qE '^  5 +FS_TREE +[0-9]+ blocks$' <<<"$info"
	bimg-unpack --info "$TMP/ref0.img" | grep -qx "compression: *none"
}

@test "--list has one line per record and reads images and streams alike" {
	local blocks
	bimg-unpack --list "$TMP/ref9.img" >"$TMP/list.img"
	bimg-unpack "$TMP/ref9.img" | bimg-unpack --list >"$TMP/list.strm"
	cmp "$TMP/list.img" "$TMP/list.strm"
	blocks=$(bimg-unpack --info "$TMP/ref9.img" | awk '/^tree blocks:/ { print $3 }')
	[[ $(grep -c '^TREE_BLOCK ' "$TMP/list.img") -eq $blocks ]]
	[[ $(head -n 1 "$TMP/list.img") == FS_INFO* ]]
	[[ $(sed -n 2p "$TMP/list.img") == SUPERBLOCK* ]]
	[[ $(tail -n 1 "$TMP/list.img") == END* ]]
	bimg-unpack "$TMP/ref9.img" | bimg-unpack --info | grep -qx "input: *record stream"
}

@test "a stream is not unpacked again without --info/--list" {
	bimg-unpack "$TMP/ref9.img" >"$TMP/s"
	run bimg-unpack "$TMP/s"
	assert_failure 1
	assert_output --partial "already a record stream"
}

@test "format 1 images: CONTENT_DATA in FS_INFO, and pack writes format 1 back" {
	python3 "$EDIT" "$TMP/ref0.img" "$TMP/v1.img" to-v1
	bimg-unpack --info "$TMP/v1.img" | grep -q "format 1"
	bimg-unpack --list "$TMP/v1.img" | head -n 1 | grep -q "content 0x18"
	bimg-unpack "$TMP/v1.img" | bimg-pack -o "$TMP/v1b.img"
	[[ $(head -c 8 "$TMP/v1b.img") == _DUmP_v1 ]]
	cmp <(bimg-unpack "$TMP/v1.img") <(bimg-unpack "$TMP/v1b.img")
}

@test "bimg-unpack rejects bad usage and answers --help and --version" {
	run bimg-unpack -t 33 x
	assert_failure 1
	run bimg-unpack --info --list x
	assert_failure 1
	run bimg-unpack a b
	assert_failure 1
	run bimg-unpack --help
	assert_success
	assert_output --regexp '^Usage:'
	run bimg-unpack --version
	assert_success
	assert_output --regexp '^bimg-unpack \(bimg\) '
	run bimg-unpack /nonexistent
	assert_failure 1
	assert_output --partial "/nonexistent"
	run bimg-unpack /dev/null
	assert_failure 1
}
