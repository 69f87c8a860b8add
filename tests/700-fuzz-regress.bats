#!/usr/bin/env bats
# The fuzz harnesses (tests/fuzz/) replay every saved input once: each
# input that once crashed a harness, plus a few smoke inputs per harness.
# A regression fails the make target, and so this test.

load lib/common

fuzzer_available() {
	local dir
	command -v clang >/dev/null 2>&1 || return 1
	dir=$(mktemp -d)
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
		>"$dir/t.c"
	clang -fsanitize=fuzzer,address,undefined -o "$dir/t" "$dir/t.c" >/dev/null 2>&1
	local rc=$?
	rm -rf "$dir"
	return $rc
}

setup() {
	# make sanitize removed build/, where the harnesses are: they would be rebuilt the same
	skip_on_sanitizer_build "the harnesses carry their own sanitizers whatever bin/ holds"
	fuzzer_available || skip "clang with its libFuzzer runtime is not installed (libclang-rt-dev)"
}

@test "fuzz-regress: every saved input runs cleanly through its harness" {
	run make -s -j"$(nproc)" -C "$ROOT" -f Makefile -f fuzz.mk fuzz-regress
	echo "$output"
	assert_success
	# Every harness has saved inputs, and each one was run.
	for h in stream super_chunks tree_block image_index fixchunks fixchunks_multi verify; do
		n=$(find "$ROOT/tests/fuzz/regress/$h" -type f | wc -l)
		[ "$n" -gt 0 ]
		assert_output --partial "fuzz-regress: $h: $n inputs"
	done
}

@test "fuzz harnesses survive die(): a rejected input is not the end of the run" {
	make -s -j"$(nproc)" -C "$ROOT" -f Makefile -f fuzz.mk fuzz-build
	dir=$(mktemp -d)
	printf 'garbage, not a stream' >"$dir/a"
	head -c 5000 /dev/urandom >"$dir/b"
	for h in stream super_chunks tree_block image_index fixchunks fixchunks_multi verify; do
		run "$ROOT/build/fuzz/fuzz_$h" -runs=200 "$dir"
		assert_success || { echo "harness $h"; return 1; }
		assert_output --partial "Done 200 runs" || { echo "harness $h"; return 1; }
	done
	rm -rf "$dir"
}
