# shellcheck shell=bash disable=SC2034
# For tests of a program that spills to unlinked files in $TMPDIR
# (bimg-sanitize's name map, the verifier's facts): a TMPDIR of its own that
# must stay empty, and the clean-up of what such a test starts.
#
#   spill_setup      T (the test's directory), SPILL (the TMPDIR to give the
#                    program, made empty), PIDS (programs to kill at the end),
#                    TMPFS (a tmpfs to unmount), WRITER (a fd to close)
#   spill_teardown   kills PIDS, closes WRITER, unmounts TMPFS
#   spill_tmpfs OPTS a small tmpfs at $T/tmpfs mounted with OPTS (size=4k,...),
#                    unmounted by spill_teardown; sets TMPFS

spill_setup() {
	T=$BATS_TEST_TMPDIR
	SPILL=$T/spill
	mkdir -p "$SPILL"
	PIDS=()
	TMPFS=
	WRITER=
}

spill_teardown() {
	local pid
	for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	if [[ -n $WRITER ]]; then exec {WRITER}>&-; fi
	if [[ -n $TMPFS ]] && mountpoint -q "$TMPFS"; then umount "$TMPFS"; fi
}

spill_tmpfs() {
	TMPFS=$T/tmpfs
	mkdir -p "$TMPFS"
	mount -t tmpfs -o "$1" tmpfs "$TMPFS"
}
