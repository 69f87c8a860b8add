#!/bin/bash
# (the commands are eval'ed strings, CMD_x and CLEAN_x read by one_run: single
# quotes and "unused" variables are deliberate)
# shellcheck disable=SC2016,SC2034
# Benchmark the dump: btrfs-image.sh against the reference btrfs-image on
# the big-200000 filesystem (200000 files, 297 MB of metadata), and at
# -c9 -t2 on usr-content (real-world files) (both built by tests/fixtures/mkfixtures when missing).
#
#   bench/dump.sh [c0|c9]      both parts (the default), or one (variables: see bench/lib.sh;
#                              BENCH_SYNC=0 shows the spread without the sync between runs)
#
# Goals (issue "Performance at scale"; ratio = bimg / btrfs-image 6.2, the
# medians of BENCH_RUNS runs of each, interleaved):
#   dump -c0        wall <= 0.5x, stable: min/median/max of both are shown
#   dump -c9 -t2    wall <= 0.35x, and the image no larger than the reference's
#   peak RSS of the largest process <= 64 MB
# Not a test: it prints every goal as met or NOT MET, it does not fail.
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_source
print_machine
echo

# compare_dump LABEL SOURCE MODE...: the reference and ours side by side on
# SOURCE; prints one row and sets REF_SIZE, OURS_SIZE, SAME.
compare_dump() {
	local label=$1 src=$2
	shift 2
	MODE="$*" SRC=$src SETTLE_SOURCE=$src
	CMD_ref='timed_cpu "$SCRATCH/t" "$REF" $MODE "$SRC" "$SCRATCH/ref.img"'
	CMD_ours='timed_cpu "$SCRATCH/t" "$WRAPPER" $MODE "$SRC" "$SCRATCH/ours.img"'
	CLEAN_ref='rm -f "$SCRATCH/ref.img"'
	CLEAN_ours='rm -f "$SCRATCH/ours.img"'
	# one unmeasured run of each: the programs and libraries into the page cache
	eval "$CLEAN_ref; $CMD_ref; $CLEAN_ours; $CMD_ours"
	side_by_side ref ours
	stats ref
	ref_min=$MIN ref_med=$MED ref_max=$MAX ref_cpu=$CPU ref_rss=$RSS_MB
	stats ours
	RATIO=$(ratio "$MED" "$ref_med")
	OURS_RSS=$RSS_MB
	REF_SIZE=$(stat -c %s "$SCRATCH/ref.img")
	OURS_SIZE=$(stat -c %s "$SCRATCH/ours.img")
	SAME=differs
	cmp -s "$SCRATCH/ref.img" "$SCRATCH/ours.img" && SAME=identical
	printf '%-22s %5s/%5s/%5s s  %5s/%5s/%5s s  %5sx  %5s/%5s s  %4s/%3s MB  %6s/%6s MB\n' "$label" \
		"$ref_min" "$ref_med" "$ref_max" "$MIN" "$MED" "$MAX" "$RATIO" "$ref_cpu" "$CPU" "$ref_rss" "$RSS_MB" \
		"$(mb "$REF_SIZE")" "$(mb "$OURS_SIZE")"
}

# stages SOURCE MODE...: where our time goes, the two stages each under /usr/bin/time.
stages() {
	local src=$1
	shift
	settle
	timed_cpu "$SCRATCH/scan.t" "$BIN/bimg-scan" "$src" | timed_cpu "$SCRATCH/pack.t" "$BIN/bimg-pack" "$@" -o "$SCRATCH/stages.img"
	read -r scan_wall scan_cpu scan_rss <"$SCRATCH/scan.t"
	read -r pack_wall pack_cpu pack_rss <"$SCRATCH/pack.t"
	printf '  %-20s bimg-scan %ss wall %ss CPU %d MB, bimg-pack %ss wall %ss CPU %d MB\n' "stages $*:" \
		"$scan_wall" "$scan_cpu" $((scan_rss / 1024)) "$pack_wall" "$pack_cpu" $((pack_rss / 1024))
	rm -f "$SCRATCH/stages.img"
}

printf '%-22s %19s  %19s  %6s  %13s  %11s  %16s\n' "" "btrfs-image wall" "bimg wall" ratio "CPU ref/ours" \
	"RSS ref/ours" "image ref/ours"
printf '%-22s %19s  %19s\n' "" "min/median/max" "min/median/max"

part=${1:-all}
[[ $part == @(all|c0|c9) ]] || bench_fail "usage: bench/dump.sh [c0|c9]"
c0_rss=0 c9_rss=0 usr_rss=0
if [[ $part != c9 ]]; then
	compare_dump "-c0 $(basename "$BENCH_IMG" .img)" "$BENCH_IMG" -c0
	c0_ratio=$RATIO c0_rss=$OURS_RSS c0_same=$SAME
	stages "$BENCH_IMG" -c0
fi
usr=""
if [[ $part != c0 ]]; then
	compare_dump "-c9 -t2 $(basename "$BENCH_IMG" .img)" "$BENCH_IMG" -c9 -t2
	c9_ratio=$RATIO c9_rss=$OURS_RSS c9_ref=$REF_SIZE c9_ours=$OURS_SIZE
	stages "$BENCH_IMG" -c9 -t2
	if usr=$(bench_fixture usr-content); then
		compare_dump "-c9 -t2 usr-content" "$usr" -c9 -t2
		usr_ratio=$RATIO usr_rss=$OURS_RSS usr_ref=$REF_SIZE usr_ours=$OURS_SIZE
	fi
fi
rm -f "$SCRATCH"/*.img

echo
echo "goals:"
[[ $part != c9 ]] && printf '  dump -c0 wall <= 0.5x:                %s (%sx; images %s)\n' "$(verdict "$c0_ratio" 0.5)" \
	"$c0_ratio" "$c0_same"
max_rss=$(printf '%s\n' "$c0_rss" "$c9_rss" "$usr_rss" | max)
if [[ $part == c0 ]]; then
	printf '  peak RSS <= 64 MB:                    %s (%s MB)\n' "$(verdict "$max_rss" 64)" "$max_rss"
	exit 0
fi
printf '  dump -c9 -t2 wall <= 0.35x:           %s (%sx)\n' "$(verdict "$c9_ratio" 0.35)" "$c9_ratio"
printf '  -c9 image no larger, big:             %s (%s MB against %s MB, %s%%)\n' \
	"$(verdict "$c9_ours" "$c9_ref")" "$(mb "$c9_ours")" "$(mb "$c9_ref")" \
	"$(awk -v a="$c9_ours" -v b="$c9_ref" 'BEGIN { printf "%+.2f", 100 * (a - b) / b }')"
if [[ -n $usr ]]; then
	printf '  -c9 image no larger, usr-content:     %s (%s MB against %s MB, %s%%; wall %sx)\n' \
		"$(verdict "$usr_ours" "$usr_ref")" "$(mb "$usr_ours")" "$(mb "$usr_ref")" \
		"$(awk -v a="$usr_ours" -v b="$usr_ref" 'BEGIN { printf "%+.2f", 100 * (a - b) / b }')" "$usr_ratio"
else
	echo "  -c9 image no larger, usr-content:     not measured (usr-content could not be built)"
fi
printf '  peak RSS <= 64 MB:                    %s (%s MB)\n' "$(verdict "$max_rss" 64)" "$max_rss"
echo "  (-c9 images no larger on every corpus case: tests/300-pack.bats)"
