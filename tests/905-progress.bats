#!/usr/bin/env bats
# src/common/progress.c through tests/unit/progress_test.c: the status line
# under a pseudo terminal (script(1)), its absence in pipes, and a clean
# terminal however the program ends.

load lib/common

setup_file() {
	# Compiled from the sources (not build/libbimg.a, which may be a sanitizer build).
	cc -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -I"$ROOT/src/common" \
		-o "$BATS_FILE_TMPDIR/progress_test" "$ROOT/tests/unit/progress_test.c" \
		"$ROOT/src/common/progress.c" "$ROOT/src/common/msg.c" -pthread
}

setup() {
	command -v script >/dev/null || skip "script(1) is not installed (util-linux)"
	PT=$BATS_FILE_TMPDIR/progress_test
	cd "$BATS_TEST_TMPDIR" || return 1
}

# Run COMMAND under a pseudo terminal of COLUMNS columns (bats' run): its
# status in $status, its terminal output as it came in $raw_tty, and in
# $output and $tty with control characters shown by cat -v (\r = ^M, ESC = ^[).
under_tty() {
	local columns=$1
	shift
	run script -qfec "stty cols $columns; $*" /dev/null </dev/null
	raw_tty=$output
	tty=$(printf '%s' "$raw_tty" | cat -v)
	output=$tty
	printf 'terminal output:\n%s\n' "$tty"
}

# What follows the last "erase line" sequence.
after_last_erase() {
	local t=$tty
	[[ $t == *'^[[K'* ]] || return 1
	printf '%s' "${t##*^[[K}"
}

@test "progress: a status line under a terminal, erased by progress_finish" {
	under_tty 100 "$PT" auto 311427072 10485760 12 50 finish
	# bytes of total (percent), rate, ETA
	assert_output --regexp 'progress_test: [0-9]+\.[0-9] MiB of 297\.0 MiB \([0-9]+%\), [0-9.]+ (KiB|MiB|GiB)/s, ETA 0:[0-9][0-9]'
	# redrawn in place, never a new line
	[[ $(grep -c . <<<"$tty") -eq 1 ]]
	[[ $(after_last_erase) == "finished^M" ]]
}

@test "progress: at most ten redraws a second" {
	under_tty 100 "$PT" auto 0 1000 100 10 finish # about 1.1 s of updates
	local draws
	draws=$(grep -o 'progress_test:' <<<"$tty" | wc -l)
	echo "draws: $draws"
	[[ $draws -ge 5 && $draws -le 12 ]]
}

@test "progress: unknown total shows bytes and rate, no percentage or ETA" {
	under_tty 100 "$PT" auto 0 4096 6 50 finish
	assert_output --regexp 'progress_test: [0-9.]+ KiB, [0-9.]+ (B|KiB)/s'
	refute_output --regexp 'ETA|%'
}

@test "progress: an error erases the line before its message" {
	under_tty 100 "$PT" auto 311427072 10485760 5 50 die
	assert_failure 1
	assert_output --regexp 'progress_test: [0-9.]* MiB of'
	[[ $(after_last_erase) == "progress_test: the disk caught fire^M" ]]
}

@test "progress: exiting without progress_finish still leaves the terminal clean" {
	under_tty 100 "$PT" auto 311427072 10485760 5 50 exit
	assert_output --regexp 'progress_test: [0-9.]* MiB of'
	[[ $(after_last_erase) == "" ]]
}

@test "progress: the line is cut to a narrow terminal instead of wrapping" {
	under_tty 30 "$PT" auto 311427072 10485760 5 50 finish
	local line longest=0
	while IFS= read -r line; do
		((${#line} > longest)) && longest=${#line}
	done < <(sed 's/\r\x1b\[K/\n/g' <<<"$raw_tty")
	echo "longest: $longest"
	[[ $longest -gt 0 && $longest -le 29 ]]
}

@test "progress: nothing when stderr is a pipe" {
	"$PT" auto 311427072 10485760 5 50 finish 2>&1 | cat >out
	[[ $(cat out) == finished ]]
}

@test "progress: nothing when stderr is a file" {
	"$PT" auto 311427072 10485760 5 50 finish 2>out
	[[ $(cat out) == finished ]]
}

@test "progress: off draws nothing even on a terminal" {
	under_tty 100 "$PT" off 311427072 10485760 5 50 finish
	assert_output "finished^M"
}

@test "progress: forced on draws into a pipe too" {
	"$PT" on 311427072 10485760 5 50 finish 2>&1 | cat >out
	grep -q 'progress_test: [0-9.]* MiB of 297.0 MiB' out
	[[ $(cat -v out) == *'^M^[[Kfinished' ]]
}

@test "progress: BIMG_PROGRESS_MS=0 draws on every update" {
	BIMG_PROGRESS_MS=0 under_tty 100 "$PT" auto 1000 10 7 0 finish
	[[ $(grep -o 'progress_test:' <<<"$tty" | wc -l) -eq 7 ]]
}

# --- the programs (bimg-scan for a dump, bimg-unpack for a restore) -------
# These skip until the program has --progress in its --help.

need_progress_option() {
	[[ -x $BIN/$1 ]] || skip "bin/$1 is not built"
	"$BIN/$1" --help | grep -q -- '--progress' || skip "$1 has no --progress yet"
}

@test "bimg-scan: a progress line on a terminal, erased, and the stream unchanged" {
	need_progress_option bimg-scan
	local fs
	fs=$(corpus_img default)
	"$BIN/bimg-scan" "$fs" >quiet.stream 2>quiet.err
	[[ ! -s quiet.err ]]
	BIMG_PROGRESS_MS=0 under_tty 100 "$BIN/bimg-scan" "$fs" ">tty.stream"
	assert_success
	assert_output --regexp 'bimg-scan: [0-9.]+ (B|KiB|MiB) of [0-9.]+ (KiB|MiB|GiB) \([0-9]+%\)'
	[[ $(after_last_erase) == "" ]]
	cmp quiet.stream tty.stream
}

@test "bimg-scan: --progress draws into a pipe, --no-progress draws nothing" {
	need_progress_option bimg-scan
	local fs
	fs=$(corpus_img default)
	BIMG_PROGRESS_MS=0 "$BIN/bimg-scan" --progress "$fs" 2>&1 >/dev/null | cat -v >err
	grep -q 'bimg-scan: .* of ' err
	[[ $(cat err) == *'^M^[[K' ]]
	if "$BIN/bimg-scan" --help | grep -q -- '--no-progress'; then
		BIMG_PROGRESS_MS=0 under_tty 100 "$BIN/bimg-scan" --no-progress "$fs" ">/dev/null"
		refute_output
	fi
}

@test "bimg-unpack: a file shows bytes of its size, a pipe shows bytes only" {
	need_progress_option bimg-unpack
	local fs
	fs=$(corpus_img default)
	"$BIN/bimg-scan" "$fs" | "$BIN/bimg-pack" -o fs.img
	BIMG_PROGRESS_MS=0 under_tty 100 "$BIN/bimg-unpack" fs.img ">file.stream"
	assert_success
	assert_output --regexp 'bimg-unpack: [0-9.]+ (B|KiB|MiB) of [0-9.]+ (KiB|MiB) \([0-9]+%\)'
	[[ $(after_last_erase) == "" ]]
	BIMG_PROGRESS_MS=0 under_tty 100 "cat fs.img | $BIN/bimg-unpack - >pipe.stream"
	assert_success
	assert_output --regexp 'bimg-unpack: [0-9.]+ (B|KiB|MiB)'
	refute_output --regexp $' of [^\n]*%'
	[[ $(after_last_erase) == "" ]]
	cmp file.stream pipe.stream
	"$BIN/bimg-unpack" fs.img 2>err >/dev/null
	[[ ! -s err ]]
}

@test "bimg-unpack: --list and --info print no progress line on a terminal" {
	need_progress_option bimg-unpack
	local fs
	fs=$(corpus_img default)
	"$BIN/bimg-scan" "$fs" | "$BIN/bimg-pack" -o fs.img
	BIMG_PROGRESS_MS=0 under_tty 100 "$BIN/bimg-unpack" --list fs.img
	refute_output --partial '^[[K'
	BIMG_PROGRESS_MS=0 under_tty 100 "$BIN/bimg-unpack" --info fs.img
	refute_output --partial '^[[K'
}

@test "bimg-unpack: an error clears the progress line before its one message" {
	need_progress_option bimg-unpack
	local fs size
	fs=$(corpus_img default)
	"$BIN/bimg-scan" "$fs" | "$BIN/bimg-pack" -o fs.img
	size=$(stat -c %s fs.img)
	head -c $((size - 100)) fs.img >cut.img
	BIMG_PROGRESS_MS=0 under_tty 100 "$BIN/bimg-unpack" cut.img ">/dev/null"
	assert_failure
	[[ $(after_last_erase) == "bimg-unpack: "*"^M" ]]
}

@test "btrfs-image.sh: one progress line per run, from one stage" {
	need_progress_option bimg-scan
	local fs
	fs=$(corpus_img default)
	BIMG_PROGRESS_MS=0 under_tty 100 "$ROOT/btrfs-image.sh" -c9 "$fs" out.img
	assert_success
	refute_output --regexp 'bimg-pack: |bimg-sanitize: '
	[[ $(after_last_erase) == "" ]]
}
