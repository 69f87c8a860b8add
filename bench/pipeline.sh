#!/bin/bash
# (the commands are eval'ed strings, CMD_x and CLEAN_x read by one_run: single
# quotes and "unused" variables are deliberate)
# shellcheck disable=SC2016,SC2034
# The pipeline trade: an uncompressed image through zstd against the -c9
# images, on the big-200000 filesystem.  A btrfs-image file compresses
# each item on its own with zlib; `btrfs-image.sh -c0 FS - | zstd` sees the
# whole stream (--long=27: a 128 MiB window), and its output restores
# through `zstd -dc IMAGE.zst | btrfs-image.sh -r - TARGET` (bimg reads an
# image from a pipe; btrfs-image 6.2 cannot).
#
#   bench/pipeline.sh          (variables: see bench/lib.sh; BENCH_RUNS defaults to 3 here)
#
# Prints size, dump wall (min/median/max) and restore wall for each way.
# Not a goal of its own: it shows users the trade (README, Performance).
BENCH_RUNS=${BENCH_RUNS:-3}
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_need zstd zstd
bench_source
print_machine
echo "zstd:    $(zstd --version)"
echo

src=$BENCH_IMG
SETTLE_SOURCE=$src
target=$SCRATCH/target
ZSTD_FAST="zstd -3 -T2 --long=27"
ZSTD_SMALL="zstd -19 -T2 --long=27"

# dump_row NAME OUTPUT COMMAND: BENCH_RUNS timed runs of COMMAND (eval'ed, it makes OUTPUT).
dump_row() {
	local name=$1 out=$2 cmd=$3 i
	CMD_one="timed_cpu \"\$SCRATCH/t\" bash -c $(printf '%q' "$cmd")"
	CLEAN_one="rm -f $(printf '%q' "$out")"
	: >"$SCRATCH/one.runs"
	for ((i = 0; i < BENCH_RUNS; i++)); do one_run one; done
	stats one
	SIZE=$(stat -c %s "$out")
	printf '%-48s %7s MB  %6s/%6s/%6s s' "$name" "$(mb "$SIZE")" "$MIN" "$MED" "$MAX"
}

# restore_row COMMAND: one timed restore into $target, compared with the reference's.
restore_row() {
	rm -f "$target"
	settle
	timed_cpu "$SCRATCH/t" bash -c "$1"
	read -r wall _ _ <"$SCRATCH/t"
	local same=differs
	cmp -s "$target" "$SCRATCH/ref.target" && same=identical
	printf '  %6s s  %s\n' "$wall" "$same"
}

export REF WRAPPER src target SCRATCH
printf '%-48s %10s  %22s  %9s  %s\n' "way" size "dump wall min/med/max" restore "target vs the reference's"
"$REF" -c0 "$src" "$SCRATCH/warm.img" && rm -f "$SCRATCH/warm.img" # the source into the page cache

dump_row 'btrfs-image -c9 -t2' "$SCRATCH/ref.img" '"$REF" -c9 -t2 "$src" "$SCRATCH/ref.img"'
ref_wall=$MED ref_size=$SIZE
rm -f "$target"
"$REF" -r -t1 "$SCRATCH/ref.img" "$target" && mv "$target" "$SCRATCH/ref.target"
restore_row '"$REF" -r -t2 "$SCRATCH/ref.img" "$target"'

dump_row 'btrfs-image.sh -c9 -t2' "$SCRATCH/ours.img" '"$WRAPPER" -c9 -t2 "$src" "$SCRATCH/ours.img"'
restore_row '"$WRAPPER" -r "$SCRATCH/ours.img" "$target"'
rm -f "$SCRATCH/ours.img"

for z in "$ZSTD_FAST" "$ZSTD_SMALL"; do
	export Z=$z
	dump_row "btrfs-image.sh -c0 FS - | $z" "$SCRATCH/img.zst" '"$WRAPPER" -c0 "$src" - | $Z >"$SCRATCH/img.zst"'
	restore_row 'zstd -dc "$SCRATCH/img.zst" | "$WRAPPER" -r - "$target"'
	printf '  %-46s %.2fx the size, %.2fx the wall of btrfs-image -c9 -t2\n' "" \
		"$(ratio "$SIZE" "$ref_size")" "$(ratio "$MED" "$ref_wall")"
	rm -f "$SCRATCH/img.zst"
done
