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
