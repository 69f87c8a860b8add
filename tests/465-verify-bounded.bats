#!/usr/bin/env bats
# --verify keeps the facts of the tree blocks within a fixed budget, BIMG_VERIFY_MEMORY (4 MiB),
# and the rest in unlinked temporary files in $TMPDIR (docs/design.md, "Verify"): the report
# does not depend on the budget, sound or not, text or JSON, bimg-unpack or bimg-pack; nothing
# is left in $TMPDIR whatever the exit; a missing or full $TMPDIR is one message, exit 1 and a
# failing verdict; a budget it does not take is one message.  Peak RSS at scale is measured by
# bench/scale.sh (README "Performance").

bats_require_minimum_version 1.5.0
load lib/common
load lib/spill

EDIT="python3 $ROOT/tests/lib/streamedit.py"

setup() {
	[[ -x $BIN/bimg-unpack ]] || skip "bin/bimg-unpack is not built"
	spill_setup # $SPILL: TMPDIR of the program under test, which must stay empty
}

teardown() {
	spill_teardown
}

# report_as NAME BUDGET INPUT [--json]: the report and exit status of bimg-unpack --verify
# INPUT with that budget ("" for the default) into $T/NAME.out and $T/NAME.status.
report_as() {
	local status=0
	if [[ -n $2 ]]; then
		BIMG_VERIFY_MEMORY=$2 TMPDIR=$SPILL bimg-unpack --verify ${4:+"$4"} "$3" >"$T/$1.out" 2>"$T/$1.err" ||
			status=$?
	else
		TMPDIR=$SPILL bimg-unpack --verify ${4:+"$4"} "$3" >"$T/$1.out" 2>"$T/$1.err" || status=$?
	fi
	echo "$status" >"$T/$1.status"
}

# same_report INPUT BUDGET...: with each budget, text and JSON, the default's report, stderr
# and exit status byte for byte; $TMPDIR empty after each run.
same_report() {
	local budget json
	for json in "" --json; do
		report_as default "" "$1" $json
		for budget in "${@:2}"; do
			report_as small "$budget" "$1" $json
			cmp "$T/default.out" "$T/small.out" || { echo "$1 $budget $json: the report differs"; return 1; }
			cmp "$T/default.err" "$T/small.err" || { echo "$1 $budget $json: stderr differs"; return 1; }
			cmp "$T/default.status" "$T/small.status" || { echo "$1 $budget $json: exit differs"; return 1; }
			[ -z "$(ls -A "$SPILL")" ] || { echo "$1 $budget: left in TMPDIR: $(ls -A "$SPILL")"; return 1; }
		done
	done
}

# spills INPUT: with a budget of 1K, bimg-unpack --verify needs a temporary file (it cannot
# make one in a TMPDIR that does not exist).
spills() {
	run --separate-stderr env BIMG_VERIFY_MEMORY=1K TMPDIR=/nonexistent/bimg-test bimg-unpack --verify "$1"
	assert_failure 1
	assert_stderr "bimg-unpack: verify: keeping the facts of the tree blocks: cannot create a temporary file in /nonexistent/bimg-test: No such file or directory"
	assert_line --index -1 --regexp '^verdict:        NOT SOUND: the check could not finish \('
}

@test "every corpus case: the report with a budget of 1K (everything in temporary files) is the default's" {
	local c n=0
	local -a devs
	for c in $( {
		corpus_cases all
		corpus_cases all "$FULL_CORPUS"
	} | sort -u); do
		mapfile -t devs < <(corpus_files "$c")
		bimg-scan "${devs[@]}" | bimg-pack -o "$T/$c.img"
		spills "$T/$c.img"
		same_report "$T/$c.img" 1K
		[ "$(cat "$T/default.status")" -eq 0 ]
		rm -f "$T/$c.img"
		n=$((n + 1))
	done
	[ "$n" -gt 20 ]
}

@test "damaged, duplicated, truncated, rescued and cyclic inputs: the same report on every budget" {
	local leaf node chunk_root slot metadata input
	bimg-scan "$(corpus_img default)" >"$T/d.stream"
	leaf=$($EDIT blocks "$T/d.stream" | awk '$2 == 5 && $3 == 0 { print $1; exit }')
	node=$($EDIT blocks "$T/d.stream" | awk '$2 == 5 && $3 == 1 { print $1; exit }')
	chunk_root=$($EDIT super "$T/d.stream" | awk '{ print $4 }')
	metadata=$($EDIT blocks "$T/d.stream" | awk '$2 == 1 { print $1 }')
	slot=$($EDIT items "$T/d.stream" "$chunk_root" | awk -v m="$metadata" '$3 == 228 && $4 <= m { s = $1 } END { print s }')
	$EDIT edit "$T/d.stream" "$T/drop.stream" "drop:$leaf"
	$EDIT edit "$T/d.stream" "$T/gen.stream" "generation:$leaf:5"
	$EDIT edit "$T/d.stream" "$T/flip.stream" "flip:$leaf:2000"
	$EDIT edit "$T/d.stream" "$T/keys.stream" "swapkeys:$leaf:3:4"
	$EDIT edit "$T/d.stream" "$T/ptr.stream" "flipfix:$node:$((101 + 33 * 4 + 25))"
	$EDIT edit "$T/d.stream" "$T/dup.stream" "dup:$leaf"
	$EDIT edit "$T/d.stream" "$T/dupold.stream" "dup:$leaf" "generation:$leaf:3"
	# the copies far apart, in different sorted runs: the merge must keep them in arrival order
	$EDIT edit "$T/d.stream" "$T/dupfar.stream" "dupend:$leaf" "generation:$leaf:3"
	$EDIT edit "$T/d.stream" "$T/chunk.stream" "dropitem:$chunk_root:$slot"
	bimg-pack -o "$T/chunk.img" <"$T/chunk.stream"
	$EDIT edit "$T/d.stream" "$T/rootaddr.stream" "flip:$chunk_root:48"
	bimg-pack -o "$T/rootaddr.img" <"$T/rootaddr.stream"
	$CORRUPT block-csum "$(corpus_img default)" "$T/bad.img" "$node" >/dev/null
	bimg-scan --rescue=skip "$T/bad.img" >"$T/skip.stream" 2>/dev/null || true
	bimg-scan --rescue=copy "$T/bad.img" >"$T/copy.stream" 2>/dev/null || true
	btrfs-image.sh -w "$(corpus_img node4k)" "$T/w.img"
	head -c $(($(stat -c %s "$T/w.img") / 2 + 100)) "$T/w.img" >"$T/half.img"
	$CORRUPT cycle "$(corpus_img node4k)" "$T/c.img" >/dev/null
	bimg-scan "$T/c.img" >"$T/cycle.stream"
	for input in drop.stream gen.stream flip.stream keys.stream ptr.stream dup.stream dupold.stream dupfar.stream \
		chunk.img chunk.stream rootaddr.img skip.stream copy.stream half.img cycle.stream; do
		spills "$T/$input"
		same_report "$T/$input" 1K 2K 5K 16K
		[ "$(cat "$T/default.status")" -eq 1 ] || [[ $input == dup.stream ]]
	done
}

@test "bimg-pack --verify with a budget of 1K: the same image and the same report on stderr" {
	bimg-scan "$(corpus_img many-small)" >"$T/s.stream"
	TMPDIR=$SPILL bimg-pack --verify -o "$T/a.img" <"$T/s.stream" 2>"$T/a.err"
	BIMG_VERIFY_MEMORY=1K TMPDIR=$SPILL bimg-pack --verify -o "$T/b.img" <"$T/s.stream" 2>"$T/b.err"
	cmp "$T/a.img" "$T/b.img"
	cmp "$T/a.err" "$T/b.err"
	[ -z "$(ls -A "$SPILL")" ]
	run --separate-stderr env BIMG_VERIFY_MEMORY=1K TMPDIR=/nonexistent/bimg-test bimg-pack --verify -o "$T/c.img" <"$T/s.stream"
	assert_failure 1
	assert_stderr "bimg-pack: verify: keeping the facts of the tree blocks: cannot create a temporary file in /nonexistent/bimg-test: No such file or directory"
	[ ! -e "$T/c.img" ]
}

@test "the temporary files are never visible, and none is left after SIGTERM or SIGKILL in the middle" {
	local sig
	bimg-scan "$(corpus_img many-small)" >"$T/s.stream"
	for sig in TERM KILL; do
		rm -f "$T/in"
		mkfifo "$T/in"
		BIMG_VERIFY_MEMORY=1K TMPDIR=$SPILL bimg-unpack --verify "$T/in" >/dev/null 2>"$T/err" &
		PID=$!
		PIDS+=("$PID")
		exec {WRITER}>"$T/in"
		head -c $(($(stat -c %s "$T/s.stream") / 2)) "$T/s.stream" >&"$WRITER"
		spill_kill "$sig"
	done
}

@test "a full TMPDIR: one message, exit 1, a failing verdict, nothing left" {
	[[ $(id -u) -eq 0 ]] || skip "mounting a tmpfs needs root"
	spill_tmpfs size=4k
	bimg-scan "$(corpus_img many-small)" | bimg-pack -o "$T/m.img"
	run --separate-stderr env BIMG_VERIFY_MEMORY=1K TMPDIR="$TMPFS" bimg-unpack --verify "$T/m.img"
	assert_failure 1
	assert_stderr "bimg-unpack: verify: keeping the facts of the tree blocks: cannot write its temporary file: No space left on device"
	assert_line --index -1 --regexp '^verdict:        NOT SOUND: the check could not finish \('
	[ -z "$(ls -A "$TMPFS")" ]
}

@test "within its budget --verify never touches TMPDIR" {
	bimg-scan "$(corpus_img many-small)" | bimg-pack -o "$T/m.img"
	run --separate-stderr env TMPDIR=/nonexistent/bimg-test bimg-unpack --verify "$T/m.img"
	assert_success
	[ -z "$stderr" ]
}

@test "BIMG_VERIFY_MEMORY: sizes it does not take are one message, exit 1" {
	local arg
	bimg-scan "$(corpus_img default)" >"$T/s.stream"
	for arg in 1023 0 abc 1T 65G 18446744073709551616 -1K " 1K" +1K 1KB; do
		run --separate-stderr env BIMG_VERIFY_MEMORY="$arg" bimg-unpack --verify "$T/s.stream"
		assert_failure 1
		[ "$stderr" = "bimg-unpack: verify: BIMG_VERIFY_MEMORY: '$arg' is not a size from 1K to 64G (bytes, or K, M, G)" ]
	done
	# and those it does take (empty: the default)
	for arg in 1K 1024 1k 3m 64G ""; do
		run --separate-stderr env BIMG_VERIFY_MEMORY="$arg" TMPDIR="$SPILL" bimg-unpack --verify "$T/s.stream"
		assert_success
		[ -z "$stderr" ]
	done
	[ -z "$(ls -A "$SPILL")" ]
}

@test "out of memory at any point of the check, the walk through the temporary files too: exit 1, one error line, a failing verdict" {
	local kb outcomes=""
	if sanitizer_build; then
		skip "AddressSanitizer build: its shadow memory does not fit under ulimit -v"
	fi
	bimg-scan "$(corpus_img node4k)" | bimg-pack >"$T/n.img"
	# the walk's caches are allocated after the records are read: the last limits to fail
	for ((kb = 16384; kb <= 49152; kb += 256)); do
		verify_within "$kb" BIMG_VERIFY_MEMORY=1K TMPDIR="$SPILL"
		[ -z "$(ls -A "$SPILL")" ]
	done
	[[ $outcomes == *failed* && $outcomes == *sound* ]]
}
