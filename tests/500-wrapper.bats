#!/usr/bin/env bats
# btrfs-image.sh against the reference btrfs-image: the command line
# (each option check of btrfs-image 6.2), and whole dumps and restores through the
# pipeline.

load lib/common

REF=/usr/bin/btrfs-image

setup() {
	WRAPPER="$ROOT/btrfs-image.sh"
	[[ -x $REF ]] || skip "the reference $REF is not installed"
	cd "$BATS_TEST_TMPDIR" || return 1
}

teardown() {
	loop_cleanup
}

need_dump() {
	[[ -x $BIN/bimg-scan && -x $BIN/bimg-pack ]] || skip "bin/bimg-scan or bin/bimg-pack is not built"
}

need_restore() {
	[[ -x $BIN/bimg-unpack && -x $BIN/bimg-fixchunks ]] || skip "bin/bimg-unpack or bin/bimg-fixchunks is not built"
}

# Run PROGRAM ARGS... in a fresh directory; sets <prefix>_status, _out, _err.
run_in_fresh_dir() {
	local prefix=$1 dir status=0
	shift
	dir=$(mktemp -d "$BATS_TEST_TMPDIR/run.XXXXXX")
	(cd "$dir" && "$@" >"$dir.out" 2>"$dir.err") || status=$?
	printf -v "${prefix}_status" '%s' "$status"
	printf -v "${prefix}_out" '%s' "$(cat "$dir.out")"
	printf -v "${prefix}_err" '%s' "$(cat "$dir.err")"
}

# Same exit status as the reference, and both stderr texts match every
# extended regular expression given before "--".
same_as_reference() {
	local patterns=() p
	while [[ $1 != -- ]]; do patterns+=("$1"); shift; done
	shift
	run_in_fresh_dir ref "$REF" "$@"
	run_in_fresh_dir ours "$WRAPPER" "$@"
	echo "args: $*"
	echo "reference: status $ref_status: $ref_err"
	echo "ours:      status $ours_status: $ours_err"
	[[ $ref_status == "$ours_status" ]]
	for p in "${patterns[@]}"; do
		grep -Eq -- "$p" <<<"$ref_err"
		grep -Eq -- "$p" <<<"$ours_err"
	done
	# usage errors and checks write nothing to standard output
	[[ $ref_status -eq 0 || -z $ours_out ]]
}

scan_supports_data() {
	[[ -x $BIN/bimg-scan ]] && "$BIN/bimg-scan" --help 2>&1 | grep -Eq '(^|[^[:alnum:]-])-d([^[:alnum:]-]|$)'
}

# The reference's multi-threaded restore races (docs/compat.md): compare
# against its -t 1 restore, which is deterministic.
ref_restore() { "$REF" -r -t 1 "$@"; }
# Restored targets are mostly holes: compare only where either has data.
cmp_target() { python3 "$ROOT/tests/lib/sparsecmp.py" "$1" "$2"; }

# ---- command line: every check btrfs-image 6.2 makes, in its order ----

@test "-t above 32 / -c above 9: same message, no usage" {
	same_as_reference 'ERROR: number of threads out of range: 33 > 32' -- -t 33 a b
	[[ $ours_err != *usage:* ]]
	same_as_reference 'ERROR: compression level out of range: 10' -- -c 10 a b
	same_as_reference 'ERROR: number of threads out of range: 4294967297 > 32' -- -t4294967297 a b
}

@test "non-numeric, negative and too large -t/-c values" {
	same_as_reference 'ERROR: x is not a valid numeric value' -- -t x a b
	same_as_reference 'ERROR: 9x is not a valid numeric value' -- -c 9x a b
	same_as_reference 'ERROR: 0x is not a valid numeric value' -- -c 0x a b
	same_as_reference 'ERROR: -1: negative value is invalid' -- -t -1 a b
	same_as_reference 'ERROR: -1: negative value is invalid' -- -c -1 a b
	same_as_reference 'is too large' -- -c 99999999999999999999 a b
	same_as_reference 'is too large' -- -c 18446744073709551615 a b
	# strtoull's bases and wrap-around, as the reference reads them
	same_as_reference 'compression level out of range: 18446744073709551611' -- -c ' -5' a b
	same_as_reference 'number of threads out of range: 33 > 32' -- -t 0x21 a b
	same_as_reference 'number of threads out of range: 33 > 32' -- -t 041 a b
}

@test "options are checked in command-line order" {
	same_as_reference 'number of threads out of range' -- -t 40 -x a b
	same_as_reference "invalid option -- 'x'" -- -x -t 40 a b
	same_as_reference 'compression level out of range' -- -c 10 -t 40 a b
}

# The reference follows a usage error with its usage; ours is the one line.
one_line() { [[ $(grep -c . <<<"$ours_err") -eq 1 && $ref_err == *usage:* ]]; }

@test "fewer than 2 positional arguments: the message on stderr, one line" {
	same_as_reference 'not enough arguments: 1 but at least 2 expected' -- a
	one_line
	same_as_reference 'not enough arguments: 0 but at least 2 expected' --
	one_line
	same_as_reference 'not enough arguments: 1 but at least 2 expected' -- -r -c0 a
}

@test "-d when bimg-scan supports it: HEAD's checks, and a format 1 image" {
	run "$WRAPPER" -d -w a b
	assert_failure 1
	assert_output --regexp '^ERROR: -d conflicts with -w option'
	run "$WRAPPER" -r -d a b
	assert_failure 1
	assert_output --regexp '^ERROR: using -w, -s, -c, -d options for restore makes no sense'
	need_dump
	img=$(corpus_img default)
	"$WRAPPER" -d "$img" data.img
	[[ $(head -c 8 data.img) == _DUmP_v1 ]]
}

@test "dump with -o: create and restore cannot be used at the same time" {
	same_as_reference '^ERROR: create and restore cannot be used at the same time' -- -o a b
	one_line
}

@test "restore with -w, -s, -c N or -m plus those: makes no sense" {
	same_as_reference 'using -w, -s, -c, -d options for restore makes no sense' -- -r -w a b
	one_line
	same_as_reference 'using -w, -s, -c, -d options for restore makes no sense' -- -r -s a b
	same_as_reference 'using -w, -s, -c, -d options for restore makes no sense' -- -r -c1 a b
	same_as_reference 'using -w, -s, -c, -d options for restore makes no sense' -- -m -w a b c
}

@test "restore with -c 0 is allowed; a missing image: one line" {
	same_as_reference 'No such file or directory' -- -r -c0 missing.img target
	[[ $(grep -c . <<<"$ours_err") -eq 1 ]]
}

@test "-m with fewer than 2 targets, restore with several targets" {
	same_as_reference 'ERROR: not enough devices specified for -m option' -- -m a b
	one_line
	same_as_reference 'ERROR: accepts only 1 device without -m option' -- -r a b c
	one_line
	# several errors are all reported, one line each
	same_as_reference 'makes no sense' 'accepts only 1 device' -- -r -w a b c
	[[ $(grep -c . <<<"$ours_err") -eq 2 ]]
}

@test "-m with enough targets and a missing image: exit 1, one line" {
	same_as_reference 'No such file or directory' -- -m missing.img t1 t2
	[[ $(grep -c . <<<"$ours_err") -eq 1 ]]
}

@test "target that cannot be created" {
	same_as_reference '^ERROR: unable to create target file /nonexistent/dir/x' -- a /nonexistent/dir/x
	same_as_reference '^ERROR: unable to create target file /nonexistent/dir/x' -- -r a /nonexistent/dir/x
	# an empty name: no stage is run (bimg-pack wrote a whole image, then could not name it)
	same_as_reference '^ERROR: unable to create target file $' -- a ''
	[[ $(grep -c . <<<"$ours_err") -eq 1 ]]
	same_as_reference '^ERROR: unable to create target file $' -- -r a ''
	[[ $(grep -c . <<<"$ours_err") -eq 1 ]]
}

@test "bad options: getopt's messages, one line" {
	same_as_reference "invalid option -- 'h'" -- -h
	one_line
	same_as_reference "option requires an argument -- 'c'" -- -c
	one_line
	same_as_reference "unrecognized option '--foo=bar'" -- --foo=bar a b
	one_line
	same_as_reference "option '--help' doesn't allow an argument" -- --hel=x
}

@test "--help: exit 0 (ours on stdout, the reference's on stderr)" {
	run_in_fresh_dir ref "$REF" --help
	run_in_fresh_dir ours "$WRAPPER" --help
	[[ $ref_status -eq 0 && $ours_status -eq 0 ]]
	[[ $ref_err == usage:* ]]
	[[ $ours_out == usage:* && -z $ours_err ]]
	run "$WRAPPER" --he -x
	assert_success
}

@test "--version: ours only" {
	run "$WRAPPER" --version
	assert_success
	assert_output --regexp '^btrfs-image\.sh \(bimg\) [0-9]'
}

@test "failed checks create nothing" {
	run_in_fresh_dir ours "$WRAPPER" -c 10 a b
	run_in_fresh_dir ours "$WRAPPER" -r a b c
	run_in_fresh_dir ours "$WRAPPER" -m img t1
	[[ -z $(find "$BATS_TEST_TMPDIR" -path '*/run.*/*' -print -quit) ]]
}

# ---- dumps ----

@test "-c0 dump: byte-identical to the reference for every single-device crc32c case" {
	need_dump
	local case img n=0
	for case in $(corpus_cases single-crc32c); do
		img=$(corpus_img "$case")
		"$REF" -c0 "$img" "ref-$case.img"
		"$WRAPPER" -c0 "$img" "ours-$case.img"
		cmp "ref-$case.img" "ours-$case.img"
		n=$((n + 1))
	done
	[[ $n -gt 0 ]] || skip "no single-device crc32c case in $CORPUS"
}

@test "-w dump: byte-identical to the reference (default case)" {
	need_dump
	img=$(corpus_img default)
	"$REF" -w "$img" ref.img
	"$WRAPPER" -w "$img" ours.img
	cmp ref.img ours.img
}

@test "dump to standard output: the same bytes as to a file" {
	need_dump
	img=$(corpus_img default)
	"$WRAPPER" "$img" file.img
	"$WRAPPER" "$img" - | cat >piped.img
	cmp file.img piped.img
}

@test "extra positional arguments after the dump target are ignored" {
	need_dump
	img=$(corpus_img default)
	"$WRAPPER" "$img" a.img
	"$WRAPPER" "$img" b.img extra1 extra2
	cmp a.img b.img
	[[ ! -e extra1 && ! -e extra2 ]]
}

@test "-c9 -t2 dump: the reference restores it to the same bytes as its own image" {
	need_dump
	local case img n=0
	for case in $(corpus_cases single-crc32c); do
		img=$(corpus_img "$case")
		"$REF" -c9 -t2 "$img" ref.img
		"$WRAPPER" -c9 -t2 "$img" ours.img
		n=$((n + 1))
		# identical images restore identically; with another zlib they differ
		cmp -s ref.img ours.img && continue
		rm -f ref-target ours-target
		ref_restore ref.img ref-target
		ref_restore ours.img ours-target
		cmp_target ref-target ours-target
	done
	[[ $n -gt 0 ]] || skip "no single-device crc32c case in $CORPUS"
}

@test "a failing stage fails the dump: exit 1, one line, no output file" {
	need_dump
	truncate -s 1M notbtrfs.img
	run "$WRAPPER" notbtrfs.img out.img
	echo "$output"
	assert_failure 1
	[[ $(grep -c . <<<"$output") -eq 1 ]]
	[[ ! -e out.img ]]
	[[ -z $(find . -name '*out.img*' -print -quit) ]]
	run "$WRAPPER" notbtrfs.img -
	assert_failure 1
	[[ $(grep -c . <<<"$output") -eq 1 ]]
}

@test "the stages are found next to the script through a symlink, without PATH" {
	need_dump
	img=$(corpus_img default)
	mkdir elsewhere
	ln -s "$WRAPPER" elsewhere/btrfs-image.sh
	PATH=/usr/bin:/bin elsewhere/btrfs-image.sh -c0 "$img" linked.img
	"$REF" -c0 "$img" ref.img
	cmp ref.img linked.img
}

@test "--device names the other members of a file-backed multi-device filesystem" {
	need_dump
	local devs
	corpus_devs raid1
	"$WRAPPER" "${devs[0]}" --device "${devs[1]}" both.img
	ref_restore both.img target
	btrfs check --readonly target
}

@test "a block device source: the other members are found by fsid" {
	need_dump
	need_loop_mount
	local devs a b
	corpus_devs raid1
	a=$(losetup --find --show --read-only "${devs[0]}")
	LOOP_DEVS+=("$a")
	b=$(losetup --find --show --read-only "${devs[1]}")
	LOOP_DEVS+=("$b")
	udevadm settle 2>/dev/null || true
	"$WRAPPER" "$a" found.img
	"$WRAPPER" "${devs[0]}" --device "${devs[1]}" named.img
	cmp found.img named.img
}

# ---- restores ----

@test "restore from a file and from a pipe: the same target as btrfs-image -r" {
	need_dump
	need_restore
	local case img n=0
	for case in $(corpus_cases single-crc32c); do
		img=$(corpus_img "$case")
		"$REF" -c1 "$img" image
		rm -f ref-target file-target pipe-target
		ref_restore image ref-target
		"$WRAPPER" -r image file-target
		cat image | "$WRAPPER" -r - pipe-target
		cmp_target ref-target file-target
		cmp_target ref-target pipe-target
		n=$((n + 1))
	done
	[[ $n -gt 0 ]] || skip "no single-device crc32c case in $CORPUS"
}

@test "a failing restore: exit 1, one line" {
	need_restore
	head -c 5000 /dev/urandom >junk.img
	run "$WRAPPER" -r junk.img target
	echo "$output"
	assert_failure 1
	[[ $(grep -c . <<<"$output") -eq 1 ]]
}

@test "-ss and -s through the wrapper: sanitized images restore (file and pipe), -ss mounts by the new names" {
	need_dump
	need_restore
	local img src_count new_count
	img=$(corpus_img default)
	"$WRAPPER" -c0 "$img" plain.img
	"$WRAPPER" -ss -c9 "$img" ss.img
	"$WRAPPER" -s "$img" s.img
	bimg-unpack ss.img | bimg-pack -o ss0.img
	python3 "$ROOT/tests/lib/sanitize-check.py" plain.img ss0.img -ss
	python3 "$ROOT/tests/lib/sanitize-check.py" plain.img s.img -s
	"$WRAPPER" -r ss.img file-target
	cat ss.img | "$WRAPPER" -r - pipe-target
	cmp file-target pipe-target
	run btrfs check file-target
	echo "$output"
	assert_success
	need_loop_mount
	loop_mount_ro "$img" src
	src_count=$(count_entries src)
	loop_cleanup
	loop_mount_ro file-target mnt
	new_count=$(count_entries mnt)
	[ "$src_count" -eq "$new_count" ]
	find mnt -print0 | xargs -0 stat --format=%i >/dev/null
}

@test "--odometer: passed to bimg-sanitize with -ss (the reference's replacements), refused otherwise" {
	need_dump
	local img
	img=$(corpus_img names)
	"$REF" -c0 "$img" ref.img
	"$REF" -c0 -ss "$img" ref-ss.img 2>/dev/null
	"$WRAPPER" -c0 "$img" plain.img
	"$WRAPPER" -ss --odometer "$img" odo.img
	python3 "$ROOT/tests/lib/name-pairs.py" ref.img ref-ss.img >ref.pairs
	python3 "$ROOT/tests/lib/name-pairs.py" plain.img odo.img >odo.pairs
	[ "$(wc -l <ref.pairs)" -gt 100 ]
	[ -z "$(comm -23 ref.pairs odo.pairs)" ]
	run "$WRAPPER" -s --odometer "$img" x.img
	assert_failure 1
	assert_line --index 0 "ERROR: --odometer applies to -ss only"
	[ ! -e x.img ]
	run "$WRAPPER" -r --odometer odo.img target
	assert_failure 1
	assert_line --index 0 "ERROR: --odometer applies to -ss only"
}
