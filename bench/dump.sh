#!/bin/bash
# (measure evals its command string: single quotes are deliberate)
# shellcheck disable=SC2016
# Benchmark the dump: btrfs-image.sh against the reference btrfs-image on
# the big-200000 test fixture (bench/fixture.sh), for -c0 and -c9 -t2.
#
#   bench/dump.sh              (variables: see bench/lib.sh)
#
# Goals (ours / reference): -c0 wall <= 0.8x, -c9 -t2 wall <= 0.5x, peak
# RSS of the largest process <= 64 MB.  Not a test: it prints, it does not
# fail on a missed goal.
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_source
print_machine
echo

src=$BENCH_IMG
printf '%-8s %9s %9s %7s %6s %9s %9s %6s  %s\n' mode "ref wall" "our wall" ratio goal "ref RSS" "our RSS" goal image
for mode in "-c0" "-c9 -t2"; do
	goal=0.8
	[[ $mode == -c0 ]] || goal=0.5
	# one unmeasured run of each warms the page cache
	# shellcheck disable=SC2086
	"$REF" $mode "$src" "$SCRATCH/ref.img"
	# shellcheck disable=SC2086
	"$WRAPPER" $mode "$src" "$SCRATCH/ours.img"

	measure ref 'timed "$SCRATCH/t" "$REF" $mode "$src" "$SCRATCH/ref.img"'
	ref_wall=$WALL ref_rss=$RSS_MB
	measure ours 'timed "$SCRATCH/t" "$WRAPPER" $mode "$src" "$SCRATCH/ours.img"'
	ours_wall=$WALL ours_rss=$RSS_MB
	same=differs
	cmp -s "$SCRATCH/ref.img" "$SCRATCH/ours.img" && same=identical
	r=$(ratio "$ours_wall" "$ref_wall")
	printf '%-8s %8ss %8ss %6sx %6s %6s MB %6s MB %6s  %s\n' "$mode" "$ref_wall" "$ours_wall" "$r" \
		"$(verdict "$r" "$goal")" "$ref_rss" "$ours_rss" "$(verdict "$ours_rss" 64)" "$same"

	# Where our time goes: the stages run directly, each under /usr/bin/time.
	# shellcheck disable=SC2086
	timed "$SCRATCH/scan.t" "$BIN/bimg-scan" "$src" | timed "$SCRATCH/pack.t" "$BIN/bimg-pack" $mode -o "$SCRATCH/stages.img"
	read -r scan_wall scan_rss <"$SCRATCH/scan.t"
	read -r pack_wall pack_rss <"$SCRATCH/pack.t"
	printf '         stages: bimg-scan %ss %d MB, bimg-pack %ss %d MB\n' "$scan_wall" $((scan_rss / 1024)) \
		"$pack_wall" $((pack_rss / 1024))
	rm -f "$SCRATCH"/*.img
done
