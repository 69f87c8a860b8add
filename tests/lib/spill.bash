# shellcheck shell=bash disable=SC2034,SC2153
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
#   spill_wait       waits until process $PID has a file of $SPILL open (fails
#                    after 30 s)
#   spill_kill SIG   once $PID spills: no file of it is visible in $SPILL; then
#                    SIG kills it (a non-zero exit, its stderr in $T/err shown),
#                    fd $WRITER (its input) is closed, and nothing is left

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

spill_wait() {
	local i
	for ((i = 0; i < 300; i++)); do
		if find "/proc/$PID/fd" -lname "$SPILL/*" 2>/dev/null | grep -q .; then
			find "/proc/$PID/fd" -lname "$SPILL/*" -printf '%p -> %l\n'
			return 0
		fi
		sleep 0.1
	done
	echo "no temporary file was opened in $SPILL"
	return 1
}

spill_kill() {
	local status=0
	spill_wait
	[ -z "$(ls -A "$SPILL")" ]
	kill -"$1" "$PID"
	wait "$PID" || status=$?
	echo "SIG$1: status $status: $(cat "$T/err")"
	[ "$status" -ne 0 ]
	exec {WRITER}>&-
	WRITER=
	[ -z "$(ls -A "$SPILL")" ]
}
