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
# small names.img of $CORPUS, the bytes each distinct name adds (the name map,
# docs/design.md), and what that makes at 2 000 000 distinct names.
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

peak_and_names() { # IMAGE: "peak_kb distinct_names" of bimg-sanitize -ss on it
	"$B/bimg-scan" "$1" | /usr/bin/time -f '%M' -o "$work/rss" "$B/bimg-sanitize" -ss -v --seed 1 2>"$work/v.err" >/dev/null
	echo "$(cat "$work/rss") $(sed -n 's/.*: \([0-9]*\) distinct names .*/\1/p' "$work/v.err")"
}
small=${CORPUS:-$ROOT/.cache/corpus}/names.img
read -r big_kb big_names < <(peak_and_names "$img")
printf 'bimg-sanitize -ss peak RSS: %d MB for %d distinct names (goal <= 64 MB: %s)\n' $((big_kb / 1024)) "$big_names" \
	"$( ((big_kb <= 65536)) && echo met || echo "NOT MET")"
if [[ -f $small ]]; then
	read -r small_kb small_names < <(peak_and_names "$small")
	awk -v bk="$big_kb" -v bn="$big_names" -v sk="$small_kb" -v sn="$small_names" 'BEGIN {
		per = (bk - sk) * 1024 / (bn - sn); at2m = (sk * 1024 + per * 2000000) / 1048576
		printf "  %d MB for %d names (%s): %.0f bytes per distinct name; at 2000000 names about %.0f MB\n", sk / 1024, sn, "names.img", per, at2m
		printf "  flat within 10%% from %d to 2000000 names: %s\n", bn, (at2m <= bk / 1024 * 1.1) ? "met" : "NOT MET"
	}'
fi
