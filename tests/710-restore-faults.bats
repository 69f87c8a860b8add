#!/usr/bin/env bats
# Restore-side faults (docs/robustness.md): a full target, SIGINT/SIGTERM
# during a restore, and targets that must not be written: the image's own
# source, a file behind a mounted loop device, the stream's own file.
# Every failure: one line, exit 1, no valid primary superblock left behind
# on a target that was written to.

load lib/common
load lib/fixchunks

setup() {
	fx_setup
	T=$BATS_TEST_TMPDIR
	IMG=$(fx_ref_image default 1)
	bimg-unpack "$IMG" >"$T/s"
}

teardown() {
	[[ -n ${PRODUCER:-} ]] && kill "$PRODUCER" 2>/dev/null
	[[ -n ${TMPFS:-} ]] && umount "$TMPFS" 2>/dev/null
	loop_cleanup
}

valid_superblock() {
	btrfs inspect-internal dump-super "$1" | grep -q '_BHRfS_M \[match\]'
}

# Highest end of a device extent of IMAGE (bytes the restore writes up to).
highest_dev_extent_end() {
	btrfs inspect-internal dump-tree -t dev "$1" |
		awk '/ DEV_EXTENT / { start = $6; sub(/\)/, "", start) }
		     /chunk_offset .* length / && start != "" { e = start + $NF; if (e > max) max = e; start = "" }
		     END { print max + 0 }'
}

@test "ENOSPC on a regular file (tmpfs of 256 KiB): the write is named, exit 1, no superblock" {
	[[ $(id -u) -eq 0 ]] || skip "mounting a tmpfs needs root"
	TMPFS=$T/tmpfs
	mkdir -p "$TMPFS"
	mount -t tmpfs -o size=256k tmpfs "$TMPFS"
	# The restore writes more than that: check it, or the test proves nothing.
	fx_restore "$T/s" "$T/full"
	[[ $(du -k "$T/full" | cut -f1) -gt 256 ]]
	run fx_restore "$T/s" "$TMPFS/t"
	assert_failure 1
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp "^bimg-fixchunks: $TMPFS/t: writing [0-9]+ bytes at [0-9]+: No space left on device$"
	no_valid_superblock "$TMPFS/t"
}

@test "ENOSPC on a block device too small for the chunks: exit 1, its old filesystem is gone" {
	need_loop_mount
	end=$(highest_dev_extent_end "$(corpus_img default)")
	[[ $end -gt $((64 << 20)) ]] || skip "the default case's chunks fit in 64 MiB"
	truncate -s 64M "$T/dev"
	dev=$(losetup --find --show "$T/dev")
	LOOP_DEVS+=("$dev")
	# Too small for mkfs.btrfs: another filesystem's primary superblock stands for one.
	dd if="$(corpus_img node4k)" of="$dev" bs=4096 skip=16 seek=16 count=1 conv=notrunc status=none
	valid_superblock "$dev"
	run fx_restore "$T/s" "$dev"
	assert_failure 1
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp "^bimg-fixchunks: $dev: writing [0-9]+ bytes at [0-9]+, past the end of the device \\(67108864 bytes\\): No space left on device$"
	no_valid_superblock "$dev"
}

# Start bimg-fixchunks TARGET on a stream that stalls after HEAD bytes ($T/sent made then);
# sets FX, PRODUCER, FIFO.  The signals are reset to their defaults: bats runs this in the
# background, where SIGINT is ignored.
start_stalled_restore() { # TARGET HEAD
	FIFO=$T/fifo
	rm -f "$FIFO" "$T/sent"
	mkfifo "$FIFO"
	env --default-signal=INT,TERM "$BIN/bimg-fixchunks" "$1" <"$FIFO" 2>"$T/err" &
	FX=$!
	(head -c "$2" "$T/s"; touch "$T/sent"; exec sleep 30) >"$FIFO" &
	PRODUCER=$!
}

# Once FX has written what it has and waits for the rest of the stream, signal it.
interrupt_and_wait() { # SIGNAL
	wait_stalled "$FX" "$T/sent"
	kill -"$1" "$FX"
	set +e
	wait "$FX"
	STATUS=$?
	set -e
	kill "$PRODUCER" 2>/dev/null || true
	PRODUCER=
}

@test "SIGINT and SIGTERM in the middle of a restore: 'interrupted', exit 1, no superblock" {
	env --version 2>/dev/null | grep -q coreutils || skip "env --default-signal (coreutils) is missing"
	half=$(($(stat -c %s "$T/s") / 2))
	for sig in INT TERM; do
		fx_restore "$T/s" "$T/t" # a good restore first: it must not survive
		valid_superblock "$T/t"
		start_stalled_restore "$T/t" "$half"
		interrupt_and_wait "$sig"
		[[ $STATUS -eq 1 ]] || { echo "SIG$sig: status $STATUS"; return 1; }
		[[ $(cat "$T/err") == "bimg-fixchunks: interrupted" ]] || { cat "$T/err"; return 1; }
		# It had started writing: blocks are there, the superblock is not.
		[[ $(du -k "$T/t" | cut -f1) -gt 0 ]]
		no_valid_superblock "$T/t"
	done
}

@test "SIGTERM onto a block device: the old primary superblock is gone" {
	need_loop_mount
	env --version 2>/dev/null | grep -q coreutils || skip "env --default-signal (coreutils) is missing"
	truncate -s 300M "$T/dev"
	dev=$(losetup --find --show "$T/dev")
	LOOP_DEVS+=("$dev")
	fx_restore "$T/s" "$dev"
	valid_superblock "$dev"
	start_stalled_restore "$dev" $(($(stat -c %s "$T/s") / 2))
	interrupt_and_wait TERM
	[[ $STATUS -eq 1 && $(cat "$T/err") == "bimg-fixchunks: interrupted" ]] || { cat "$T/err"; return 1; }
	no_valid_superblock "$dev"
}

@test "a second restore onto a file another restore is writing is refused; the first completes" {
	half=$(($(stat -c %s "$T/s") / 2))
	mkfifo "$T/fifo"
	"$BIN/bimg-fixchunks" "$T/t" <"$T/fifo" 2>"$T/err" &
	FX=$!
	(head -c "$half" "$T/s"; touch "$T/sent"; until [[ -e $T/go ]]; do sleep 0.05; done; tail -c +$((half + 1)) "$T/s") >"$T/fifo" &
	PRODUCER=$!
	wait_stalled "$FX" "$T/sent"
	run fx_restore "$T/s" "$T/t"
	assert_failure 1
	assert_output "bimg-fixchunks: $T/t: refusing to restore: another restore is writing it"
	touch "$T/go"
	wait "$FX"
	PRODUCER=
	valid_superblock "$T/t"
	btrfs check "$T/t"
}

@test "SIGINT before the stream's superblock arrives, on a real filesystem: left as it was" {
	env --version 2>/dev/null | grep -q coreutils || skip "env --default-signal (coreutils) is missing"
	cp --sparse=always "$(corpus_img default)" "$T/fs"
	start_stalled_restore "$T/fs" 1000
	interrupt_and_wait INT
	[[ $STATUS -eq 1 && $(cat "$T/err") == "bimg-fixchunks: interrupted" ]] || { cat "$T/err"; return 1; }
	cmp "$T/fs" "$(corpus_img default)"
}

@test "SIGINT ignored when started (nohup, background jobs) stays ignored: the restore finishes" {
	FIFO=$T/fifo
	mkfifo "$FIFO"
	(trap '' INT && exec "$BIN/bimg-fixchunks" "$T/t" <"$FIFO") &
	FX=$!
	# the rest of the stream once the signal was sent ($T/go)
	(head -c 1000 "$T/s"; touch "$T/sent"; until [[ -e $T/go ]]; do sleep 0.05; done; tail -c +1001 "$T/s") >"$FIFO" &
	PRODUCER=$!
	wait_stalled "$FX" "$T/sent"
	kill -INT "$FX"
	touch "$T/go"
	wait "$FX"
	PRODUCER=
	valid_superblock "$T/t"
}

@test "the filesystem the image was made from is refused and untouched; --force overwrites it" {
	cp --sparse=always "$(corpus_img default)" "$T/fs"
	run fx_restore "$T/s" "$T/fs"
	assert_failure 1
	assert_output "bimg-fixchunks: $T/fs: refusing to restore: target holds the filesystem this image was made from; use --force to overwrite it"
	cmp "$T/fs" "$(corpus_img default)"
	fx_restore "$T/s" "$T/fs" --force
	btrfs check "$T/fs"
	btrfs inspect-internal dump-super "$T/fs" | grep -q METADUMP_V2
	# A previous restore of the same image (METADUMP_V2) is not a source: no --force needed.
	fx_restore "$T/s" "$T/fs"
}

@test "the source after more writes is still refused; an older copy of it is overwritten" {
	need_loop_mount
	cp --sparse=always "$(corpus_img default)" "$T/old"
	cp --sparse=always "$(corpus_img default)" "$T/live"
	dev=$(losetup --find --show "$T/live")
	LOOP_DEVS+=("$dev")
	mkdir -p "$T/mnt"
	mount "$dev" "$T/mnt"
	LOOP_MOUNTS+=("$T/mnt")
	echo more >"$T/mnt/added-after-the-copy"
	umount "$T/mnt"
	loop_cleanup
	gen_old=$(btrfs inspect-internal dump-super "$T/old" | awk '$1 == "generation" { print $2 }')
	gen_live=$(btrfs inspect-internal dump-super "$T/live" | awk '$1 == "generation" { print $2 }')
	[[ $gen_live -gt $gen_old ]]
	# The image of the old state onto the live filesystem: newer, same fsid and device.
	run fx_restore "$T/s" "$T/live"
	assert_failure 1
	assert_output --partial 'refusing to restore: target holds the filesystem'
	# The image of the live state onto the old copy: an older generation, overwritten.
	btrfs-image "$T/live" "$T/live.img"
	bimg-unpack "$T/live.img" | bimg-fixchunks "$T/old"
	btrfs check "$T/old"
}

@test "a file behind a mounted loop device is refused and left alone" {
	need_loop_mount
	cp --sparse=always "$(corpus_img node4k)" "$T/busy"
	cp "$T/busy" "$T/busy.copy"
	loop_mount_ro "$T/busy" "$T/mnt"
	run fx_restore "$T/s" "$T/busy"
	assert_failure 1
	assert_output "bimg-fixchunks: $T/busy: refusing to restore: the file backs $LOOPDEV, which is mounted or in use"
	loop_cleanup
	cmp "$T/busy" "$T/busy.copy"
}

@test "the stream's own file as the target is refused and left alone" {
	cp "$T/s" "$T/s.copy"
	run fx_restore "$T/s" "$T/s"
	assert_failure 1
	assert_output "bimg-fixchunks: $T/s: refusing to restore: the target is the stream being read"
	cmp "$T/s" "$T/s.copy"
}

# Nothing tells a file of data from a mistyped target name: until the stream
# has shown a superblock, a target that holds no filesystem (nor an earlier
# restore, which a failed restore must not leave looking valid) is not touched.
@test "a restore whose stream never starts leaves a target holding no filesystem as it was (file, block device, wrapper)" {
	need_loop_mount
	head -c 2M /dev/urandom >"$T/data"
	cp "$T/data" "$T/data.copy"
	truncate -s 300M "$T/dev"
	mkfs.ext4 -q -F "$T/dev"
	cp --sparse=always "$T/dev" "$T/dev.copy"
	dev=$(losetup --find --show "$T/dev")
	LOOP_DEVS+=("$dev")
	yes garbage | head -c 1000 >"$T/garbage"
	for target in "$T/data" "$dev"; do
		run "$ROOT/btrfs-image.sh" -r "$T/missing.img" "$target"
		assert_failure 1
		assert_output "bimg-unpack: cannot open '$T/missing.img': No such file or directory"
		run "$ROOT/btrfs-image.sh" -r "$T/garbage" "$target"
		assert_failure 1
		run fx_restore "$T/garbage" "$target"
		assert_failure 1
		assert_output --partial 'bad magic'
		# cut inside the superblock record: FS_INFO arrived, the superblock did not
		head -c 1000 "$T/s" >"$T/cut"
		run fx_restore "$T/cut" "$target"
		assert_failure 1
	done
	# -m: a target refused as the image's source spares the targets before it too
	cp --sparse=always "$(corpus_img default)" "$T/fs"
	run "$BIN/bimg-fixchunks" -m "$T/data" "$T/fs" <"$T/s"
	assert_failure 1
	assert_output --partial "$T/fs: refusing to restore: target holds the filesystem"
	cmp "$T/data" "$T/data.copy"
	losetup -d "$dev"
	LOOP_DEVS=()
	cmp "$T/dev" "$T/dev.copy"
	# An earlier restore is still claimed at once: a stream that fails early does not leave it valid.
	fx_restore "$T/s" "$T/t"
	run "$ROOT/btrfs-image.sh" -r "$T/missing.img" "$T/t"
	assert_failure 1
	no_valid_superblock "$T/t"
}
