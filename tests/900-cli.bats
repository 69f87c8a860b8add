#!/usr/bin/env bats
# The command line every program shares: --help prints usage on stdout and
# exits 0, --version prints "<prog> (bimg) VERSION" (VERSION file), and a
# usage error prints one line on stderr that points to --help, nothing on
# stdout, and exits 1.

load lib/common

PROGRAMS=(bimg-scan bimg-sanitize bimg-pack bimg-unpack bimg-fixchunks btrfs-image.sh)

# A missing required argument, per program: ARGS as one word-split string.
missing_argument() {
	case $1 in
	bimg-scan | bimg-sanitize | bimg-fixchunks | btrfs-image.sh) echo "" ;; # no operand at all
	bimg-pack) echo "-c" ;;                                              # -c needs its level
	bimg-unpack) echo "-t" ;;                                            # -t needs its count
	esac
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
}

need_program() {
	[[ -x $BIN/$1 ]] && return 0
	[[ $1 == bimg-sanitize ]] && skip "bin/bimg-sanitize is not built yet"
	echo "bin/$1 is not built (make)" >&2
	return 1
}

# Run PROGRAM ARGS... with stdin from /dev/null: status, output (stdout) and stderr.
run_split() {
	echo "command: $*"
	run --separate-stderr "$@" </dev/null
}

check_help() {
	need_program "$1"
	run_split "$BIN/$1" --help
	assert_success
	assert_output --regexp '[Uu][Ss][Aa][Gg][Ee]'
	assert_output --partial "$1"
	refute_stderr
}

check_version() {
	local want
	need_program "$1"
	want="$1 (bimg) $(cat "$ROOT/VERSION")"
	run_split "$BIN/$1" --version
	assert_success
	assert_output "$want"
	refute_stderr
}

# One line on stderr, naming --help
one_line_usage_error() {
	assert_failure 1
	refute_output
	[ "${#stderr_lines[@]}" -eq 1 ] || { echo "not one line: $stderr"; return 1; }
	assert_stderr --partial "$1"
	assert_stderr --regexp "$1.*--help"
}

check_unknown_option() {
	need_program "$1"
	run_split "$BIN/$1" --no-such-option
	one_line_usage_error "$1"
}

check_missing_argument() {
	local args
	need_program "$1"
	args=$(missing_argument "$1")
	# shellcheck disable=SC2086
	run_split "$BIN/$1" $args
	one_line_usage_error "$1"
}

@test "every program is built, the wrapper included" {
	local p missing=()
	for p in "${PROGRAMS[@]}"; do
		[[ $p == bimg-sanitize ]] && continue
		[[ -x $BIN/$p ]] || missing+=("$p")
	done
	echo "missing: ${missing[*]}"
	[[ ${#missing[@]} -eq 0 ]]
}

@test "bimg-scan --help" { check_help bimg-scan; }
@test "bimg-scan --version" { check_version bimg-scan; }
@test "bimg-scan: unknown option" { check_unknown_option bimg-scan; }
@test "bimg-scan: missing argument" { check_missing_argument bimg-scan; }

@test "bimg-sanitize --help" { check_help bimg-sanitize; }
@test "bimg-sanitize --version" { check_version bimg-sanitize; }
@test "bimg-sanitize: unknown option" { check_unknown_option bimg-sanitize; }
@test "bimg-sanitize: missing argument" { check_missing_argument bimg-sanitize; }

@test "bimg-pack --help" { check_help bimg-pack; }
@test "bimg-pack --version" { check_version bimg-pack; }
@test "bimg-pack: unknown option" { check_unknown_option bimg-pack; }
@test "bimg-pack: missing argument" { check_missing_argument bimg-pack; }

@test "bimg-unpack --help" { check_help bimg-unpack; }
@test "bimg-unpack --version" { check_version bimg-unpack; }
@test "bimg-unpack: unknown option" { check_unknown_option bimg-unpack; }
@test "bimg-unpack: missing argument" { check_missing_argument bimg-unpack; }

@test "bimg-fixchunks --help" { check_help bimg-fixchunks; }
@test "bimg-fixchunks --version" { check_version bimg-fixchunks; }
@test "bimg-fixchunks: unknown option" { check_unknown_option bimg-fixchunks; }
@test "bimg-fixchunks: missing argument" { check_missing_argument bimg-fixchunks; }

@test "btrfs-image.sh --help" { check_help btrfs-image.sh; }
@test "btrfs-image.sh --version" { check_version btrfs-image.sh; }
@test "btrfs-image.sh: unknown option" { check_unknown_option btrfs-image.sh; }
@test "btrfs-image.sh: missing argument" { check_missing_argument btrfs-image.sh; }

@test "the wrapper in the source tree reports the same version as bin/" {
	run_split "$ROOT/btrfs-image.sh" --version
	assert_success
	assert_output "btrfs-image.sh (bimg) $(cat "$ROOT/VERSION")"
}
