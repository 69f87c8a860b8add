#!/usr/bin/env bats
# bimg-sanitize -ss on a filesystem made of short names: a directory of 19 000 names of 1..4
# bytes spread over many leaves (so short names sit first and last in leaves, and node pointer
# keys move), the same short names in 40 directories (one replacement for all), and 1 500 hard
# links with 4-byte names in one directory (INODE_EXTREF keys move too).  Built with
# mkfs.btrfs --rootdir, so no mount is needed to make it.

load lib/common

CHECK="$ROOT/tests/lib/sanitize-check.py"

setup_file() {
	make -C "$ROOT" -s bin/bimg-scan bin/bimg-sanitize bin/bimg-pack >/dev/null
	local dir=$BATS_FILE_TMPDIR
	python3 - "$dir/root" <<'EOF'
import itertools, os, string, sys
root = sys.argv[1]
alpha = string.ascii_lowercase + string.digits
names = list(alpha)
names += ["".join(p) for p in itertools.product(alpha, repeat=2)]
names += ["".join(p) for p in itertools.islice(itertools.product(alpha, repeat=3), 0, None, 5)]
names += ["".join(p) for p in itertools.islice(itertools.product(alpha, repeat=4), 0, None, 200)]
os.makedirs(root + "/big")
for n in names:
    open(root + "/big/" + n, "w").close()
common = ["a", "bb", "ccc", "dddd", "src", "lib", "bin", "docs", "test", ".git", "x", "tmp", "etc", "usr", "var"]
for d in range(40):
    path = "%s/d%02d" % (root, d)
    os.makedirs(path)
    for n in common:
        if n in ("src", "lib", "bin"):
            os.makedirs(path + "/" + n)
        else:
            open(path + "/" + n, "w").close()
os.makedirs(root + "/links")
open(root + "/links/f", "w").close()
for i in range(1500):
    os.link(root + "/links/f", root + "/links/%04d" % i)
EOF
	truncate -s 512M "$dir/short.img"
	mkfs.btrfs -q -f --rootdir "$dir/root" "$dir/short.img" >/dev/null 2>&1
	rm -rf "$dir/root"
	bimg-scan "$dir/short.img" | bimg-pack -o "$dir/plain.img"
	bimg-scan "$dir/short.img" | bimg-sanitize -ss -v --seed 3 2>"$dir/san.err" | bimg-pack -o "$dir/san.img"
	rm -f "$dir/r.img"
	btrfs-image -r "$dir/san.img" "$dir/r.img"
}

teardown() {
	loop_cleanup
}

@test "short names: the filesystem has what the test is about (extrefs, a many-leaf directory)" {
	run btrfs inspect-internal dump-tree "$BATS_FILE_TMPDIR/short.img"
	assert_success
	[ "$(grep -c INODE_EXTREF <<<"$output")" -gt 100 ]
	[ "$(grep -c '^leaf' <<<"$output")" -gt 100 ]
}

@test "short names: every name of 4 bytes replaced, keys moved with them, leaves in order" {
	cat "$BATS_FILE_TMPDIR/san.err"
	run python3 "$CHECK" --leak-min 5 "$BATS_FILE_TMPDIR/plain.img" "$BATS_FILE_TMPDIR/san.img" -ss
	echo "$output"
	assert_success
	# Item keys and node pointer keys both moved; no name fell back to a mismatched hash.
	grep -Eq 'moved with their keys: [1-9][0-9]* item keys, [1-9][0-9]* node pointers' "$BATS_FILE_TMPDIR/san.err"
	refute grep -q 'random replacements' "$BATS_FILE_TMPDIR/san.err"
}

@test "short names: the restored image passes btrfs check with no hash mismatch" {
	run btrfs check "$BATS_FILE_TMPDIR/r.img"
	echo "$output"
	assert_success
	refute_output --regexp '[mM][iI][sS][mM][aA][tT][cC][hH]'
}

@test "short names: the restored image mounts, lists every entry, and every entry can be looked up" {
	need_loop_mount
	same_entry_count loop_mount_ro "$BATS_FILE_TMPDIR/short.img" "$BATS_FILE_TMPDIR/r.img"
	[ "$(find "$BATS_TEST_TMPDIR/mnt" -print0 | xargs -0 stat --format=%i | wc -l)" -eq "$NEW_COUNT" ]
	# The hard-linked file still has all its links.
	[ "$(find "$BATS_TEST_TMPDIR/mnt" -type f -links 1501 | wc -l)" -eq 1501 ]
}

@test "every corpus case: a -ss dump restores (our restore) and passes btrfs check with no hash mismatch" {
	local dir=$FULL_CORPUS c n=0 t=$BATS_TEST_TMPDIR
	[[ -f $dir/MANIFEST.tsv ]] || dir=$CORPUS
	make -C "$ROOT" -s bin/bimg-unpack bin/bimg-fixchunks >/dev/null
	for c in $(corpus_cases all "$dir"); do
		mapfile -t files < <(corpus_files "$c")
		bimg-scan "${files[@]}" | bimg-sanitize -ss --seed 9 2>/dev/null | bimg-pack -o "$t/san.img"
		rm -f "$t/r.img"
		bimg-unpack "$t/san.img" | bimg-fixchunks "$t/r.img"
		run btrfs check "$t/r.img"
		assert_success || { echo "case $c"; return 1; }
		refute_output --regexp '[mM][iI][sS][mM][aA][tT][cC][hH]' || { echo "case $c"; return 1; }
		n=$((n + 1))
	done
	echo "$n cases"
	[ "$n" -ge 9 ]
}

# short_variant_sanitized VARIANT: mkstream-short.py's VARIANT packed as $t/plain.img, and through
# bimg-sanitize -ss -v (seed 2) as $t/san.img, its messages in $t/err (and shown).
short_variant_sanitized() {
	local t=$BATS_TEST_TMPDIR
	python3 "$ROOT/tests/lib/mkstream-short.py" "$1" >"$t/v.stream"
	bimg-pack -o "$t/plain.img" <"$t/v.stream"
	bimg-sanitize -ss -v --seed 2 <"$t/v.stream" 2>"$t/err" | bimg-pack -o "$t/san.img"
	cat "$t/err"
}

# sanitized_pair_checks: the checker passes $t/san.img as the -ss image of $t/plain.img.
sanitized_pair_checks() {
	local t=$BATS_TEST_TMPDIR
	python3 "$CHECK" "$t/plain.img" "$t/san.img" -ss
}

@test "placement stream: leaves whose first and last items are short names move their node pointer keys" {
	local t=$BATS_TEST_TMPDIR
	short_variant_sanitized valid
	grep -q 'moved with their keys: 5 item keys, 2 node pointers' "$t/err"
	# The checker verifies each moved pointer key against its child's new first key.
	sanitized_pair_checks
}

@test "placement stream: 1200 leaves whose first key is a long name's DIR_ITEM: no pointer key moves" {
	# More such blocks than bimg-sanitize notes in memory at once: the ones noted last must be
	# found as well as those written to its temporary file, or their pointers count as pointers to
	# blocks that never came, and their keys move away from their children's first keys.
	local t=$BATS_TEST_TMPDIR
	short_variant_sanitized many
	grep -q '1200 distinct names (0 of 1 to 4 bytes moved with their keys: 0 item keys, 0 node pointers' "$t/err"
	sanitized_pair_checks
}

@test "placement stream: hostile node graphs (a cycle through one address, 5000 parents, unsorted keys) end" {
	local t=$BATS_TEST_TMPDIR v
	for v in cycle fan unsorted; do
		python3 "$ROOT/tests/lib/mkstream-short.py" "$v" >"$t/$v.stream"
		timeout 20 bimg-sanitize -ss --seed 1 <"$t/$v.stream" >"$t/$v.out" 2>"$t/$v.err" || {
			echo "$v: exit $?: $(cat "$t/$v.err")"
			return 1
		}
		# The output is a whole stream: every record, then END.
		run bimg-unpack --list "$t/$v.out"
		assert_success
		assert_line --index -1 --regexp '^END'
	done
}

@test "placement stream: no temporary file possible: one message, exit 1, ERROR downstream" {
	local t=$BATS_TEST_TMPDIR
	python3 "$ROOT/tests/lib/mkstream-short.py" valid >"$t/v.stream"
	run bash -c "TMPDIR=$t/missing bimg-sanitize -ss <'$t/v.stream' 2>'$t/err' >'$t/out'"
	assert_failure 1
	cat "$t/err"
	[ "$(wc -l <"$t/err")" -eq 1 ]
	grep -q "^bimg-sanitize: .*cannot create a temporary file in $t/missing" "$t/err"
	# The next stage sees the failure, not a truncated stream.
	run bimg-pack -o "$t/x.img" <"$t/out"
	assert_failure 1
	[ ! -e "$t/x.img" ]
}
