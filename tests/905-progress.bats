#!/usr/bin/env bats
# src/common/progress.c through tests/unit/progress_test.c: the status line
# under a pseudo terminal (script(1)), its absence in pipes, and a clean
# terminal however the program ends.

load lib/common

setup_file() {
	make -C "$ROOT" -s build/libbimg.a >&2
	cc -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -I"$ROOT/src/common" \
		-o "$BATS_FILE_TMPDIR/progress_test" "$ROOT/tests/unit/progress_test.c" \
		"$ROOT/build/libbimg.a" -pthread
}

setup() {
	command -v script >/dev/null || skip "script(1) is not installed (util-linux)"
	PT=$BATS_FILE_TMPDIR/progress_test
	cd "$BATS_TEST_TMPDIR" || return 1
}

# Run COMMAND under a pseudo terminal of COLUMNS columns; its terminal
# output, control characters shown by cat -v (\r = ^M, ESC = ^[), in $tty;
# its exit status in $tty_status.
under_tty() {
	local columns=$1
	shift
	tty_status=0
	script -qfec "stty cols $columns; $*" /dev/null </dev/null >typescript || tty_status=$?
	tty=$(cat -v typescript)
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
	grep -Eq 'progress_test: [0-9]+\.[0-9] MiB of 297\.0 MiB \([0-9]+%\), [0-9.]+ (KiB|MiB|GiB)/s, ETA 0:[0-9][0-9]' <<<"$tty"
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
	grep -Eq 'progress_test: [0-9.]+ KiB, [0-9.]+ (B|KiB)/s' <<<"$tty"
	! grep -q 'ETA\|%' <<<"$tty"
}

@test "progress: an error erases the line before its message" {
	under_tty 100 "$PT" auto 311427072 10485760 5 50 die
	[[ $tty_status -eq 1 ]]
	grep -q 'progress_test: [0-9.]* MiB of' <<<"$tty"
	[[ $(after_last_erase) == "progress_test: the disk caught fire^M" ]]
}

@test "progress: exiting without progress_finish still leaves the terminal clean" {
	under_tty 100 "$PT" auto 311427072 10485760 5 50 exit
	grep -q 'progress_test: [0-9.]* MiB of' <<<"$tty"
	[[ $(after_last_erase) == "" ]]
}

@test "progress: the line is cut to a narrow terminal instead of wrapping" {
	under_tty 30 "$PT" auto 311427072 10485760 5 50 finish
	local line longest=0
	while IFS= read -r line; do
		((${#line} > longest)) && longest=${#line}
	done < <(sed 's/\r\x1b\[K/\n/g' typescript)
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
	[[ $tty == "finished^M" ]]
}

@test "progress: forced on draws into a pipe too" {
	"$PT" on 311427072 10485760 5 50 finish 2>&1 | cat >out
	grep -q 'progress_test: [0-9.]* MiB of 297.0 MiB' out
	[[ $(cat -v out) == *'^M^[[Kfinished' ]]
}
