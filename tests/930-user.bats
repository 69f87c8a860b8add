#!/usr/bin/env bats
# What a person at a terminal sees: nothing from an image or a stream
# reaches the terminal raw; a report whose reader stops early (| head) ends
# quietly; a failing pipeline prints one line, a full disk included; a bad
# command line is one line; a --rescue=copy image restores through the
# wrapper with --ignore-bad-blocks.  docs/robustness.md lists the rules.

load lib/common
load lib/fixchunks

PROGRAMS=(bimg-scan bimg-sanitize bimg-pack bimg-unpack bimg-fixchunks btrfs-image.sh)
# Escape sequences that retitle the terminal, clear it and print a fake "OK"
# on a fresh line; BEL; a C1 CSI (raw, and as UTF-8); invalid UTF-8; DEL;
# and text that must stay readable.
HOSTILE=$'\e]0;pwned\a\e[2J\rOK\nline2 \x9b31m \xc2\x9b \xff\xfe ünïcødé ☃ \\ \x7f'
HOSTILE_SHOWN='\x1b]0;pwned\x07\x1b[2J\x0dOK\x0aline2 \x9b31m \xc2\x9b \xff\xfe ünïcødé ☃ \\ \x7f'

setup() {
	T=$BATS_TEST_TMPDIR
	WRAPPER=$ROOT/btrfs-image.sh
}

teardown() {
	[[ -n ${TMPFS:-} ]] && umount "$TMPFS" 2>/dev/null
	loop_cleanup
}

# FILE...: fails (naming the file and the offset) if a file holds a byte a
# terminal would obey: a control byte other than newline and tab, DEL,
# anything that is not UTF-8, or a C1 control encoded in UTF-8.
terminal_safe() {
	python3 - "$@" <<'EOF'
import sys
ok = True
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    for i, b in enumerate(data):
        if (b < 0x20 and b not in (9, 10)) or b == 0x7f:
            print(f"{path}: control byte 0x{b:02x} at {i}"); ok = False; break
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        print(f"{path}: not UTF-8: {e}"); ok = False; continue
    for i, ch in enumerate(text):
        if 0x80 <= ord(ch) <= 0x9f:
            print(f"{path}: C1 control U+{ord(ch):04X} at character {i}"); ok = False; break
sys.exit(0 if ok else 1)
EOF
}

# A filesystem whose label is $HOSTILE, its stream and its image, once per file.
hostile_fs() {
	HFS=$BATS_FILE_TMPDIR/hostile.fs
	[[ -s $BATS_FILE_TMPDIR/hostile.img ]] && return 0
	truncate -s 128M "$HFS"
	mkfs.btrfs -q -f "$HFS" >/dev/null 2>&1
	btrfs filesystem label "$HFS" "$HOSTILE"
	[[ $(btrfs filesystem label "$HFS") == "$HOSTILE" ]]
	bimg-scan "$HFS" >"$BATS_FILE_TMPDIR/hostile.stream"
	bimg-pack -o "$BATS_FILE_TMPDIR/hostile.img" <"$BATS_FILE_TMPDIR/hostile.stream"
}

# closed_reader CMD...: CMD with standard output a pipe whose reader has
# already gone (as `| head` leaves it); prints CMD's stderr, then "status N"
# (negative N: killed by signal -N).
closed_reader() {
	python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=w, stderr=subprocess.PIPE)
sys.stdout.write(p.stderr.decode("utf-8", "replace"))
print("status %d" % p.returncode)' "$@"
}

# ---- nothing from an image reaches a terminal raw ----

@test "--info and --list show a hostile label as visible text, readable UTF-8 kept" {
	hostile_fs
	local f what
	for what in img stream; do
		bimg-unpack --info "$BATS_FILE_TMPDIR/hostile.$what" >"$T/info.$what"
		bimg-unpack --list "$BATS_FILE_TMPDIR/hostile.$what" >"$T/list.$what"
		grep -Fx "label:          $HOSTILE_SHOWN" "$T/info.$what"
	done
	for f in "$T"/info.* "$T"/list.*; do
		terminal_safe "$f"
	done
}

@test "text_escape: controls, C1, invalid UTF-8 escaped; valid UTF-8 kept; cut whole (tests/unit)" {
	# from the sources, with the sanitizers where the compiler has them
	local san=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
	echo 'int main(void){return 0;}' >"$T/probe.c"
	cc "${san[@]}" -o "$T/probe" "$T/probe.c" 2>/dev/null || san=()
	cc "${san[@]}" -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -I"$ROOT/src/common" -o "$T/text_escape_test" \
		"$ROOT/tests/unit/text_escape_test.c" "$ROOT/src/common/msg.c"
	"$T/text_escape_test"
}

@test "a message quoting bytes we did not write is one visible line" {
	run --separate-stderr bimg-unpack $'/nonexistent/\e[2J\rOK\n\x9b.img'
	assert_failure 1
	echo "$stderr"
	assert_stderr "bimg-unpack: cannot open '/nonexistent/\\x1b[2J\\x0dOK\\x0a\\x9b.img': No such file or directory"
	run --separate-stderr bimg-pack -c $'9\e[2J'
	assert_stderr "bimg-pack: -c: '9\\x1b[2J' is not a number in 0..9: try 'bimg-pack --help'"
	run --separate-stderr "$WRAPPER" -c 3 a $'/nonexistent/\e]0;x\a\n'
	assert_stderr 'ERROR: unable to create target file /nonexistent/\x1b]0;x\x07\x0a'
	run --separate-stderr "$WRAPPER" $'--x\ny' a b
	assert_stderr "$WRAPPER: unrecognized option '--x\\x0ay': try '$WRAPPER --help'"
}

@test "an ERROR record's text (docs/record-stream.md 4.6) is printed by no stage" {
	[[ -x $BIN/bimg-sanitize ]] || skip "bin/bimg-sanitize is not built"
	python3 - "$T/error.stream" "$HOSTILE" <<EOF
import sys
sys.path.insert(0, "$ROOT/tests/lib")
import mkstream
text = sys.argv[2].encode("utf-8", "surrogateescape")
open(sys.argv[1], "wb").write(mkstream.build(mkstream.body()[:1] + [(mkstream.ERROR, text, 0)], end=False))
EOF
	local cmd
	for cmd in "bimg-sanitize -s" "bimg-pack -o $T/x.img" "bimg-unpack --list -" "bimg-unpack --info -" \
		"bimg-fixchunks $T/target"; do
		run --separate-stderr bash -c "$cmd <'$T/error.stream' >'$T/out'"
		echo "$cmd: status $status: $stderr"
		assert_failure 1
		refute_stderr
	done
}

# ---- a report whose reader goes away ends quietly ----

@test "--list, --info, --help, --version into a closed pipe: no message, exit 0" {
	local p out img=$T/img
	bimg-scan "$(corpus_img subvol-snap)" >"$T/s"
	bimg-pack -o "$img" <"$T/s"
	for p in "bimg-unpack --list $img" "bimg-unpack --info $img" "bimg-unpack --list $T/s" "bimg-unpack --info $T/s"; do
		# shellcheck disable=SC2086
		out=$(closed_reader $p)
		echo "$p: $out"
		[ "$out" = "status 0" ]
	done
	for p in "${PROGRAMS[@]}"; do
		for opt in --help --version; do
			out=$(closed_reader "$BIN/$p" $opt)
			echo "$p $opt: $out"
			[ "$out" = "status 0" ]
		done
	done
}

@test "a report onto a full device is still an error: one line, exit 1" {
	[[ -w /dev/full ]] || skip "no /dev/full"
	local img=$T/img
	bimg-pack -o "$img" < <(bimg-scan "$(corpus_img default)")
	run --separate-stderr bash -c "bimg-unpack --list '$img' >/dev/full"
	assert_failure 1
	assert_stderr "bimg-unpack: writing to standard output: No space left on device"
	run --separate-stderr bash -c "bimg-pack --help >/dev/full"
	assert_failure 1
	assert_stderr "bimg-pack: writing to standard output: No space left on device"
}

@test "the record stream into a closed pipe stays an error: one line, exit 1" {
	local img out
	img=$(corpus_img subvol-snap)
	out=$(closed_reader bimg-scan "$img")
	[ "$out" = $'bimg-scan: writing stream: downstream closed the pipe\nstatus 1' ]
	bimg-pack -o "$T/img" < <(bimg-scan "$img")
	out=$(closed_reader bimg-unpack "$T/img")
	[ "$out" = $'bimg-unpack: writing stream: downstream closed the pipe\nstatus 1' ]
	# ... quietly when the reader is a stage that reports its own failure
	out=$(BIMG_DOWNSTREAM_REPORTS=1 closed_reader bimg-unpack "$T/img")
	[ "$out" = "status 1" ]
}

# ---- a full disk: one message ----

# A tmpfs of 256 KiB at $TMPFS; the subvol-snap dump (several MiB) fills it
# far beyond what the 1 MiB pipe between two stages can absorb.
mount_small_tmpfs() {
	[[ $(id -u) -eq 0 ]] || skip "mounting a tmpfs needs root"
	TMPFS=$T/tmpfs
	mkdir -p "$TMPFS"
	mount -t tmpfs -o size=256k tmpfs "$TMPFS"
}

@test "a dump onto a full disk through btrfs-image.sh prints one message (-c0, -ss, -c9)" {
	mount_small_tmpfs
	local img opts
	img=$(corpus_img subvol-snap)
	[[ $(bimg-scan "$img" | wc -c) -gt $((4 << 20)) ]]
	for opts in -c0 -ss -c9; do
		run --separate-stderr "$WRAPPER" $opts "$img" "$TMPFS/out.img"
		echo "$opts: status $status: $stderr"
		assert_failure 1
		assert_stderr --regexp '^bimg-pack: writing the image to .*: No space left on device$'
		[ -z "$(ls -A "$TMPFS")" ]
	done
}

@test "a restore onto a full disk through btrfs-image.sh prints one message" {
	mount_small_tmpfs
	local img
	img=$(corpus_img subvol-snap)
	"$WRAPPER" "$img" "$T/img"
	run --separate-stderr "$WRAPPER" -r "$T/img" "$TMPFS/t"
	echo "status $status: $stderr"
	assert_failure 1
	assert_stderr --regexp "^bimg-fixchunks: $TMPFS/t: writing [0-9]+ bytes at [0-9]+: No space left on device$"
}

@test "single stages onto a full disk: the cause first; BIMG_DOWNSTREAM_REPORTS=1 keeps only it" {
	mount_small_tmpfs
	local img
	img=$(corpus_img subvol-snap)
	run --separate-stderr bash -c "bimg-scan '$img' | bimg-pack -o '$TMPFS/x.img'"
	assert_failure 1
	[ "${#stderr_lines[@]}" -eq 2 ]
	[[ ${stderr_lines[0]} == "bimg-pack: writing the image to "*": No space left on device" ]]
	[ "${stderr_lines[1]}" = "bimg-scan: writing stream: downstream closed the pipe" ]
	run --separate-stderr bash -o pipefail -c \
		"BIMG_DOWNSTREAM_REPORTS=1 bimg-scan '$img' | bimg-pack -o '$TMPFS/x.img'"
	assert_failure 1
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ ${stderr_lines[0]} == "bimg-pack: writing the image to "*": No space left on device" ]]
}

@test "btrfs-image.sh: a stage killed by a signal is not silent (bash reports it)" {
	local img p
	img=$(corpus_img default)
	mkdir "$T/kit"
	cp "$WRAPPER" "$T/kit/"
	for p in bimg-scan bimg-pack bimg-unpack; do ln -s "$BIN/$p" "$T/kit/$p"; done
	printf '#!/bin/sh\nkill -KILL $$\n' >"$T/kit/bimg-fixchunks"
	chmod +x "$T/kit/bimg-fixchunks"
	"$WRAPPER" "$img" "$T/img"
	run --separate-stderr "$T/kit/btrfs-image.sh" -r "$T/img" "$T/t"
	assert_failure 1
	assert_stderr --partial Killed
}

# ---- --rescue=copy images restore through the wrapper ----

@test "btrfs-image.sh -r --ignore-bad-blocks restores a --rescue=copy image; without it: one clear line" {
	local img leaf
	img=$(corpus_img default)
	leaf=$(python3 "$ROOT/tests/lib/corrupt.py" leaf "$img" 5)
	python3 "$ROOT/tests/lib/corrupt.py" block-csum "$img" "$T/bad.img" "$leaf" >/dev/null
	run "$WRAPPER" --rescue=copy "$T/bad.img" "$T/copy.img"
	assert_failure 2
	run --separate-stderr "$WRAPPER" -r "$T/copy.img" "$T/r1.img"
	assert_failure 1
	assert_stderr "bimg-fixchunks: tree block $leaf: crc32c checksum mismatch (--ignore-bad-blocks restores damaged blocks as they are)"
	no_valid_superblock "$T/r1.img"
	run --separate-stderr "$WRAPPER" -r --ignore-bad-blocks "$T/copy.img" "$T/r2.img"
	assert_success
	assert_stderr "bimg-fixchunks: 1 damaged tree blocks written as they were"
	# the restore shows the source's damage
	run btrfs check "$T/r2.img"
	assert_failure
	assert_output --partial "$leaf"
	# abbreviated, as getopt_long takes it
	"$WRAPPER" -r --ignore "$T/copy.img" "$T/r3.img" 2>/dev/null
	python3 "$ROOT/tests/lib/sparsecmp.py" "$T/r2.img" "$T/r3.img"
}

@test "--ignore-bad-blocks is a restore option; --rescue with -r points to it" {
	run --separate-stderr "$WRAPPER" --ignore-bad-blocks a b
	assert_failure 1
	assert_stderr "ERROR: --ignore-bad-blocks is a restore option (-r)"
	run --separate-stderr "$WRAPPER" -r --rescue=copy a b
	assert_failure 1
	assert_stderr "ERROR: --rescue is a dump option (restore its image with -r --ignore-bad-blocks)"
	"$WRAPPER" --help | grep -q -- '--ignore-bad-blocks'
}

# ---- one line for a bad command line ----

@test "every program: a bad option, a missing argument, a bad value is exactly one line on stderr" {
	local p args
	local -a cases
	for p in "${PROGRAMS[@]}"; do
		[[ -x $BIN/$p ]] || continue
		cases=("-Z" "--no-such-option" "--help=now" "--version=2")
		case $p in
		bimg-scan) cases+=("--rescue" "--rescue=maybe x" "-w -d x" "") ;;
		bimg-sanitize) cases+=("" "-sss" "-s --seed" "-s --seed x" "-s --odometer" "-ss extra") ;;
		bimg-pack) cases+=("-c" "-c 10" "-t x" "--deflate=gzip" "extra") ;;
		bimg-unpack) cases+=("-t" "-t 99" "--info --list x" "a b") ;;
		bimg-fixchunks) cases+=("" "a b" "-m -o a b") ;;
		btrfs-image.sh) cases+=("-c" "-x a b" "a" "--rescue" "--device" "--foo=bar a b" "-o a b" "-r -w a b") ;;
		esac
		for args in "${cases[@]}"; do
			# shellcheck disable=SC2086
			run --separate-stderr "$BIN/$p" $args </dev/null
			echo "$p $args: status $status: $stderr"
			assert_failure 1
			refute_output
			[ "${#stderr_lines[@]}" -eq 1 ]
		done
	done
}

@test "bimg programs: a bad option names itself and --help" {
	local p
	for p in bimg-scan bimg-sanitize bimg-pack bimg-unpack bimg-fixchunks; do
		run --separate-stderr "$BIN/$p" -Z
		assert_stderr "$p: unknown option '-Z': try '$p --help'"
		run --separate-stderr "$BIN/$p" --zap=1
		assert_stderr "$p: unknown option '--zap': try '$p --help'"
	done
	run --separate-stderr "$BIN/bimg-pack" --compress
	assert_stderr "bimg-pack: option '--compress' needs an argument: try 'bimg-pack --help'"
	run --separate-stderr "$BIN/bimg-pack" -c
	assert_stderr "bimg-pack: option '-c' needs an argument: try 'bimg-pack --help'"
	run --separate-stderr "$BIN/bimg-pack" --help=1
	assert_stderr "bimg-pack: option '--help' takes no argument: try 'bimg-pack --help'"
}

# ---- what --help says about -s, and the reference and -d images ----

@test "-s: --help and the man page say it neither mounts nor passes btrfs check; that is so" {
	need_loop_mount
	local img
	img=$(corpus_img default)
	"$WRAPPER" --help | tr -s ' \n' ' ' | grep -q 'with -s the name hashes no longer match: the restored image fails btrfs check and does not mount'
	MANWIDTH=200 man -l "$ROOT/docs/man/btrfs-image.sh.1" 2>/dev/null | tr -s ' \n' ' ' |
		grep -q 'does not mount'
	"$WRAPPER" -s "$img" "$T/s.img"
	"$WRAPPER" -r "$T/s.img" "$T/s.fs"
	run btrfs check "$T/s.fs"
	assert_failure
	assert_output --regexp 'hash|errors'
	if loop_mount_ro "$T/s.fs" "$T/mnt"; then
		echo "a -s restore mounted"
		return 1
	fi
	loop_cleanup
	# -ss does both
	"$WRAPPER" -ss "$img" "$T/ss.img"
	"$WRAPPER" -r "$T/ss.img" "$T/ss.fs"
	btrfs check "$T/ss.fs"
	loop_mount_ro "$T/ss.fs" "$T/mnt2"
}

@test "the reference btrfs-image 6.2 cannot restore a -d image (format 1); we can" {
	command -v btrfs-image >/dev/null || skip "the reference btrfs-image is missing"
	local img
	img=$(corpus_img default)
	"$WRAPPER" -d "$img" "$T/d.img"
	[ "$(head -c 8 "$T/d.img")" = _DUmP_v1 ]
	run --separate-stderr btrfs-image -r "$T/d.img" "$T/ref.fs"
	assert_failure 1
	assert_stderr --partial "unrecognized header format"
	"$WRAPPER" -r "$T/d.img" "$T/ours.fs"
	btrfs check "$T/ours.fs"
}
