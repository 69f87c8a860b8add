#!/usr/bin/env bats
# Every stage whose reader goes away exits 1 with a short message instead
# of dying silently of SIGPIPE (status 141); the btrfs-image wrapper too.

load lib/common

setup() {
	T=$BATS_TEST_TMPDIR
	FS=$(corpus_img subvol-snap)
	bimg-scan "$FS" >"$T/stream"
	bimg-pack -c1 -o "$T/img" <"$T/stream"
}

# closed_early CMD...: run CMD | head -c 100; status: CMD's, output: its stderr
closed_early() {
	run bash -c '"$@" 2>"$0.err" | head -c 100 >/dev/null; s=${PIPESTATUS[0]}; cat "$0.err"; exit "$s"' \
		"$T/run" "$@"
}

@test "bimg-scan: downstream closed" {
	closed_early bimg-scan "$FS"
	assert_failure 1
	assert_output --partial "downstream closed the pipe"
}

@test "bimg-sanitize: downstream closed" {
	closed_early bash -c 'bimg-sanitize -ss --seed 1 <"$0"' "$T/stream"
	assert_failure 1
	assert_output --regexp 'bimg-sanitize.*downstream closed the pipe'
}

@test "bimg-pack to standard output: downstream closed" {
	closed_early bash -c 'bimg-pack -c0 <"$0"' "$T/stream"
	assert_failure 1
	assert_output --regexp 'bimg-pack.*closed'
}

@test "bimg-unpack: downstream closed" {
	closed_early bimg-unpack "$T/img"
	assert_failure 1
	assert_output --regexp 'bimg-unpack.*downstream closed the pipe'
}

@test "btrfs-image.sh dump to standard output: downstream closed, exit 1" {
	closed_early btrfs-image.sh -c0 "$FS" -
	assert_failure 1
	assert_output --partial "closed"
}
