#!/bin/bash
# bench/sanitize.sh [IMAGE]: -ss dump of a big filesystem, ours against the reference.
#
#   ours:       bimg-scan IMAGE | bimg-sanitize -ss | bimg-pack -o OUT
#   reference:  btrfs-image -c0 -ss IMAGE OUT
#
# Each is run RUNS times (default 3) in one session; the best wall times and their ratio
# are printed (goal: ours <= 1.0x).  Then ours is checked for correctness with
# tests/lib/sanitize-check.py against our unsanitized dump (no leak, same shape, hashes
# kept), and the collision solver is timed alone (goal: >= 1 million names/s).
#
# Memory ("Performance at scale" goal 4: peak RSS <= 64 MB, and within 10 % between
# 200 000 and 2 000 000 files): the peak RSS of bimg-sanitize -ss on IMAGE and on the
# big-2000000 benchmark filesystem when it exists ($FIXTURES/bench/big-2000000.img; it takes
# minutes and gigabytes to build, so this script never builds it), with the names that
# went to the name map's temporary files (docs/design.md, "The one map that grows").
#
# IMAGE defaults to the big-200000 test fixture (bench/fixture.sh: built by
# tests/fixtures/mkfixtures when missing).  Scratch space: $TMPDIR.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-3}
# shellcheck source=bench/fixture.sh
. "$ROOT/bench/fixture.sh"
img=${1:-}
[[ -n $img ]] || img=$(bench_fixture big-200000) || exit 2
[[ -f $img ]] || { echo "bench/sanitize.sh: no such image: $img" >&2; exit 2; }

make -C "$ROOT" -s bin/bimg-scan bin/bimg-sanitize bin/bimg-pack >/dev/null
make -C "$ROOT" -s -f tests/unit/Makefile >/dev/null
work=$(mktemp -d "${TMPDIR:-/var/tmp}/bimg-bench-sanitize.XXXXXX")
trap 'rm -rf "$work"' EXIT
B=$ROOT/bin

best() { # best wall time in seconds of RUNS runs of "$@"
	local best="" t s e
	for ((i = 0; i < RUNS; i++)); do
		s=$(date +%s.%N)
		"$@"
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc)
		if [[ -z $best ]] || (($(echo "$t < $best" | bc))); then best=$t; fi
	done
	echo "$best"
}
ours() { "$B/bimg-scan" "$img" | "$B/bimg-sanitize" -ss --seed 1 2>"$work/ours.err" | "$B/bimg-pack" -o "$work/ours.img"; }
reference() { btrfs-image -c0 -ss "$img" "$work/ref.img" 2>"$work/ref.err"; }

echo "image: $img"
t_ref=$(best reference)
t_ours=$(best ours)
printf 'btrfs-image -c0 -ss   %8.3f s\n' "$t_ref"
printf 'bimg -ss              %8.3f s   (%.2fx the reference; goal <= 1.0x)\n' "$t_ours" "$(echo "$t_ours / $t_ref" | bc -l)"

"$B/bimg-scan" "$img" | "$B/bimg-pack" -o "$work/plain.img"
if python3 "$ROOT/tests/lib/sanitize-check.py" "$work/plain.img" "$work/ours.img" -ss >"$work/check.out"; then
	echo "correct: $(tail -1 "$work/check.out")"
else
	echo "INCORRECT:"; head -20 "$work/check.out"; exit 1
fi
"$ROOT/build/unit/collide-test" --bench 2000000

peak_and_names() { # IMAGE: "peak_kb distinct_names spilled_names" of bimg-sanitize -ss on it
	"$B/bimg-scan" "$1" | /usr/bin/time -f '%M' -o "$work/rss" "$B/bimg-sanitize" -ss -v --seed 1 2>"$work/v.err" >/dev/null
	echo "$(cat "$work/rss")" \
		"$(sed -n 's/.*: \([0-9]*\) distinct names .*/\1/p' "$work/v.err")" \
		"$(sed -n 's/.*passed their memory.*: \([0-9]*\) names and.*/\1/p' "$work/v.err" | grep . || echo 0)"
}
huge=$FIXTURES/bench/big-2000000.img
read -r big_kb big_names big_spilled < <(peak_and_names "$img")
printf 'bimg-sanitize -ss peak RSS: %5.1f MB, %8d distinct names (%d in temporary files): %s\n' \
	"$(echo "$big_kb / 1024" | bc -l)" "$big_names" "$big_spilled" "$img"
verdict() { if (($1)); then echo met; else echo "NOT MET"; fi; } # 1 or 0
goal_kb=62500 # 64 MB in KiB, as /usr/bin/time counts
if [[ -f $huge && $huge != "$img" ]]; then
	read -r huge_kb huge_names huge_spilled < <(peak_and_names "$huge")
	printf 'bimg-sanitize -ss peak RSS: %5.1f MB, %8d distinct names (%d in temporary files): %s\n' \
		"$(echo "$huge_kb / 1024" | bc -l)" "$huge_names" "$huge_spilled" "$huge"
	max_kb=$((big_kb > huge_kb ? big_kb : huge_kb))
	printf 'goal: peak RSS <= 64 MB: %s; flat within 10 %% (%+.1f %%): %s\n' \
		"$(verdict $((max_kb <= goal_kb)))" "$(echo "($huge_kb - $big_kb) * 100 / $big_kb" | bc -l)" \
		"$(verdict $((huge_kb * 10 <= big_kb * 11 && big_kb * 10 <= huge_kb * 11)))"
else
	printf 'goal: peak RSS <= 64 MB: %s; flat within 10 %%: not measured (no %s; build it with\n' \
		"$(verdict $((big_kb <= goal_kb)))" "$huge"
	echo "  tests/fixtures/mkfixtures --only big-2000000 \"\$FIXTURES\": minutes, 6 GB)"
fi
