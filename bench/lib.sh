# shellcheck shell=bash disable=SC2034
# Shared by the bench scripts (sourced, not run).
#
#   FIXTURES        where tests/fixtures/mkfixtures keeps the benchmark
#                   filesystems (default: .cache/fixtures; see bench/fixture.sh)
#   BENCH_FILES     N of the big-N filesystem dump.sh and restore.sh use (default 200000)
#   BENCH_IMG       the source filesystem (default: big-BENCH_FILES, see FIXTURES)
#   BENCH_DIR       scratch directory (default: .cache/bench)
#   BENCH_RUNS      runs of each measurement (default 5): min, median and max are reported
#   BENCH_SYNC      1 (default): sync before every timed run, untimed (see settle)
#   BENCH_COLD      1 (default): the source's page cache dropped before every timed
#                   dump, untimed (see settle); 0: leave it
#   BTRFS_IMAGE     the reference binary (default: btrfs-image)
#
# Timings are only comparable within one run of a script: every figure we
# report is a ratio of the two tools measured side by side, their runs
# interleaved (side_by_side).  A missing benchmark filesystem is built with
# tests/fixtures/mkfixtures when N <= BENCH_BUILD_MAX (default 200000);
# bigger ones take minutes and gigabytes, so they are built only when asked
# for (bench/scale.sh --build, or mkfixtures --only big-N).

set -euo pipefail
export LC_ALL=C # EPOCHREALTIME, awk and sort with a decimal point
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/bin
WRAPPER=$ROOT/btrfs-image.sh
REF=${BTRFS_IMAGE:-btrfs-image}
BENCH_DIR=${BENCH_DIR:-$ROOT/.cache/bench}
BENCH_FILES=${BENCH_FILES:-200000}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_SYNC=${BENCH_SYNC:-1}
BENCH_COLD=${BENCH_COLD:-1}
BENCH_BUILD_MAX=${BENCH_BUILD_MAX:-200000}
TIME=/usr/bin/time

bench_fail() {
	echo "bench: $*" >&2
	exit 1
}

# bench_need COMMAND PACKAGE: COMMAND is there, or PACKAGE is installed (as
# root, with apt-get), or the script stops saying what is missing.
bench_need() {
	command -v "$1" >/dev/null && return 0
	if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
		bench_fail "$1 is missing: install $2 (as root: apt-get install $2)"
	fi
	echo "bench: installing $2 for $1" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null ||
		bench_fail "apt-get install $2 failed"
	command -v "$1" >/dev/null || bench_fail "$2 is installed but $1 is still missing"
}

bench_need "$TIME" time
command -v "$REF" >/dev/null || bench_fail "the reference $REF is missing (apt-get install btrfs-progs)"
for p in bimg-scan bimg-pack bimg-unpack bimg-fixchunks; do
	[[ -x $BIN/$p ]] || bench_fail "bin/$p is not built (make)"
done
mkdir -p "$BENCH_DIR"
SCRATCH=$(mktemp -d "$BENCH_DIR/run.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

# shellcheck source=bench/fixture.sh
. "$ROOT/bench/fixture.sh"

# big_image N: the path of big-N.img, built first when N <= BENCH_BUILD_MAX
# or when it is already there (mkfixtures only checks it then); fail when
# it is not allowed to be built.
big_image() {
	[[ -f $FIXTURES/bench/big-$1.img ]] || (($1 <= BENCH_BUILD_MAX)) || return 1
	bench_fixture "big-$1"
}

bench_source() {
	if [[ -z ${BENCH_IMG:-} ]]; then
		BENCH_IMG=$(big_image "$BENCH_FILES") ||
			bench_fail "no big-$BENCH_FILES.img in $FIXTURES/bench: make it with" \
				"tests/fixtures/mkfixtures --only big-$BENCH_FILES $FIXTURES"
	fi
	[[ -f $BENCH_IMG ]] || bench_fail "no source filesystem $BENCH_IMG"
}

# print_setup: what the figures were measured on; print_machine: and how.
print_setup() {
	local zlib cpu
	zlib=$(python3 -c 'import zlib; print(zlib.ZLIB_RUNTIME_VERSION)' 2>/dev/null || echo unknown)
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr)"
	echo "machine: $cpu, nproc $(nproc), zlib $zlib, libdeflate $(libdeflate_version)"
	echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) at the start"
	[[ -n ${BENCH_IMG:-} ]] &&
		echo "source:  $BENCH_IMG ($(du -hL --apparent-size "$BENCH_IMG" | cut -f1) apparent, $(du -hL "$BENCH_IMG" | cut -f1) on disk)"
	return 0
}

print_machine() {
	print_setup
	echo "runs:    $BENCH_RUNS of each tool, interleaved; wall min/median/max; ratio = median / median;"
	echo "         CPU = user + system of every process, median; RSS = peak of the largest process;"
	echo "         before each run: sync $( ((BENCH_SYNC)) && echo yes || echo no), source page cache dropped" \
		"$( ((BENCH_COLD)) && echo yes || echo no)"
	return 0
}

libdeflate_version() {
	dpkg-query -W -f='${Version}' libdeflate0 2>/dev/null | cut -d- -f1 || echo unknown
}

# timed FILE COMMAND...: run COMMAND under /usr/bin/time; FILE gets "wall maxrss_kb".
# For a shell script the RSS is the largest of its (waited-for) descendants.
# The wall time is read from the shell's clock to the millisecond
# (EPOCHREALTIME): /usr/bin/time gives hundredths, too coarse for the
# 0.1 s runs of a restore or a check of a -c0 image.
timed() {
	local out=$1 rc=0
	shift
	timed_cpu "$out.cpu" "$@" || rc=$?
	awk '{ print $1, $3 }' "$out.cpu" >"$out"
	rm -f "$out.cpu"
	return "$rc"
}

# timed_cpu FILE COMMAND...: as timed, FILE gets "wall cpu_seconds maxrss_kb".
timed_cpu() {
	local out=$1 rc=0 start end
	shift
	start=$EPOCHREALTIME
	"$TIME" -q -f '%U %S %M' -o "$out.raw" "$@" || rc=$?
	end=$EPOCHREALTIME
	awk -v start="$start" -v end="$end" '{ printf "%.3f %.2f %s\n", end - start, $1 + $2, $3 }' "$out.raw" >"$out"
	rm -f "$out.raw"
	return "$rc"
}

# settle: before a timed run, untimed.
# * Earlier runs leave hundreds of MB of dirty page cache; written back
#   during a later run, it lands in that run's time (the flusher takes CPU
#   and the disk).  sync makes every run start with none.
# * btrfs-image drops the page cache of the device it dumps when it opens
#   it (posix_fadvise DONTNEED): its runs always read from the disk, and
#   leave the next run cold too.  Interleaved, our runs were warm after one
#   of ours and cold after one of the reference, 0.4 or 1.4 s by turns.
#   So every dump starts cold: the page cache of SETTLE_SOURCE (set by the
#   script to the filesystem it dumps) is dropped the same way.
settle() {
	if ((BENCH_SYNC)); then sync; fi
	if ((BENCH_COLD)) && [[ -n ${SETTLE_SOURCE:-} ]]; then
		dd if="$SETTLE_SOURCE" iflag=nocache count=0 status=none
	fi
	return 0
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
max() { sort -n | tail -1; }
min() { sort -n | head -1; }

# Run a measurement BENCH_RUNS times: measure NAME COMMAND... (COMMAND is
# eval'ed: it may be a pipeline, and it writes "wall rss_kb" to $SCRATCH/t).
# Sets WALL (median) and RSS_MB (largest).
measure() {
	local name=$1 i
	shift
	: >"$SCRATCH/$name.runs"
	for ((i = 0; i < BENCH_RUNS; i++)); do
		eval "$*"
		cat "$SCRATCH/t" >>"$SCRATCH/$name.runs"
	done
	WALL=$(cut -d' ' -f1 "$SCRATCH/$name.runs" | median)
	RSS_MB=$(cut -d' ' -f2 "$SCRATCH/$name.runs" | max | awk '{ printf "%.1f", $1 / 1024 }')
}

# side_by_side A B: BENCH_RUNS rounds of the commands $CMD_A and $CMD_B (each
# eval'ed, after $CLEAN_A / $CLEAN_B and settle, untimed), in alternating
# order, so that a change of load on the machine falls on both.  Each
# command writes its timing with timed_cpu to "$SCRATCH/t".
# Then stats A and stats B give the figures.
side_by_side() {
	local a=$1 b=$2 i first second
	: >"$SCRATCH/$a.runs"
	: >"$SCRATCH/$b.runs"
	for ((i = 0; i < BENCH_RUNS; i++)); do
		first=$a second=$b
		((i % 2)) && first=$b second=$a
		one_run "$first"
		one_run "$second"
	done
}

one_run() {
	local clean=CLEAN_$1 cmd=CMD_$1
	eval "${!clean:-:}"
	settle
	eval "${!cmd}"
	cat "$SCRATCH/t" >>"$SCRATCH/$1.runs"
}

# stats NAME: MIN MED MAX (wall seconds), CPU (median seconds), RSS_MB (largest) of NAME's runs.
stats() {
	local f=$SCRATCH/$1.runs
	MIN=$(cut -d' ' -f1 "$f" | min)
	MED=$(cut -d' ' -f1 "$f" | median)
	MAX=$(cut -d' ' -f1 "$f" | max)
	CPU=$(cut -d' ' -f2 "$f" | median)
	RSS_MB=$(cut -d' ' -f3 "$f" | max | awk '{ printf "%.1f", $1 / 1024 }')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "inf" }'; }
# verdict VALUE GOAL: "met" when VALUE <= GOAL.
verdict() { awk -v v="$1" -v goal="$2" 'BEGIN { print (v <= goal) ? "met" : "NOT MET" }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
