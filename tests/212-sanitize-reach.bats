#!/usr/bin/env bats
# Sanitizing keeps every entry reachable (docs/robustness.md): a -ss image of every
# single-device corpus case, and of a filesystem made of short names in three subvolumes
# over eight seeds, is restored, mounted and listed directory by directory (subvolume id,
# inode number, number of entries: tests/lib/dir-counts.py); the listing must equal the
# source's.  A replacement that is "." or "..", or equal to another name of its directory,
# loses the entry and everything below it, and shows here.  -s images (which do not mount:
# their keys no longer match their names) are held to the same rule by the checker.

load lib/common

CHECK="$ROOT/tests/lib/sanitize-check.py"
COUNTS="$ROOT/tests/lib/dir-counts.py"

# The short-name tree: every printable 1-byte name but "~" (a directory holding a few
# files), so that "." and "~" are the only printable 1-byte names left for replacements;
# 2-byte names around dots (".a", "a."), 3- and 4-byte ones ("...", "....").
make_tree() {
	python3 - "$1" <<'EOF'
import itertools, os, string, sys
root = sys.argv[1]
os.makedirs(root)
one = [chr(c) for c in range(0x21, 0x7F) if chr(c) not in "./~"]
for n in one:
    os.makedirs(os.path.join(root, n))
    for m in ("a", "b", "lib", "x.c"):
        open(os.path.join(root, n, m), "w").close()
alnum = string.ascii_lowercase + string.digits
two = ["." + c for c in alnum] + [c + "." for c in alnum] + ["".join(p) for p in itertools.product("abcxyz.", repeat=2) if p != (".", ".")]
three = ["...", "..a", "a..", ".a."] + ["".join(p) for p in itertools.islice(itertools.product(alnum, repeat=3), 0, None, 97)]
four = ["...."] + ["".join(p) for p in itertools.islice(itertools.product(alnum, repeat=4), 0, None, 5003)]
os.makedirs(os.path.join(root, "names"))
for n in sorted(set(two + three + four)):
    open(os.path.join(root, "names", n), "w").close()
deep = os.path.join(root, "deep", "s", "t", "u")
os.makedirs(deep)
open(os.path.join(deep, "file-with-a-longer-name"), "w").close()
EOF
}

setup_file() {
	make -C "$ROOT" -s bin/bimg-scan bin/bimg-sanitize bin/bimg-pack bin/bimg-unpack bin/bimg-fixchunks >/dev/null
	[[ $(id -u) -eq 0 ]] || return 0
	local dir=$BATS_FILE_TMPDIR dev
	make_tree "$dir/tree"
	truncate -s 256M "$dir/short.img"
	mkfs.btrfs -q -f --rootdir "$dir/tree" "$dir/short.img" >/dev/null 2>&1
	# Three subvolumes with the same short names, one of them a snapshot (shared leaves).
	dev=$(losetup --find --show "$dir/short.img")
	mkdir -p "$dir/mnt"
	if mount -t btrfs "$dev" "$dir/mnt"; then
		btrfs subvolume create "$dir/mnt/sv1" >/dev/null
		btrfs subvolume create "$dir/mnt/sv2" >/dev/null
		cp -a "$dir/tree/." "$dir/mnt/sv1/"
		cp -a "$dir/tree/names" "$dir/mnt/sv2/"
		btrfs subvolume snapshot "$dir/mnt/sv1" "$dir/mnt/snap" >/dev/null
		touch "$dir/mnt/snap/names/new" "$dir/mnt/sv1/a/new"
		umount "$dir/mnt"
	fi
	losetup -d "$dev"
	rm -rf "$dir/tree"
}

teardown() {
	loop_cleanup
}

# listing IMAGE OUT: dir-counts.py of IMAGE mounted read-only (from a copy: a log tree is
# replayed at mount, which needs a writable device).
listing() {
	cp --sparse=always "$1" "$BATS_TEST_TMPDIR/listed.img"
	loop_mount_ro_replay "$BATS_TEST_TMPDIR/listed.img" "$BATS_TEST_TMPDIR/listed" || return 1
	python3 "$COUNTS" "$BATS_TEST_TMPDIR/listed" >"$2"
	loop_cleanup
	rm -f "$BATS_TEST_TMPDIR/listed.img"
}

# same_listing SRC_LISTING DEVICE... -- SANITIZE ARGS: dump with -ss ARGS, restore with our
# restore, mount, and compare the listing with the source's.
same_listing() {
	local src=$1 t=$BATS_TEST_TMPDIR
	shift
	local devs=()
	while [[ $1 != -- ]]; do devs+=("$1"); shift; done
	shift
	bimg-scan "${devs[@]}" | bimg-sanitize "$@" 2>"$t/san.err" | bimg-pack -o "$t/san.img" || return 1
	rm -f "$t/r.img"
	bimg-unpack "$t/san.img" | bimg-fixchunks "$t/r.img" || return 1
	listing "$t/r.img" "$t/san.counts" || { echo "the restore of bimg-sanitize $* does not mount"; return 1; }
	if ! diff "$src" "$t/san.counts" >"$t/diff"; then
		echo "bimg-sanitize $*: the listing differs from the source's:"
		head -20 "$t/diff"
		return 1
	fi
}

@test "short names: the filesystem has three subvolumes and 91 printable 1-byte names" {
	need_loop_mount
	listing "$BATS_FILE_TMPDIR/short.img" "$BATS_TEST_TMPDIR/src.counts"
	cut -d' ' -f1 "$BATS_TEST_TMPDIR/src.counts" | sort -u >"$BATS_TEST_TMPDIR/subvols"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/subvols")" -eq 4 ]
	# 91 one-byte directories of 4 files each, in the top level, sv1 and its snapshot (sv1/a has 5).
	[ "$(grep -c ' entries=4$' "$BATS_TEST_TMPDIR/src.counts")" -ge $((3 * 91 - 1)) ]
	refute grep -q '^unreachable\|^duplicate' "$BATS_TEST_TMPDIR/src.counts"
}

@test "short names, -ss over eight seeds: every directory keeps every entry after a mount" {
	local seed
	need_loop_mount
	listing "$BATS_FILE_TMPDIR/short.img" "$BATS_TEST_TMPDIR/src.counts"
	for seed in 1 2 3 4 5 6 7 8; do
		same_listing "$BATS_TEST_TMPDIR/src.counts" "$BATS_FILE_TMPDIR/short.img" -- -ss --seed "$seed"
	done
}

@test "short names, -ss --odometer and --keep-short: every directory keeps every entry" {
	need_loop_mount
	listing "$BATS_FILE_TMPDIR/short.img" "$BATS_TEST_TMPDIR/src.counts"
	same_listing "$BATS_TEST_TMPDIR/src.counts" "$BATS_FILE_TMPDIR/short.img" -- -ss --odometer --seed 2
	same_listing "$BATS_TEST_TMPDIR/src.counts" "$BATS_FILE_TMPDIR/short.img" -- -ss --odometer --seed 3
	same_listing "$BATS_TEST_TMPDIR/src.counts" "$BATS_FILE_TMPDIR/short.img" -- -ss --keep-short --seed 2
}

@test "short names, -s and -ss over ten seeds: no name becomes . or .., no directory loses a name (checker)" {
	local seed mode t=$BATS_TEST_TMPDIR
	[[ -f $BATS_FILE_TMPDIR/short.img ]] || skip "the short-name filesystem needs root (loop mount)"
	bimg-scan "$BATS_FILE_TMPDIR/short.img" >"$t/plain.strm"
	bimg-pack -o "$t/plain.img" <"$t/plain.strm"
	for mode in -s -ss; do
		for seed in 1 2 3 4 5 6 7 8 9 10; do
			bimg-sanitize $mode --seed "$seed" <"$t/plain.strm" 2>/dev/null | bimg-pack -o "$t/san.img"
			run python3 "$CHECK" --leak-min 5 "$t/plain.img" "$t/san.img" "$mode"
			assert_success || { echo "$mode --seed $seed"; return 1; }
		done
	done
}

@test "every single-device corpus case that mounts: the -ss restore lists the same entries per directory" {
	local dir=$FULL_CORPUS c n=0 t=$BATS_TEST_TMPDIR unmountable=()
	need_loop_mount
	[[ -f $dir/MANIFEST.tsv ]] || dir=$CORPUS
	for c in $(corpus_cases single "$dir"); do
		mapfile -t files < <(corpus_files "$c")
		if ! listing "${files[0]}" "$t/src.counts" 2>/dev/null; then
			loop_cleanup
			unmountable+=("$c")
			continue
		fi
		same_listing "$t/src.counts" "${files[0]}" -- -ss --seed 4 || { echo "case $c"; return 1; }
		n=$((n + 1))
	done
	echo "$n cases compared; the source does not mount here: ${unmountable[*]:-none}"
	[ "$n" -ge 6 ]
}

@test "more distinct 1-byte names than names to replace them with (NUL and / among them): the dump fails, never two names share one" {
	local mode t=$BATS_TEST_TMPDIR
	python3 "$ROOT/tests/lib/mkstream-short.py" all-bytes >"$t/all.strm"
	for mode in -s -ss; do
		run --separate-stderr bash -c "bimg-sanitize $mode --seed 1 <'$t/all.strm' >'$t/out.strm'"
		assert_failure 1
		assert_stderr "bimg-sanitize: more distinct 1-byte names than there are names to replace them with"
		# The next stage sees the failure, not a truncated stream, and leaves no image.
		run bimg-pack -o "$t/x.img" <"$t/out.strm"
		assert_failure 1
		[ ! -e "$t/x.img" ]
	done
}
