#!/bin/bash
# Benchmark image sizes: btrfs-image.sh against the reference btrfs-image
# at -c0 and -c9, on real-world content: the usr-content test fixture, a
# copy of this machine's /usr/share and /usr/include on a compress=zstd
# mount (so the numbers are this machine's; tests/fixtures/README.md).
#
#   bench/size.sh [IMAGE]      (BENCH_DIR: see bench/lib.sh)
#
# Goal: our -c9 image no larger than the reference's (ratio <= 1.0).  The
# wall times are printed too, as a ratio measured side by side.  Not a
# test: it prints, it does not fail on a missed goal.
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH_IMG=${1:-${BENCH_IMG:-}}
[[ -n $BENCH_IMG ]] || BENCH_IMG=$(bench_fixture usr-content) || exit 1
bench_source
print_machine
echo

size() { stat -c %s "$1"; }
seconds() { cut -d' ' -f1 "$1"; }

printf '%-6s %13s %13s %6s %5s %9s %9s %6s\n' mode "ref bytes" "our bytes" ratio goal "ref wall" "our wall" ratio
for level in 0 9; do
	timed "$SCRATCH/ref.t" "$REF" -c"$level" "$BENCH_IMG" "$SCRATCH/ref.img"
	timed "$SCRATCH/ours.t" "$WRAPPER" -c"$level" "$BENCH_IMG" "$SCRATCH/ours.img"
	r=$(ratio "$(size "$SCRATCH/ours.img")" "$(size "$SCRATCH/ref.img")")
	printf '%-6s %13d %13d %5sx %5s %8ss %8ss %5sx\n' "-c$level" "$(size "$SCRATCH/ref.img")" \
		"$(size "$SCRATCH/ours.img")" "$r" "$(verdict "$r" 1.0)" "$(seconds "$SCRATCH/ref.t")" \
		"$(seconds "$SCRATCH/ours.t")" "$(ratio "$(seconds "$SCRATCH/ours.t")" "$(seconds "$SCRATCH/ref.t")")"
	rm -f "$SCRATCH"/*.img
done
