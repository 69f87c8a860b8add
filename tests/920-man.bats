#!/usr/bin/env bats
# The manual pages in docs/man: one per program, each renders without a
# single groff warning, and each says what the program's --help says.

load lib/common

PROGRAMS=(bimg-scan bimg-sanitize bimg-pack bimg-unpack bimg-fixchunks btrfs-image.sh)

setup() {
	skip_on_sanitizer_build "the pages and --help do not change with it"
	command -v man >/dev/null || skip "man is not installed (man-db)"
	cd "$BATS_TEST_TMPDIR" || return 1
}

# Render PAGE at 80 columns with every warning on (bats' run): the page in
# $output, the warnings in $stderr.
render() {
	echo "page: $1"
	run --separate-stderr env MANWIDTH=80 MAN_KEEP_FORMATTING= man --warnings -l "$1"
}

@test "every program has a manual page" {
	local p missing=()
	for p in "${PROGRAMS[@]}"; do
		[[ -f $ROOT/docs/man/$p.1 ]] || missing+=("$p")
	done
	echo "no page for: ${missing[*]}"
	[[ ${#missing[@]} -eq 0 ]]
}

@test "every page renders without warnings" {
	local page n=0
	for page in "$ROOT"/docs/man/*.1; do
		render "$page"
		assert_success
		refute_stderr
		assert_line --regexp '^NAME'
		n=$((n + 1))
	done
	[[ $n -ge ${#PROGRAMS[@]} ]]
}

@test "every page names itself and has a synopsis, examples and see also" {
	local page name section
	for page in "$ROOT"/docs/man/*.1; do
		name=${page##*/}
		name=${name%.1}
		render "$page"
		assert_success
		assert_line --regexp "^ +$name +- "
		for section in SYNOPSIS DESCRIPTION EXAMPLES "SEE ALSO"; do
			assert_line --regexp "^$section"
		done
	done
}

@test "every page says where the program stands in the record stream" {
	local page
	for page in "$ROOT"/docs/man/*.1; do
		render "$page"
		assert_success
		assert_output --regexp '[Rr][Ee][Cc][Oo][Rr][Dd] [Ss][Tt][Rr][Ee][Aa][Mm]'
	done
}

@test "every option in a program's --help is in its page" {
	local p page opt missing=()
	for p in "${PROGRAMS[@]}"; do
		page=$ROOT/docs/man/$p.1
		[[ -x $BIN/$p && -f $page ]] || continue
		render "$page"
		assert_success
		# the options as --help spells them: -x and --long-name
		while read -r opt; do
			grep -q -- "$opt" <<<"$output" || missing+=("$p $opt")
		done < <("$BIN/$p" --help | grep -oE '(^|[][ ,|(])--?[a-zA-Z][a-zA-Z-]*' | sed 's/^[][ ,|(]//' | sort -u)
	done
	printf 'not in the page: %s\n' "${missing[@]}"
	[[ ${#missing[@]} -eq 0 ]]
}
