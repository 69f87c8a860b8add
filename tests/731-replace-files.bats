#!/usr/bin/env bats
# Files we replace keep who may read them (docs/robustness.md): an image
# that replaces an older file keeps its mode and owner, a new one gets the
# umask's mode, the bytes reach the disk before the new name does, and no
# temporary file survives any exit (signals included).  Also: a signal
# that arrives once the work is done does not turn it into a failure.

load lib/common

setup() {
	T=$BATS_TEST_TMPDIR
	cd "$T" || return 1
	WRAPPER=$ROOT/btrfs-image.sh
	bimg-scan "$(corpus_img node4k)" | bimg-pack -c1 -o x.img
	bimg-unpack x.img >s
	bimg-pack -o expected.img <s
}

teardown() {
	[[ -n ${PRODUCER:-} ]] && kill "$PRODUCER" 2>/dev/null
	[[ -n ${SHARED:-} ]] && rm -rf "$SHARED"
	loop_cleanup
}

need_root() {
	[[ $(id -u) -eq 0 ]] || skip "changing owners needs root"
}

mode_owner() { stat -c '%a %u %g' "$1"; }

@test "bimg-pack replacing a file keeps its mode and owner (also through a symlink and the wrapper)" {
	need_root
	for mode in 600 640 604 660 400; do
		echo old >secret.img
		chmod "$mode" secret.img
		chown 4242:4343 secret.img
		bimg-pack -o secret.img <s
		[[ $(mode_owner secret.img) == "$mode 4242 4343" ]] || { mode_owner secret.img; return 1; }
		cmp secret.img expected.img
	done
	ln -s secret.img link
	chmod 640 secret.img
	bimg-pack -o link <s
	[[ -L link && $(mode_owner secret.img) == "640 4242 4343" ]]
	chmod 600 secret.img
	"$WRAPPER" -c1 "$(corpus_img node4k)" secret.img
	[[ $(mode_owner secret.img) == "600 4242 4343" ]]
	[[ -z $(find . -name '.secret.img.*' -print -quit) ]]
}

# A directory anyone may write to, outside the private test directory, with the stream in it.
shared_dir() {
	SHARED=$(mktemp -d /tmp/bimg-731.XXXXXX)
	chmod 777 "$SHARED"
	cp s "$SHARED/s"
	chmod 644 "$SHARED/s"
}

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

# FILE gets the ACL "user 65534 may read" (mode 640) and a user attribute (python: no acl tools needed).
set_acl_and_note() {
	python3 - "$1" <<'PY'
import os, struct, sys
entries = [(1, 6, 0xffffffff), (2, 4, 65534), (4, 4, 0xffffffff), (0x10, 4, 0xffffffff), (0x20, 0, 0xffffffff)]
acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries)
os.chmod(sys.argv[1], 0o640)
os.setxattr(sys.argv[1], "system.posix_acl_access", acl)
os.setxattr(sys.argv[1], "user.note", b"keep me")
PY
}

xattrs_of() { # FILE: name=hex value, one a line, sorted
	python3 -c 'import os, sys; [print(n + "=" + os.getxattr(sys.argv[1], n).hex()) for n in sorted(os.listxattr(sys.argv[1]))]' "$1"
}

@test "bimg-pack replacing a file keeps its ACL and extended attributes (also the wrapper's dump)" {
	need_root
	echo old >out.img
	set_acl_and_note out.img 2>/dev/null || skip "this filesystem takes no ACL or user attribute"
	xattrs_of out.img >before
	grep -q '^system.posix_acl_access=' before
	bimg-pack -o out.img <s
	cmp out.img expected.img
	xattrs_of out.img >after
	diff before after
	[[ $(mode_owner out.img) == "640 0 0" ]]
	"$WRAPPER" "$(corpus_img node4k)" out.img
	xattrs_of out.img >after
	diff before after
}

@test "not root: an owner that cannot be kept is said, and the old group's access is not given to ours" {
	need_root
	command -v setpriv >/dev/null || skip "setpriv is missing"
	shared_dir
	echo old >"$SHARED/img"
	chmod 640 "$SHARED/img"
	run as_nobody "$BIN/bimg-pack" -o "$SHARED/img" <"$SHARED/s"
	assert_success
	assert_output "bimg-pack: warning: $SHARED/img: cannot keep the owner and group (uid 0, gid 0): Operation not permitted; the image belongs to uid 65534, gid 65534, mode 600"
	[[ $(mode_owner "$SHARED/img") == "600 65534 65534" ]]
	cmp "$SHARED/img" expected.img
	# Our own group is kept, with its permissions; only the owner changes.
	echo old >"$SHARED/img"
	chown 0:65534 "$SHARED/img"
	chmod 640 "$SHARED/img"
	run as_nobody "$BIN/bimg-pack" -o "$SHARED/img" <"$SHARED/s"
	assert_success
	assert_output "bimg-pack: warning: $SHARED/img: cannot keep the owner and group (uid 0, gid 65534): Operation not permitted; the image belongs to uid 65534, gid 65534, mode 640"
	[[ $(mode_owner "$SHARED/img") == "640 65534 65534" ]]
	# An ACL is not kept either then (it would give our group the old one's access); a user attribute is.
	echo old >"$SHARED/img"
	chown 0:0 "$SHARED/img"
	set_acl_and_note "$SHARED/img" 2>/dev/null || return 0
	run as_nobody "$BIN/bimg-pack" -o "$SHARED/img" <"$SHARED/s"
	assert_success
	[[ $(mode_owner "$SHARED/img") == "600 65534 65534" ]]
	[[ $(xattrs_of "$SHARED/img") == "user.note=$(printf 'keep me' | od -An -tx1 | tr -d ' \n')" ]]
}

@test "new images and new restore targets get the umask's mode" {
	for mask in 077 027 002 000; do
		rm -f new.img new.t
		(umask "$mask" && bimg-pack -o new.img <s && bimg-fixchunks new.t <s)
		want=$(printf '%o' $((0666 & ~8#$mask)))
		[[ $(stat -c %a new.img) == "$want" && $(stat -c %a new.t) == "$want" ]] ||
			{ echo "umask $mask: $(stat -c %a new.img) $(stat -c %a new.t), want $want"; return 1; }
	done
	rm -f w.img w.t
	(umask 077 && "$WRAPPER" -c1 "$(corpus_img node4k)" w.img && "$WRAPPER" -r w.img w.t)
	[[ $(stat -c %a w.img) == 600 && $(stat -c %a w.t) == 600 ]]
}

@test "bimg-fixchunks overwriting a target keeps its mode and owner" {
	need_root
	bimg-fixchunks t <s
	chmod 600 t
	chown 4242:4343 t
	bimg-fixchunks t <s
	[[ $(mode_owner t) == "600 4242 4343" ]]
	btrfs check t
}

@test "the image is fsynced before its rename, and its directory after (also under a temporary name)" {
	command -v strace >/dev/null || skip "strace is missing"
	for named in "" 1; do
		rm -f out.img trace
		# LeakSanitizer (make sanitize) cannot run under ptrace: only it is turned off.
		BIMG_PACK_NAMED_TEMP=$named ASAN_OPTIONS=detect_leaks=0 strace -f -o trace \
			-e trace=openat,fsync,fdatasync,rename,renameat,renameat2,linkat bimg-pack -o out.img <s ||
			skip "strace cannot trace here"
		cmp out.img expected.img
		synced_around_rename trace || return 1
	done
}

# The rename onto out.img in an strace log: the image's fd was synced before it, the directory after it.
synced_around_rename() {
	awk '
		/openat\(/ && /= [0-9]+$/ { fd = $NF; isdir[fd] = /O_DIRECTORY/; synced[fd] = 0 }
		/f(data)?sync\(/ { match($0, /sync\([0-9]+/); fd = substr($0, RSTART + 5, RLENGTH - 5); synced[fd] = 1
		                   if (renamed && isdir[fd]) dirsync = 1 }
		/rename(at2?)?\(.*out\.img"/ { renamed = 1; for (fd in synced) if (synced[fd] && !isdir[fd]) filesync = 1 }
		END { if (!filesync) print "no fsync of the image before the rename"
		      if (!dirsync) print "no fsync of the directory after the rename"
		      exit !(filesync && dirsync) }' "$1" || { cat "$1"; return 1; }
}

# Start bimg-pack -o DIR/x.img on a stream that stalls after HEAD bytes (file sent made then;
# with "rest", the rest follows once stop_pack has sent its signal); sets PACK, PRODUCER.
# Signals reset: bats' background jobs ignore SIGINT.
start_stalled_pack() { # DIR HEAD [rest]
	rm -f fifo sent go
	mkfifo fifo
	env --default-signal=INT,TERM,HUP,QUIT BIMG_PACK_NAMED_TEMP="${NAMED:-}" "$BIN/bimg-pack" -c1 -o "$1/x.img" <fifo 2>err &
	PACK=$!
	if [[ -n ${3:-} ]]; then
		(head -c "$2" big.s; touch sent; until [[ -e go ]]; do sleep 0.05; done; tail -c +$(($2 + 1)) big.s) >fifo &
	else
		(head -c "$2" big.s; touch sent; exec sleep 30) >fifo &
	fi
	PRODUCER=$!
}

stop_pack() { # SIGNAL -> STATUS
	wait_stalled "$PACK" sent # still running, all it was sent written: the stream stalls
	kill -"$1" "$PACK"
	touch go
	STATUS=0
	wait "$PACK" || STATUS=$?
	kill "$PRODUCER" 2>/dev/null || true
	wait "$PRODUCER" 2>/dev/null || true
	PRODUCER=
}

big_stream() {
	bimg-scan "$(corpus_img subvol-snap)" | bimg-pack -o big.img
	bimg-unpack big.img >big.s
}

@test "SIGINT, SIGTERM, SIGHUP while bimg-pack writes: 'interrupted', exit 1, no temporary file, the old image kept" {
	env --version 2>/dev/null | grep -q coreutils || skip "env --default-signal (coreutils) is missing"
	big_stream
	# Nameless (O_TMPFILE), then named as where the filesystem has no O_TMPFILE: the handler removes it.
	for NAMED in "" 1; do
		for sig in INT TERM HUP; do
			rm -rf out
			mkdir out
			cp x.img out/x.img
			start_stalled_pack out $(($(stat -c %s big.s) / 2))
			if [[ -n $NAMED ]]; then
				wait_stalled "$PACK" sent
				compgen -G 'out/.x.img.*' >/dev/null || { echo "no named temporary file"; return 1; }
			fi
			stop_pack "$sig"
			[[ $STATUS -eq 1 && $(cat err) == "bimg-pack: interrupted" ]] ||
				{ echo "NAMED=$NAMED SIG$sig: status $STATUS: $(cat err)"; return 1; }
			[[ $(ls -A out) == x.img ]] || { echo "NAMED=$NAMED SIG$sig:" out/.*; return 1; }
			cmp out/x.img x.img
		done
	done
}

@test "a failed bimg-pack leaves no temporary file under its name either" {
	mkdir out
	cp x.img out/x.img
	run bash -c "head -c 20000 s | BIMG_PACK_NAMED_TEMP=1 '$BIN/bimg-pack' -o out/x.img"
	assert_failure 1
	assert_output --partial truncated
	[[ $(ls -A out) == x.img ]]
	cmp out/x.img x.img
}

@test "SIGKILL and SIGQUIT leave no temporary file either: the image has no name until it is complete" {
	env --version 2>/dev/null | grep -q coreutils || skip "env --default-signal (coreutils) is missing"
	python3 -c 'import os; os.close(os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600))' 2>/dev/null ||
		skip "this filesystem has no O_TMPFILE: a temporary name is used (docs/robustness.md)"
	big_stream
	for sig in KILL QUIT; do
		rm -rf out
		mkdir out
		cp x.img out/x.img
		start_stalled_pack out $(($(stat -c %s big.s) / 2))
		stop_pack "$sig"
		[[ $STATUS -gt 128 ]] || { echo "SIG$sig: status $STATUS"; return 1; }
		[[ $(ls -A out) == x.img ]] || { echo "SIG$sig:" out/.*; return 1; }
		cmp out/x.img x.img
	done
}

@test "SIGPIPE is ignored by bimg-pack: the image is completed" {
	big_stream
	bimg-pack -c1 -o big-expected.img <big.s
	mkdir out
	start_stalled_pack out $(($(stat -c %s big.s) / 2)) rest
	stop_pack PIPE
	[[ $STATUS -eq 0 ]] || { echo "status $STATUS: $(cat err)"; return 1; }
	cmp out/x.img big-expected.img
	[[ $(ls -A out) == x.img ]]
}

# gdb_run PROGRAM ARGS...: run under gdb with the given -ex commands in GDB_EX, stdin from GDB_IN;
# sets output (gdb's) and EXIT (the program's exit line).
gdb_run() {
	command -v gdb >/dev/null || skip "gdb is missing"
	local args=(-q -batch -nx -ex 'set breakpoint pending on' -ex 'set pagination off'
		-ex 'handle SIGINT nostop noprint pass' "${GDB_EX[@]}")
	# LeakSanitizer (make sanitize) cannot run under ptrace: only it is turned off.
	run env ASAN_OPTIONS=detect_leaks=0 gdb "${args[@]}" --args "$@" <"$GDB_IN"
	[[ $output != *"ptrace: Operation not permitted"* ]] || skip "ptrace is not permitted here"
	EXIT=$(grep -E '^\[Inferior 1 \(process [0-9]+\) (exited|terminated)|^Program terminated' <<<"$output" | tail -1)
}

@test "a signal at bimg-pack's rename: the image is completed and put in place, exit 0" {
	GDB_IN=s
	GDB_EX=(-ex 'break rename' -ex 'break renameat' -ex 'break renameat2' -ex run -ex 'queue-signal SIGINT'
		-ex delete -ex continue)
	for named in "" 1; do
		rm -rf out
		mkdir out
		cp x.img out/x.img
		BIMG_PACK_NAMED_TEMP=$named gdb_run "$BIN/bimg-pack" -o out/x.img
		[[ $output =~ Breakpoint\ [0-9],\ [_A-Za-z]*rename(at2?)?\ \( ]] || { echo "$output"; return 1; }
		[[ $EXIT == *"exited normally"* ]] || { echo "$output"; return 1; }
		cmp out/x.img expected.img
		[[ $(ls -A out) == x.img ]]
	done
}

@test "a signal once bimg-fixchunks released its targets does not report failure (the restore is complete)" {
	# Stop where the restore marks itself done, deliver SIGINT right there, go on.
	GDB_IN=s
	GDB_EX=(-ex 'break guard_release' -ex run -ex 'set can-use-hw-watchpoints 0' -ex 'watch released'
		-ex continue -ex 'queue-signal SIGINT' -ex 'delete' -ex continue)
	gdb_run "$BIN/bimg-fixchunks" t
	[[ $output == *"Breakpoint 1, guard_release"* && $output == *"Watchpoint 2: released"* ]] || { echo "$output"; return 1; }
	[[ $EXIT == *"exited normally"* ]] || { echo "$output"; return 1; }
	btrfs check t
}

# A copy of the wrapper whose stage STAGE (bimg-scan or bimg-unpack) is a
# script: it sends the first HEAD bytes of STREAM, makes the file sent, and
# sends the rest once the file go exists (quietly, when no one reads it any
# more); the other stages are ours.  Starts it with ARGS in the background, signals reset (bats'
# background jobs ignore SIGINT); sets WRAPPED.
start_stalled_wrapper() { # STAGE STREAM HEAD ARGS...
	local stage=$1 stream=$2 head=$3 p
	shift 3
	rm -rf kit sent go
	mkdir kit
	cp "$WRAPPER" kit/
	for p in bimg-scan bimg-pack bimg-unpack bimg-fixchunks; do ln -s "$BIN/$p" "kit/$p"; done
	rm "kit/$stage"
	printf '#!/bin/bash\nhead -c %s %q\ntouch sent\nuntil [[ -e go ]]; do sleep 0.05; done\ntail -c +%s %q 2>/dev/null\n' \
		"$head" "$T/$stream" $((head + 1)) "$T/$stream" >"kit/$stage"
	chmod +x "kit/$stage"
	env --default-signal=INT,TERM,HUP,QUIT kit/btrfs-image.sh "$@" 2>err &
	WRAPPED=$!
}

# The pid of the wrapper's child NAME, once it runs.
child_of_wrapper() { # NAME
	local i
	for ((i = 0; i < 200; i++)); do
		pgrep -P "$WRAPPED" -x "$1" && return 0
		sleep 0.05
	done
	echo "no $1 under the wrapper" >&2
	return 1
}

# The stages of the wrapper's job end soon after the wrapper was signalled (then go).
stages_end() { # PID...
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$@" 2>/dev/null || { touch go; return 0; }
		sleep 0.05
	done
	touch go
	echo "a stage of $* still runs after the wrapper was signalled"
	return 1
}

# interrupt_wrapper SIG LAST FIRST MESSAGE: once the stalled wrapper's stage LAST has sent what
# it got, SIG to the wrapper alone; LAST and FIRST end, and the wrapper exits 1 with MESSAGE.
interrupt_wrapper() {
	local last first status=0
	last=$(child_of_wrapper "$2")
	first=$(child_of_wrapper "$3")
	wait_stalled "$last" sent
	kill -"$1" "$WRAPPED"
	stages_end "$last" "$first"
	wait "$WRAPPED" || status=$?
	[[ $status -eq 1 && $(cat err) == "$4" ]] || { echo "SIG$1: $status $(cat err)"; return 1; }
}

@test "SIGTERM, SIGHUP, SIGINT sent to btrfs-image.sh alone stop its stages: no image published later, no restore goes on; SIGPIPE is ignored" {
	env --version 2>/dev/null | grep -q coreutils || skip "env --default-signal (coreutils) is missing"
	command -v pgrep >/dev/null || skip "pgrep is missing"
	big_stream
	for sig in TERM HUP INT; do
		# dump: the old image stays, bimg-pack does not publish the new one after the wrapper is gone
		cp x.img out.img
		start_stalled_wrapper bimg-scan big.s $(($(stat -c %s big.s) / 2)) "$(corpus_img node4k)" out.img
		interrupt_wrapper "$sig" bimg-pack bimg-scan "bimg-pack: interrupted" || { echo "dump"; return 1; }
		cmp out.img x.img
		[[ -z $(compgen -G '.out.img.*') ]]
		# restore: the target (an earlier restore) is left with no valid superblock, at once
		"$WRAPPER" -r x.img t
		start_stalled_wrapper bimg-unpack big.s $(($(stat -c %s big.s) / 2)) -r x.img t
		interrupt_wrapper "$sig" bimg-fixchunks bimg-unpack "bimg-fixchunks: interrupted" || { echo "restore"; return 1; }
		! btrfs inspect-internal dump-super t | grep -q '_BHRfS_M \[match\]' || return 1
	done
	# SIGPIPE is ignored, as by every stage: the dump completes, exit 0
	cp x.img out.img
	start_stalled_wrapper bimg-scan big.s $(($(stat -c %s big.s) / 2)) "$(corpus_img node4k)" out.img
	LAST=$(child_of_wrapper bimg-pack)
	wait_stalled "$LAST" sent
	kill -PIPE "$WRAPPED"
	touch go
	wait "$WRAPPED"
	[[ ! -s err ]]
	cmp out.img big.img
}
