#!/bin/bash
# Which libdeflate level -c9 should be: every item of a filesystem's -c0
# image deflated by zlib 9 (btrfs-image -c9) and by libdeflate at levels
# 6, 8, 9, 10, 11 and 12, one thread each; total size, CPU time, both
# against zlib 9's, and the items libdeflate made larger; then each
# level's time on all-zero items, and two ways of using level 10 on part of
# the bytes only (bench/levels.c says which).  The tables and figures in
# docs/design.md (Compression levels) come from here.
#
#   bench/levels.sh [FS...]    (default: big-200000 and usr-content from FIXTURES, built when missing;
#                               variables: see bench/lib.sh)
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cc -O2 -D_GNU_SOURCE -I"$ROOT/src/common" -o "$SCRATCH/levels" "$ROOT/bench/levels.c" "$ROOT/src/common/image.c" "$ROOT/src/common/xio.c" "$ROOT/src/common/msg.c" \
	-lz -ldeflate || bench_fail "cannot build bench/levels.c (zlib1g-dev, libdeflate-dev)"
sources=("$@")
if ((${#sources[@]} == 0)); then
	bench_source
	sources=("$BENCH_IMG")
	usr=$(bench_fixture usr-content) && sources+=("$usr")
fi
print_setup
for src in "${sources[@]}"; do
	echo
	echo "$(basename "$src" .img):"
	"$WRAPPER" -c0 "$src" "$SCRATCH/c0.img"
	"$SCRATCH/levels" "$SCRATCH/c0.img"
	rm -f "$SCRATCH/c0.img"
done
