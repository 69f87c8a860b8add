#!/usr/bin/env bats
# The benchmark scripts are not run by the suite: they take minutes and their
# figures are never assertions.  But they must not rot unseen (bench/levels.sh
# once stopped building when src/common/image.c came to need xio.c): every
# script parses, and bench/levels.sh, whose program is compiled from
# src/common at each run, runs end to end on a small corpus filesystem.

load lib/common

setup() {
	skip_on_sanitizer_build "the scripts are the same; the timings mean nothing there"
}

@test "bench: every script parses" {
	local f
	for f in "$ROOT"/bench/*.sh; do
		bash -O extglob -n "$f" || {
			echo "$f does not parse"
			return 1
		}
	done
}

@test "bench: bench/levels.sh builds its program and prints a row per codec on a corpus filesystem" {
	run "$ROOT/bench/levels.sh" "$CORPUS/default.img"
	assert_success
	assert_output --partial "default:"
	for codec in "zlib 9" "libdeflate 6" "libdeflate 10" "libdeflate 12"; do
		assert_output --regexp "(^|$(printf '\n'))[[:space:]]*$codec[[:space:]]+[0-9]"
	done
}
