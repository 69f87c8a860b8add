#!/bin/bash
# Run the bats suite with the TAP formatter, show its output as it comes,
# and end with one line: "N passed, N failed, N skipped".
# Exit status: non-zero if any test failed or bats itself failed.
#
#   tests/lib/run-bats.sh [BATS OPTIONS] [FILES OR DIRECTORIES]   (default: tests/)
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[[ $# -gt 0 ]] || set -- "$root/tests"
command -v bats >/dev/null || { echo "run-bats: bats is not installed (run tests/lib/install-deps.sh)" >&2; exit 1; }

passed=0 failed=0 skipped=0 status=1
while IFS= read -r line; do
	case $line in
	"run-bats-status "*)
		status=${line##* }
		continue
		;;
	esac
	printf '%s\n' "$line"
	case $line in
	"not ok "*) failed=$((failed + 1)) ;;
	"ok "*" # skip"*) skipped=$((skipped + 1)) ;;
	"ok "*) passed=$((passed + 1)) ;;
	esac
done < <(bats --formatter tap --print-output-on-failure "$@" 2>&1; echo "run-bats-status $?")

# bats' own status: a failure without any "not ok" (a syntax error in a
# file, a missing file) still fails the run.
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 && $status -eq 0 ]]
