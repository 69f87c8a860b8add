# Shared helpers for the bats suite.  Load with: load lib/common
#
#   ROOT         the repository
#   BIN          the built programs (bin/)
#   CORPUS       the quick set of test filesystems (tests/fixtures/mkfixtures;
#                make check builds it; default .cache/fixtures/quick)
#   FULL_CORPUS  the full set, quick cases included (default .cache/fixtures/full)
#   corpus_img CASE        path of a single-device case, or skip the test
#   corpus_files CASE      all device images of a case, in devid order
#   corpus_devs CASE       the same into the caller's array devs, or skip the test
#   corpus_cases FILTER [DIR]  case names of CORPUS (or DIR): FILTER is "single-crc32c",
#                          "single" or "all"
#   need_loop_mount        skip the test unless loop mounts work here
#   need_bin PROGRAM...    skip the test unless bin/PROGRAM is built
#   sanitizer_build        true when bin/ is the make sanitize build
#   skip_on_sanitizer_build WHY  skip there a test that runs none of our programs on input
#   wait_stalled PID SENT  until PID took all its stalled input (SENT made by its writer)
#   stream_lines STREAM    one line per record (type flags length sha1)
#   corrupt_default_leaf KIND [ARGS]  $T/bad.img: the default case, one leaf damaged
#   same_entry_count MOUNT SOURCE RESTORED  both mount with as many entries
#   STREAMCMP, CORRUPT     tests/lib/streamcmp.py, tests/lib/corrupt.py as commands
#
# It also loads bats-support and bats-assert (tests/lib/install-deps.sh
# installs them): every test checks a `run` with assert_success,
# assert_failure [STATUS], assert_output, assert_line, refute_output and
# refute_line, whose failures show the status and the output.

# run --separate-stderr (its stderr and stderr_lines) needs bats 1.5.
bats_require_minimum_version 1.5.0

# load_bats_library NAME: bats_load_library NAME, sourcing the library's src/*.bash itself
# where it can: the load.bash of bats-support and bats-assert forks a dirname for each file
# it sources, and each test loads them anew (0.14 s a test here, a minute a suite run).
load_bats_library() {
	local dir file
	local -a dirs
	IFS=: read -ra dirs <<<"${BATS_LIB_PATH:-/usr/lib/bats}"
	for dir in "${dirs[@]}"; do
		[[ -f $dir/$1/load.bash ]] || continue
		compgen -G "$dir/$1/src/*.bash" >/dev/null || break
		for file in "$dir/$1"/src/*.bash; do
			# shellcheck source=/dev/null
			source "$file"
		done
		return 0
	done
	bats_load_library "$1"
}
load_bats_library bats-support
load_bats_library bats-assert

# assert_stderr / refute_stderr [--partial | --regexp] [EXPECTED]: assert_output
# and refute_output on the stderr of `run --separate-stderr`.  bats-assert
# 2.2 has them; Debian 12's 2.1 does not, and these take the same arguments.
assert_stderr() {
	local output=$stderr
	assert_output "$@"
}
refute_stderr() {
	local output=$stderr
	refute_output "$@"
}

ROOT="$(cd "${BASH_SOURCE[0]%/*}/../.." && pwd)"
BIN="$ROOT/bin"
CORPUS="${CORPUS:-$ROOT/.cache/fixtures/quick}"
FULL_CORPUS="${FULL_CORPUS:-$ROOT/.cache/fixtures/full}"
export PATH="$BIN:$PATH"

# python3 may be a version manager's wrapper that finds the interpreter anew on every
# call (pyenv's shim: most of a second, and many tests call python3 in loops): ask it
# once per run where the interpreter is, and put a link to that first on PATH, so that
# "python3" and "#!/usr/bin/env python3" both go straight to it.
python3_first_on_path() {
	local dir=$BATS_RUN_TMPDIR/python3-bin exe
	if [[ ! -x $dir/python3 ]]; then
		exe=$(python3 -c 'import sys; print(sys.executable)') && [[ -x $exe ]] || return 0
		mkdir -p "$dir"
		ln -sfn "$exe" "$dir/python3.$$"
		mv -fT "$dir/python3.$$" "$dir/python3"
	fi
	PATH="$dir:$PATH"
}
if [[ -n ${BATS_RUN_TMPDIR-} ]] && command -v python3 >/dev/null; then
	python3_first_on_path
fi

STREAMCMP="python3 $ROOT/tests/lib/streamcmp.py"
CORRUPT="python3 $ROOT/tests/lib/corrupt.py"

need_bin() {
	local p
	for p in "$@"; do
		[[ -x $BIN/$p ]] || skip "bin/$p is not built"
	done
}

# One line per record of a stream: type flags length sha1(payload); first the header's
# major minor compat incompat.
stream_lines() {
	python3 - "$1" <<'PY'
import hashlib, struct, sys
data = open(sys.argv[1], "rb").read()
print("header", *struct.unpack_from("<HHII", data, 8))
pos = 32
while pos < len(data):
    rtype, flags, length = struct.unpack_from("<HHI", data, pos)
    payload = data[pos + 24:pos + 24 + length]
    print(rtype, flags, length, hashlib.sha1(payload).hexdigest())
    pos += 24 + length
PY
}

manifest_line() { # CASE -> its MANIFEST.tsv line from CORPUS or FULL_CORPUS
	local dir
	for dir in "$CORPUS" "$FULL_CORPUS"; do
		[[ -f $dir/MANIFEST.tsv ]] || continue
		if awk -F'\t' -v c="$1" '$1 == c { found = 1 } END { exit !found }' "$dir/MANIFEST.tsv"; then
			printf '%s\t' "$dir"
			awk -F'\t' -v c="$1" '$1 == c' "$dir/MANIFEST.tsv"
			return 0
		fi
	done
	return 1
}

corpus_files() {
	local line dir files f
	line=$(manifest_line "$1") || return 1
	dir=${line%%$'\t'*}
	files=$(printf '%s\n' "$line" | cut -f3)
	for f in $files; do printf '%s\n' "$dir/$f"; done
}

# corpus_devs CASE: the caller's array devs = every device image of CASE, or skip the test.
corpus_devs() {
	local files
	files=$(corpus_files "$1") || skip "corpus case $1 not built"
	mapfile -t devs <<<"$files"
}

corpus_img() {
	local files
	files=$(corpus_files "$1") || skip "test filesystem $1 not built (make corpus, as root)"
	[[ $(printf '%s\n' "$files" | wc -l) -eq 1 ]] || skip "corpus case $1 has several devices"
	printf '%s\n' "$files"
}

corpus_cases() { # single-crc32c | single | all, [DIR]: the cases of CORPUS (or of DIR)
	local dir=${2:-$CORPUS}
	[[ -f $dir/MANIFEST.tsv ]] || return 0
	awk -F'\t' -v f="$1" 'NR > 1 {
		single = ($2 !~ / /)
		if (f == "all" || (f == "single" && single) || (f == "single-crc32c" && single && $5 == "crc32c"))
			print $1
	}' "$dir/MANIFEST.tsv"
}

need_loop_mount() {
	[[ $(id -u) -eq 0 ]] || skip "loop mounts need root"
	grep -qw btrfs /proc/filesystems 2>/dev/null || modprobe btrfs 2>/dev/null ||
		skip "btrfs is not available in this kernel"
	losetup -f >/dev/null 2>&1 || skip "no free loop device"
}

# Mount IMAGE read-only at DIR through a loop device; sets LOOPDEV.
# Register cleanup with: teardown() { loop_cleanup; }
LOOP_MOUNTS=()
LOOP_DEVS=()
loop_mount_ro() {
	loop_mount_with --read-only "$1" "$2"
}

# loop_mount_ro_replay IMAGE DIR: a writable loop device mounted read-only, so that a log tree
# can be replayed (the kernel refuses log replay on read-only media); IMAGE may be written.
loop_mount_ro_replay() {
	loop_mount_with "" "$1" "$2"
}

# loop_mount_with LOSETUP_OPTION IMAGE DIR: the two above.
loop_mount_with() {
	local dev
	dev=$(losetup --find --show ${1:+"$1"} "$2") || return 1
	LOOP_DEVS+=("$dev")
	mkdir -p "$3"
	mount -t btrfs -o ro "$dev" "$3" || return 1
	LOOP_MOUNTS+=("$3")
	LOOPDEV=$dev
}

# count_entries DIR: entries under DIR, DIR included (names may hold newlines: counted by NUL).
count_entries() {
	find "$1" -print0 | tr -dc '\0' | wc -c
}

# corrupt_default_leaf KIND [ARGS...]: $T/bad.img, the default case with the
# first leaf of tree 5 damaged by `corrupt.py KIND`; sets the caller's img
# (the intact image) and leaf (the damaged block's address).
corrupt_default_leaf() {
	img=$(corpus_img default) || return 1
	leaf=$($CORRUPT leaf "$img" 5)
	$CORRUPT "$1" "$img" "$T/bad.img" "$leaf" "${@:2}" >/dev/null
}

# same_entry_count MOUNT SOURCE RESTORED: mount SOURCE, then RESTORED (at
# $BATS_TEST_TMPDIR/mnt, left mounted) with MOUNT (loop_mount_ro or
# loop_mount_ro_replay) and compare their entry counts; sets NEW_COUNT.
same_entry_count() {
	local src_count
	"$1" "$2" "$BATS_TEST_TMPDIR/src" || return 1
	src_count=$(count_entries "$BATS_TEST_TMPDIR/src")
	loop_cleanup
	"$1" "$3" "$BATS_TEST_TMPDIR/mnt" || return 1
	NEW_COUNT=$(count_entries "$BATS_TEST_TMPDIR/mnt")
	echo "source $src_count entries, sanitized $NEW_COUNT"
	[ "$src_count" -eq "$NEW_COUNT" ]
}

loop_cleanup() {
	local m d
	for m in "${LOOP_MOUNTS[@]}"; do umount "$m" 2>/dev/null || true; done
	for d in "${LOOP_DEVS[@]}"; do
		btrfs device scan --forget "$d" >/dev/null 2>&1 || true
		losetup -d "$d" 2>/dev/null || true
	done
	LOOP_MOUNTS=()
	LOOP_DEVS=()
}

# wait_stalled PID SENT: until the file SENT exists (the writer of PID's input made it once
# it had written all it sends before stalling) and every thread of PID sleeps, which they
# all do only once that input is taken and done with; fails if PID ends first or after
# 20 s.  A fixed sleep would be too short on a busy machine and time lost on the others.
wait_stalled() {
	local i
	for ((i = 0; i < 400; i++)); do
		kill -0 "$1" 2>/dev/null || { echo "process $1 ended before its input stalled"; return 1; }
		[[ -e $2 ]] && all_threads_sleep "$1" && return 0
		sleep 0.05
	done
	echo "process $1 never waited for more input"
	return 1
}

all_threads_sleep() { # PID: the state of each thread (/proc/PID/task/*/stat) is S
	local stat line
	for stat in /proc/"$1"/task/*/stat; do
		read -r line <"$stat" 2>/dev/null || return 1
		line=${line##*) }
		[[ ${line%% *} == S ]] || return 1
	done
}

# True when bin/ holds an AddressSanitizer build (make sanitize): its shadow
# memory and quarantine make peak-RSS bounds meaningless, so memory
# assertions are reported but not enforced there.
sanitizer_build() {
	nm "$BIN/bimg-pack" 2>/dev/null | grep -q __asan_init
}

# skip_on_sanitizer_build WHY: skip the test on that build when it runs none of our
# programs on real or hostile input (the man pages, the style, the test filesystems, the
# fuzz harnesses, which carry their own sanitizers): the suite's run on the plain build
# has checked it, and running it again finds nothing more.
skip_on_sanitizer_build() {
	! sanitizer_build || skip "AddressSanitizer build: $1"
}

# verify_within KB ENV...: bimg-unpack --verify $T/n.img with ENV (VAR=value words) under an
# address-space limit of KB KiB, judged: sound (exit 0, nothing on stderr) or failed cleanly
# (exit 1, the "could not finish" verdict, one error line); anything else fails the test.
# Adds " sound" or " failed" to $outcomes.
verify_within() {
	local status=0
	(ulimit -v "$1" && exec env "${@:2}" bimg-unpack --verify "$T/n.img") >"$T/out" 2>"$T/err" || status=$?
	case $status in
	0)
		grep -q '^verdict:        sound: ' "$T/out"
		[ ! -s "$T/err" ]
		outcomes+=" sound"
		;;
	1)
		grep -q '^verdict:        NOT SOUND: the check could not finish' "$T/out" ||
			{ echo "ulimit -v $1: $(cat "$T/err")"; cat "$T/out"; false; }
		[ "$(wc -l <"$T/err")" -eq 1 ]
		grep -q '^bimg-unpack: ' "$T/err"
		outcomes+=" failed"
		;;
	*)
		echo "ulimit -v $1: exit $status"
		cat "$T/err"
		false
		;;
	esac
}
