#!/bin/bash
# (measure evals its command string: single quotes are deliberate)
# shellcheck disable=SC2016
# Benchmark the restore: btrfs-image.sh -r against the reference
# btrfs-image -r, on the -c9 image of the big-200000 test fixture,
# from a file and (ours only: the reference cannot) from a pipe.
#
#   bench/restore.sh           (variables: see bench/lib.sh)
#
# Goals: file restore wall <= 1.3x the reference's -t2 restore; pipe restore
# <= 1.1x our own file restore; peak RSS <= 64 MB; targets identical to the
# reference's -t1 restore (its multi-threaded restore races).
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_source
print_machine
echo

image=$SCRATCH/image
echo "making the -c9 -t2 image with the reference" >&2
"$REF" -c9 -t2 "$BENCH_IMG" "$image"
target=$SCRATCH/target

restore_ref() { rm -f "$target"; timed "$SCRATCH/t" "$REF" -r "$@" "$image" "$target"; }
restore_file() { rm -f "$target"; timed "$SCRATCH/t" "$WRAPPER" -r "$image" "$target"; }
restore_pipe() { rm -f "$target"; timed "$SCRATCH/t" bash -c 'cat "$1" | "$2" -r - "$3"' _ "$image" "$WRAPPER" "$target"; }

restore_ref -t 1 # warm-up
cp --sparse=always "$target" "$SCRATCH/ref-target"

printf '%-26s %9s %7s %9s  %s\n' run wall ratio RSS target
measure ref1 restore_ref -t 1
printf '%-26s %8ss %7s %6s MB\n' "btrfs-image -r -t1" "$WALL" "" "$RSS_MB"
measure ref2 restore_ref -t 2
ref2_wall=$WALL
printf '%-26s %8ss %7s %6s MB\n' "btrfs-image -r -t2" "$WALL" "" "$RSS_MB"
measure file restore_file
file_wall=$WALL
same=differs
cmp -s "$target" "$SCRATCH/ref-target" && same=identical
r=$(ratio "$file_wall" "$ref2_wall")
printf '%-26s %8ss %6sx %6s MB  %s (goal <= 1.3x: %s; RSS: %s)\n' "btrfs-image.sh -r FILE" "$file_wall" "$r" \
	"$RSS_MB" "$same" "$(verdict "$r" 1.3)" "$(verdict "$RSS_MB" 64)"
measure pipe restore_pipe
same=differs
cmp -s "$target" "$SCRATCH/ref-target" && same=identical
r=$(ratio "$WALL" "$file_wall")
printf '%-26s %8ss %6sx %6s MB  %s (vs our file restore, goal <= 1.1x: %s)\n' "cat | btrfs-image.sh -r -" \
	"$WALL" "$r" "$RSS_MB" "$same" "$(verdict "$r" 1.1)"

# Where our time goes: the stages run directly, each under /usr/bin/time.
rm -f "$target"
timed "$SCRATCH/unpack.t" "$BIN/bimg-unpack" "$image" | timed "$SCRATCH/fix.t" "$BIN/bimg-fixchunks" "$target"
read -r unpack_wall unpack_rss <"$SCRATCH/unpack.t"
read -r fix_wall fix_rss <"$SCRATCH/fix.t"
printf '  stages: bimg-unpack %ss %d MB, bimg-fixchunks %ss %d MB\n' "$unpack_wall" $((unpack_rss / 1024)) \
	"$fix_wall" $((fix_rss / 1024))
