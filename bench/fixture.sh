# shellcheck shell=bash
# Benchmark filesystems (sourced by bench/lib.sh and bench/sanitize.sh,
# after they set ROOT).
#
#   FIXTURES     where tests/fixtures/mkfixtures keeps them (default:
#                .cache/fixtures, as make check; the bench set is DIR/bench)
#
#   bench_fixture CASE   the image of a benchmark case (big-N, usr-content),
#                        built first when missing or made by an older builder
#                        (big-200000 takes about 15 s, big-2000000 minutes;
#                        loop mounts: root)

FIXTURES=${FIXTURES:-$ROOT/.cache/fixtures}

bench_fixture() {
	"$ROOT/tests/fixtures/mkfixtures" --only "$1" "$FIXTURES" >&2 ||
		{ echo "bench: could not build the $1 filesystem" >&2; return 1; }
	[[ -f $FIXTURES/bench/$1.img ]] ||
		{ echo "bench: no $1 filesystem in $FIXTURES/bench (loop mounts need root)" >&2; return 1; }
	printf '%s\n' "$FIXTURES/bench/$1.img"
}
