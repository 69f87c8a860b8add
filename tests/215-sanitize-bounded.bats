#!/usr/bin/env bats
# bimg-sanitize's name map holds at most --map-memory bytes and keeps the rest in unlinked
# temporary files in $TMPDIR (docs/design.md, "The one map that grows"; docs/sanitize.md):
# the output does not depend on the budget, nothing is left in $TMPDIR whatever the exit, a
# full or unusable $TMPDIR is one message and exit 1, and the peak RSS at 2 million names
# is that at 200 000 (within 10 %) and under the bound.  The map itself is checked against
# what was put in by tests/unit/namestore-test.c.

bats_require_minimum_version 1.5.0
load lib/common
load lib/spill

MK="$BATS_FILE_TMPDIR/mkhostile"

setup_file() {
	make -C "$ROOT" -s bin/bimg-scan bin/bimg-sanitize >/dev/null
	make -C "$ROOT" -s -f tests/unit/Makefile build/unit/namestore-test >/dev/null
	cc -O2 -o "$BATS_FILE_TMPDIR/mkhostile" "$ROOT/tests/lib/mkhostile.c"
}

setup() {
	spill_setup # $SPILL: TMPDIR of the program under test, which must stay empty
}

teardown() {
	spill_teardown
}

# sanitize_to TMPDIR ARGS...: bimg-sanitize ARGS with that TMPDIR, its output discarded (for run).
sanitize_to() {
	TMPDIR=$1 bimg-sanitize "${@:2}" >/dev/null
}

# The number of names the -v note says went to temporary files (0 when it says nothing).
spilled() {
	sed -n 's/.*passed their memory.*: \([0-9]*\) names and.*/\1/p' "$1" | grep . || echo 0
}

@test "the name store and its spill set against what was put in, on the smallest budget" {
	run env TMPDIR="$SPILL" "$ROOT/build/unit/namestore-test"
	assert_success
	[[ $output == *"ok: name store, "*" names ("*" written out, "* ]]
	[[ $output == *"ok: spill set, "* ]]
	[ -z "$(ls -A "$SPILL")" ]
}

@test "--map-memory 64K: every mode gives the default's output byte for byte, names going through the temporary files" {
	local case img mode n=0
	for case in names hardlinks subvol-snap many-small; do
		img=$(corpus_files "$case") || continue
		bimg-scan "$img" >"$T/$case.stream"
		for mode in "-s" "-ss" "-ss --keep-short" "-ss --odometer"; do
			# shellcheck disable=SC2086
			bimg-sanitize $mode --seed 7 <"$T/$case.stream" >"$T/default" 2>/dev/null
			# shellcheck disable=SC2086
			TMPDIR=$SPILL bimg-sanitize $mode --seed 7 -v --map-memory 64K <"$T/$case.stream" >"$T/small" 2>"$T/small.err"
			echo "$case $mode: $(spilled "$T/small.err") names in temporary files"
			cmp "$T/default" "$T/small"
			[ "$(spilled "$T/small.err")" -gt 0 ]
			[ -z "$(ls -A "$SPILL")" ]
			n=$((n + 1))
		done
	done
	[ "$n" -ge 8 ]
}

# start_sanitizer ARGS...: bimg-sanitize reading the FIFO $T/in (held open for writing on
# fd $WRITER), its TMPDIR $SPILL; sets PID.
start_sanitizer() {
	mkfifo "$T/in"
	TMPDIR=$SPILL bimg-sanitize "$@" <"$T/in" >/dev/null 2>"$T/err" &
	PID=$!
	PIDS+=("$PID")
	exec {WRITER}>"$T/in"
}

@test "the temporary files are never visible, and none is left after SIGTERM or SIGKILL in the middle" {
	local sig
	"$MK" names 3000 >"$T/names.stream"
	for sig in TERM KILL; do
		rm -f "$T/in"
		start_sanitizer -s --map-memory 64K
		head -c $((8 << 20)) "$T/names.stream" >&"$WRITER"
		spill_kill "$sig"
	done
}

@test "a run that stays within its memory never touches TMPDIR" {
	local img
	img=$(corpus_img names)
	bimg-scan "$img" >"$T/s"
	run --separate-stderr sanitize_to /nonexistent/bimg-test -s --seed 7 -v <"$T/s"
	assert_success
	[[ $stderr != *"temporary"* ]]
}

@test "a full TMPDIR: one message, exit 1 (-s and -ss)" {
	[[ $(id -u) -eq 0 ]] || skip "mounting a tmpfs needs root"
	local mode
	spill_tmpfs size=64k
	"$MK" names 3000 >"$T/names.stream"
	run --separate-stderr sanitize_to "$TMPFS" -s --map-memory 64K <"$T/names.stream"
	assert_failure 1
	[[ $stderr =~ ^bimg-sanitize:\ name\ map:\ cannot\ write\ its\ temporary\ file:\ No\ space\ left\ on\ device$ ]]
	[ -z "$(ls -A "$TMPFS")" ]
	for mode in -ss "-ss --keep-short"; do
		# shellcheck disable=SC2086
		run --separate-stderr sanitize_to "$TMPFS" $mode --map-memory 64K <"$T/names.stream"
		assert_failure 1
		[ "$(wc -l <<<"$stderr")" -eq 1 ]
		[[ $stderr =~ ^bimg-sanitize:\ .*:\ No\ space\ left\ on\ device$ ]]
		[ -z "$(ls -A "$TMPFS")" ]
	done
}

@test "a missing or read-only TMPDIR: one message, exit 1" {
	"$MK" names 100 >"$T/names.stream"
	run --separate-stderr sanitize_to /nonexistent/bimg-test -s --map-memory 64K <"$T/names.stream"
	assert_failure 1
	[[ $stderr =~ ^bimg-sanitize:\ name\ map:\ cannot\ create\ a\ temporary\ file\ in\ /nonexistent/bimg-test:\ No\ such\ file\ or\ directory$ ]]
	[[ $(id -u) -eq 0 ]] || skip "mounting a read-only tmpfs needs root"
	spill_tmpfs size=1m,ro
	run --separate-stderr sanitize_to "$TMPFS" -s --map-memory 64K <"$T/names.stream"
	assert_failure 1
	[[ $stderr =~ ^bimg-sanitize:\ name\ map:\ cannot\ create\ a\ temporary\ file\ in\ .*:\ Read-only\ file\ system$ ]]
}

@test "--map-memory: sizes it does not take are one usage error" {
	local arg
	for arg in 10K 65535 abc 1T "" 65G 18446744073709551616 -1M " 1M" +1M 1MB; do
		run --separate-stderr bimg-sanitize -s --map-memory "$arg" </dev/null
		assert_failure 1
		[ "$stderr" = "bimg-sanitize: --map-memory: '$arg' is not a size from 64K to 64G (bytes, or K, M, G for KiB, MiB, GiB): try 'bimg-sanitize --help'" ]
	done
	# and those it does take
	for arg in 64K 65536 1m 64G; do
		run --separate-stderr sanitize_to "$SPILL" -s --map-memory "$arg" </dev/null
		echo "'$arg': status $status: $stderr"
		[[ $stderr != *"--map-memory"* ]]
	done
}

# peak_kb LEAVES ARGS...: peak RSS in KiB of bimg-sanitize ARGS -v on LEAVES leaves of 31
# distinct 8-byte names each (tests/lib/mkhostile.c); the -v lines go to $T/v.err.
peak_kb() {
	local leaves=$1
	shift
	"$MK" names "$leaves" | TMPDIR=$SPILL /usr/bin/time -f %M -o "$T/rss" bimg-sanitize "$@" -v >/dev/null 2>"$T/v.err"
	cat "$T/rss"
}

@test "peak RSS: 2 million names take what 200 000 take (within 10 %), under 64 MB, and --map-memory bounds it" {
	local base small large bounded
	base=$(peak_kb 1 -ss)
	small=$(peak_kb 6452 -ss)
	[ "$(spilled "$T/v.err")" -gt 0 ]
	large=$(peak_kb 64517 -ss)
	grep -q ' 2000027 distinct names' "$T/v.err"
	[ "$(spilled "$T/v.err")" -gt 1800000 ]
	bounded=$(peak_kb 64517 -s --map-memory 4M)
	echo "peak RSS: $base KiB for 31 names; $small KiB for 200 000, $large KiB for 2 000 000 (-ss);" \
		"$bounded KiB for 2 000 000 with --map-memory 4M (-s)"
	[ -z "$(ls -A "$SPILL")" ]
	if sanitizer_build; then
		skip "AddressSanitizer build: peak RSS is not the program's"
	fi
	[ "$large" -le 62500 ]                     # 64 MB
	[ $((large * 10)) -le $((small * 11)) ]    # flat
	[ "$large" -le $((base + 16384 + 2048)) ]  # the default 16M, and 2 MiB of buffers
	[ "$bounded" -le $((base + 4096 + 2048)) ] # --map-memory 4M
}
