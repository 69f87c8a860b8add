#!/bin/bash
# (the measured commands are eval'ed strings: single quotes are deliberate)
# shellcheck disable=SC2016
# Benchmark --verify on the big-200000 test fixture (bench/fixture.sh), each figure
# against the same work without verifying, in one run:
#
#   bimg-unpack --verify IMAGE      against  bimg-unpack IMAGE > /dev/null
#                                   (a -c0 and a -c9 image made by bimg)
#   btrfs-image.sh --verify DEV OUT against  btrfs-image.sh DEV OUT
#                                   (-c0, and -c9 -t2)
#
#   bench/verify.sh           (variables: see bench/lib.sh)
#
# Goals: --verify of an image <= 1.2x the plain unpack's wall time with a
# peak RSS under 64 MB; a dump with --verify <= 1.1x the dump without.
# The two sides of each pair run alternately, so that a change in the
# machine's load hits both; the median of BENCH_RUNS runs is reported.
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_source
print_machine
echo

# pair NAME_A NAME_B 'COMMAND A' 'COMMAND B': BENCH_RUNS alternating runs of each;
# sets A_WALL A_RSS B_WALL B_RSS (median wall, largest peak RSS in MB)
pair() {
	local i
	: >"$SCRATCH/$1.runs"
	: >"$SCRATCH/$2.runs"
	for ((i = 0; i < BENCH_RUNS; i++)); do
		eval "$3"
		cat "$SCRATCH/t" >>"$SCRATCH/$1.runs"
		eval "$4"
		cat "$SCRATCH/t" >>"$SCRATCH/$2.runs"
	done
	A_WALL=$(cut -d' ' -f1 "$SCRATCH/$1.runs" | median)
	B_WALL=$(cut -d' ' -f1 "$SCRATCH/$2.runs" | median)
	A_RSS=$(cut -d' ' -f2 "$SCRATCH/$1.runs" | max | awk '{ printf "%.0f", $1 / 1024 }')
	B_RSS=$(cut -d' ' -f2 "$SCRATCH/$2.runs" | max | awk '{ printf "%.0f", $1 / 1024 }')
}

row() { # LABEL WALL RSS [RATIO GOAL]
	if [[ -n ${4:-} ]]; then
		printf '%-44s %7ss %5s MB %6sx  (goal <= %sx: %s)\n' "$1" "$2" "$3" "$4" "$5" "$(verdict "$4" "$5")"
	else
		printf '%-44s %7ss %5s MB\n' "$1" "$2" "$3"
	fi
}

echo "making the -c0 and -c9 images with bimg" >&2
"$WRAPPER" "$BENCH_IMG" "$SCRATCH/c0.img"
"$WRAPPER" -c9 -t2 "$BENCH_IMG" "$SCRATCH/c9.img"
"$BIN/bimg-unpack" --verify "$SCRATCH/c9.img" | tail -1 >&2

printf '%-44s %8s %8s %7s\n' run wall RSS ratio
for c in c0 c9; do
	img=$SCRATCH/$c.img
	pair "unpack-$c" "verify-$c" \
		'timed "$SCRATCH/t" "$BIN/bimg-unpack" "$img" >/dev/null' \
		'timed "$SCRATCH/t" "$BIN/bimg-unpack" --verify "$img" >/dev/null'
	row "bimg-unpack $c.img > /dev/null" "$A_WALL" "$A_RSS"
	row "bimg-unpack --verify $c.img" "$B_WALL" "$B_RSS" "$(ratio "$B_WALL" "$A_WALL")" 1.2
	printf '%-44s %16s  (goal < 64 MB: %s)\n' "  peak RSS of --verify" "$B_RSS MB" \
		"$(awk -v v="$B_RSS" 'BEGIN { print (v < 64) ? "met" : "NOT MET" }')"
done

out=$SCRATCH/out.img
for opts in "" "-c9 -t2"; do
	# shellcheck disable=SC2086
	pair "dump$opts" "dump-verify$opts" \
		'rm -f "$out"; timed "$SCRATCH/t" "$WRAPPER" $opts "$BENCH_IMG" "$out"' \
		'rm -f "$out"; timed "$SCRATCH/t" "$WRAPPER" --verify $opts "$BENCH_IMG" "$out" 2>/dev/null'
	row "btrfs-image.sh ${opts:--c0} DEV OUT" "$A_WALL" "$A_RSS"
	row "btrfs-image.sh --verify ${opts:--c0} DEV OUT" "$B_WALL" "$B_RSS" "$(ratio "$B_WALL" "$A_WALL")" 1.1
done
