#!/usr/bin/env bats
# The shared containers that keep every stage's work O(n log n)
# (docs/design.md, "Work bounds"): the chunk map (a balanced search tree),
# the seeded hash map and hash set and the growable array, against brute force
# (tests/unit/containers-test.c), and the CRC-32C both paths share
# (tests/unit/crc32c-test.c).

load lib/common

@test "chunk map, hash map, hash set, vec: the same answers as brute force, in any insertion order" {
	make -C "$ROOT" -s -f tests/unit/Makefile build/unit/containers-test >/dev/null
	run "$ROOT/build/unit/containers-test"
	echo "$output"
	assert_success
	assert_output --partial "ok: chunk map, 20000 chunks in random order"
	assert_output --partial "ok: hash map, 20000 keys"
	assert_output --regexp 'ok: hash set, .* keys'
	assert_output --partial "ok: vec, 20000 elements"
}

@test "crc32c: ISA-L's code equals the bitwise definition at every length and alignment" {
	make -C "$ROOT" -s -f tests/unit/Makefile build/unit/crc32c-test >/dev/null
	run "$ROOT/build/unit/crc32c-test"
	echo "$output"
	assert_success
	assert_output --regexp 'ok: crc32c, .* lengths at 8 alignments'
}
