# shellcheck shell=bash disable=SC2034
# Shared by bench/dump.sh, bench/restore.sh and bench/size.sh (sourced, not run).
#
#   BENCH_IMG    the source filesystem (default: the big-$BENCH_FILES test
#                fixture, built by tests/fixtures/mkfixtures when missing;
#                see bench/fixture.sh)
#   BENCH_FILES  files in that filesystem (default 200000)
#   BENCH_DIR    scratch directory (default: .cache/bench)
#   BENCH_RUNS   runs per measurement, the median is reported (default 3)
#   BTRFS_IMAGE  the reference binary (default: btrfs-image)

set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/bin
WRAPPER=$ROOT/btrfs-image.sh
REF=${BTRFS_IMAGE:-btrfs-image}
BENCH_DIR=${BENCH_DIR:-$ROOT/.cache/bench}
BENCH_FILES=${BENCH_FILES:-200000}
BENCH_RUNS=${BENCH_RUNS:-3}
TIME=/usr/bin/time

[[ -x $TIME ]] || { echo "bench: $TIME is missing (apt-get install time)" >&2; exit 1; }
command -v "$REF" >/dev/null || { echo "bench: the reference $REF is missing" >&2; exit 1; }
for p in bimg-scan bimg-pack bimg-unpack bimg-fixchunks; do
	[[ -x $BIN/$p ]] || { echo "bench: bin/$p is not built (make)" >&2; exit 1; }
done
mkdir -p "$BENCH_DIR"
SCRATCH=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

# shellcheck source=bench/fixture.sh
. "$ROOT/bench/fixture.sh"

bench_source() {
	[[ -n ${BENCH_IMG:-} ]] || BENCH_IMG=$(bench_fixture "big-$BENCH_FILES") || exit 1
	[[ -f $BENCH_IMG ]] || { echo "bench: no source filesystem $BENCH_IMG" >&2; exit 1; }
}

print_machine() {
	local zlib
	zlib=$(python3 -c 'import zlib; print(zlib.ZLIB_RUNTIME_VERSION)' 2>/dev/null || echo unknown)
	echo "machine: nproc $(nproc), zlib $zlib, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "source:  $BENCH_IMG ($(du -h --apparent-size "$BENCH_IMG" | cut -f1) apparent, $(du -h "$BENCH_IMG" | cut -f1) on disk)"
	echo "runs:    median of $BENCH_RUNS; RSS is the peak of the largest process"
}

# timed FILE COMMAND...: run COMMAND under /usr/bin/time; FILE gets "wall maxrss_kb".
# For a shell script the RSS is the largest of its (waited-for) descendants.
timed() {
	local out=$1
	shift
	"$TIME" -f '%e %M' -o "$out" "$@"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
max() { sort -n | tail -1; }

# Run a measurement BENCH_RUNS times: measure NAME COMMAND... (COMMAND is
# eval'ed: it may be a pipeline).  Sets WALL and RSS_MB.
measure() {
	local name=$1 i
	shift
	: >"$SCRATCH/$name.runs"
	for ((i = 0; i < BENCH_RUNS; i++)); do
		eval "$*"
		cat "$SCRATCH/t" >>"$SCRATCH/$name.runs"
	done
	WALL=$(cut -d' ' -f1 "$SCRATCH/$name.runs" | median)
	RSS_MB=$(cut -d' ' -f2 "$SCRATCH/$name.runs" | max | awk '{ printf "%.0f", $1 / 1024 }')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
verdict() { awk -v v="$1" -v goal="$2" 'BEGIN { print (v <= goal) ? "ok" : "MISSED" }'; }
