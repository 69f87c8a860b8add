#!/usr/bin/env bats
# Work is bounded by input size (docs/design.md, "Work bounds"): each stage
# is fed 1x, 4x and 16x inputs of a hostile shape (tests/lib/mkhostile.c)
# and its CPU time (user + system, tests/lib/cputime.py) may grow at most
# about as n log n: t(4x)/t(1x) < 4 * 2 * 1.5 and t(16x)/t(1x) < 16 * 2 * 1.5,
# where 2 stands for the log factor and 1.5 for noise.  A shape whose input
# does not grow (a length field that does) may not grow at all: < 1 * 2 * 1.5.
# Only ratios of runs made side by side are compared, never a time.
#
# A size is run again until its runs add up to 0.25 s of CPU (16 runs at
# most) and the mean is used, so that the 1x time is well above the
# timer's noise even where a cap of the program (fixchunks' 256 MiB for the
# chunk and device trees, unpack's 65536 trees) keeps inputs small.
# The measured ratios are printed (bats --tap shows them).

load lib/common

MK="$BATS_FILE_TMPDIR/mkhostile"
CPUTIME="$ROOT/tests/lib/cputime.py"

setup_file() {
	cc -O2 -o "$BATS_FILE_TMPDIR/mkhostile" "$ROOT/tests/lib/mkhostile.c"
}

setup() {
	[[ -x $BIN/bimg-fixchunks && -x $BIN/bimg-unpack && -x $BIN/bimg-sanitize ]] || skip "bin/ is not built"
	command -v python3 >/dev/null || skip "python3 is missing"
	W=$BATS_TEST_TMPDIR
}

# cpu_once OUT CMD...: the shape's generator already on standard input; CPU of CMD into OUT.
cpu_once() {
	local out=$1
	shift
	python3 "$CPUTIME" "$out" "$@" >/dev/null 2>"$W/stderr" || {
		echo "failed: $* ($(tail -n 3 "$W/stderr"))"
		return 1
	}
}

# mean_cpu RUN SIZE: mean CPU seconds of RUN SIZE (a function running one input of that size).
mean_cpu() {
	local run=$1 size=$2 total=0 runs=0 t
	while :; do
		"$run" "$size" "$W/cpu" || return 1
		t=$(cat "$W/cpu")
		total=$(awk -v a="$total" -v b="$t" 'BEGIN { print a + b }')
		runs=$((runs + 1))
		awk -v t="$total" -v n="$runs" 'BEGIN { exit !(t >= 0.25 || n >= 16) }' && break
	done
	awk -v t="$total" -v n="$runs" 'BEGIN { printf "%.4f\n", t / n }'
}

# growth NAME RUN SIZE INPUT_GROWS: measure 1x, 4x, 16x and check the ratios.
# INPUT_GROWS is 1 when the input grows with SIZE, 0 when only a field in it does.
growth() {
	local name=$1 run=$2 size=$3 grows=$4 t1 t k bound
	t1=$(mean_cpu "$run" "$size") || { echo "$t1"; return 1; }
	for k in 4 16; do
		t=$(mean_cpu "$run" $((size * k))) || { echo "$t"; return 1; }
		bound=$(awk -v k="$k" -v g="$grows" 'BEGIN { print (g ? k : 1) * 2 * 1.5 }')
		printf '# %s: t(1x) %.3f s, t(%dx) %.3f s, ratio %.2f (bound %s)\n' "$name" "$t1" "$k" "$t" \
			"$(awk -v a="$t" -v b="$t1" 'BEGIN { print a / b }')" "$bound" >&3
		awk -v a="$t" -v b="$t1" -v m="$bound" 'BEGIN { exit !(a / b < m) }' || {
			echo "$name: t(${k}x) = $t s is more than $bound x t(1x) = $t1 s"
			return 1
		}
	done
}

# ---- bimg-fixchunks ----

chunk_nodes() { # two devices onto one target: chunk tree nodes held to the end and rewritten
	"$MK" chunk-nodes "$1" | cpu_once "$2" "$BIN/bimg-fixchunks" "$W/target"
	local rc=$?
	rm -f "$W/target"
	return $rc
}

chunk_leaves() { # a chunk tree of many chunks whose leaves come in decreasing key order
	"$MK" chunk-leaves "$1" | cpu_once "$2" "$BIN/bimg-fixchunks" "$W/target"
	local rc=$?
	rm -f "$W/target"
	return $rc
}

raid5_length() { # -m, a RAID5 chunk whose length grows, holding the same 64 MiB
	"$MK" raid56 $(($1 << 30)) 65536 64 | cpu_once "$2" "$BIN/bimg-fixchunks" -m "$W/t1" "$W/t2" "$W/t3"
	local rc=$?
	rm -f "$W/t1" "$W/t2" "$W/t3"
	return $rc
}

held() { # blocks that arrive before the chunk tree leaf that maps them (memory, then spilled)
	"$MK" held "$1" | TMPDIR=$W cpu_once "$2" "$BIN/bimg-fixchunks" "$W/target"
	local rc=$?
	rm -f "$W/target"
	return $rc
}

@test "fixchunks: many chunk tree nodes from a multi-device source (finding: held-block lookups were linear)" {
	growth "chunk-tree nodes" chunk_nodes 4000 1
}

@test "fixchunks: many chunks, chunk tree leaves in decreasing order (the chunk map's insertions)" {
	growth "chunks in reverse order" chunk_leaves 80000 1
}

@test "fixchunks -m: a RAID5 chunk's length grows 16 times, its data does not (parity where blocks are)" {
	growth "RAID5 length (16, 64, 256 TiB)" raid5_length 16384 0
}

@test "fixchunks: many held blocks" {
	growth "held blocks" held 2000 1
}

# ---- bimg-unpack, bimg-sanitize ----

image_owners() { # many tiny clusters, each a block of another tree, summarised by --info
	"$MK" image-owners "$1" | cpu_once "$2" "$BIN/bimg-unpack" --info -
}

sanitize_s() {
	"$MK" names "$1" | cpu_once "$2" "$BIN/bimg-sanitize" -s
}

sanitize_ss() {
	"$MK" names "$1" | cpu_once "$2" "$BIN/bimg-sanitize" -ss
}

@test "unpack --info: many tiny clusters of distinct trees" {
	growth "clusters of distinct trees" image_owners 4096 1
}

@test "sanitize -s and -ss: many leaves of distinct names" {
	growth "sanitize -s" sanitize_s 2000 1
	growth "sanitize -ss" sanitize_ss 2000 1
}
