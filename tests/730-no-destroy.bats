#!/usr/bin/env bats
# Nothing we read is destroyed (docs/robustness.md): no program and no
# wrapper mode writes to a file or device it also reads, by whatever name
# (./x, an absolute path, a symlink, a hard link, /dev/fd/N, a loop device
# over the file), nor to one target twice.  Each refusal is one line, exit
# status 1, and what was read is left byte for byte as it was.

load lib/common

setup() {
	T=$BATS_TEST_TMPDIR
	cd "$T" || return 1
	WRAPPER=$ROOT/btrfs-image.sh
}

teardown() {
	[[ -n ${PARTITIONED:-} ]] && partx -d "$PARTITIONED" 2>/dev/null
	loop_cleanup
}

# refused REGEX: the last `run` exited 1 with one line matching REGEX.
refused() {
	assert_failure 1
	[ "${#lines[@]}" -eq 1 ] || { echo "more than one line: $output"; return 1; }
	assert_output --regexp "$1"
}

# A small image (the node4k case) as x.img, a copy to compare with, its stream as s.
small_image() {
	bimg-scan "$(corpus_img node4k)" | bimg-pack -c1 -o x.img
	cp x.img x.copy
	bimg-unpack x.img >s
	cp s s.copy
}

# The node4k filesystem as a private copy src.img (sparse), and a copy to compare with.
source_copy() {
	cp --sparse=always "$(corpus_img node4k)" src.img
	cp --sparse=always src.img src.copy
}

# refused_in_pipeline REGEX: the last `run` of a pipeline exited 1, one line matches REGEX,
# and any other line is an upstream stage seeing its reader go away.
refused_in_pipeline() {
	local line matched=0
	assert_failure 1
	for line in "${lines[@]}"; do
		if [[ $line =~ $1 ]]; then
			matched=1
		elif [[ ! $line =~ downstream\ closed\ the\ pipe$ ]]; then
			matched=0
			break
		fi
	done
	[ "$matched" -eq 1 ] || { echo "no line matches '$1', or another line is not a closed pipe: $output"; return 1; }
}

attach_loop() { # FILE -> LOOPDEV
	need_loop_mount
	LOOPDEV=$(losetup --find --show "$1")
	LOOP_DEVS+=("$LOOPDEV")
}

# ---- btrfs-image.sh ----

@test "wrapper: restoring an image onto itself, by any name, is refused and leaves it whole" {
	small_image
	ln -s x.img link
	ln x.img hard
	for name in x.img ./x.img "$T/x.img" link hard; do
		run "$WRAPPER" -r x.img "$name"
		refused "^ERROR: refusing to restore to $name: it is the image x\.img$"
		cmp x.img x.copy
	done
	for name in /dev/stdout /dev/fd/1 /proc/self/fd/1; do
		run bash -c "'$WRAPPER' -r x.img $name 1<>x.img"
		refused "^ERROR: refusing to restore to $name: it is the image x\.img$"
		cmp x.img x.copy
	done
	# An image larger than the pipes between the stages (it used to be cut short).
	bimg-scan "$(corpus_img subvol-snap)" | bimg-pack -o big.img
	cp big.img big.copy
	run "$WRAPPER" -r big.img ./big.img
	refused "^ERROR: refusing to restore to \./big\.img: it is the image big\.img$"
	cmp big.img big.copy
}

@test "wrapper: restoring standard input onto the file it is is refused" {
	small_image
	# shellcheck disable=SC2094 # reading and writing one file is the point
	run "$WRAPPER" -r - x.img <x.img
	refused "^ERROR: refusing to restore to x\.img: it is the image \(standard input\)$"
	cmp x.img x.copy
}

@test "wrapper: -r -m with one target twice (two names of one file) is refused, nothing created" {
	local devs
	corpus_devs raid1
	bimg-scan "${devs[@]}" | bimg-pack -c1 -o both.img
	for pair in "t t" "t ./t" "t $T/t"; do
		# shellcheck disable=SC2086
		run "$WRAPPER" -r -m both.img $pair
		refused "^ERROR: refusing to restore to ${pair#* }: it is also target t$"
		[[ ! -e t ]]
	done
	# An existing target, by a symlink and by a hard link: refused, left as it was.
	head -c 100000 /dev/urandom >t
	cp t t.copy
	ln -s t link
	ln t hard
	for other in link hard; do
		run "$WRAPPER" -r -m both.img t "$other"
		refused "^ERROR: refusing to restore to $other: it is also target t$"
		cmp t t.copy
	done
}

@test "wrapper: dumping onto a source device, by any name, is refused and leaves it whole" {
	source_copy
	ln -s src.img link
	ln src.img hard
	for name in src.img ./src.img "$T/src.img" link hard; do
		run "$WRAPPER" src.img "$name"
		refused "^ERROR: refusing to dump to $name: it is the source device src\.img$"
		cmp src.img src.copy
	done
	# Standard output opened onto the source (the shell does not truncate with 1<>).
	run bash -c "'$WRAPPER' src.img - 1<>src.img"
	refused "^ERROR: refusing to dump to standard output: it is the source device src\.img$"
	cmp src.img src.copy
	# ... and named (the wrapper's own descriptor, not that of a command it runs to look)
	for name in /dev/stdout /dev/fd/1 /proc/self/fd/1; do
		run bash -c "'$WRAPPER' src.img $name 1<>src.img"
		refused "^ERROR: refusing to dump to $name: it is the source device src\.img$"
		cmp src.img src.copy
	done
}

@test "wrapper: dumping onto a member named with --device is refused" {
	local devs
	corpus_devs raid1
	cp --sparse=always "${devs[0]}" d1
	cp --sparse=always "${devs[1]}" d2
	cp --sparse=always d2 d2.copy
	run "$WRAPPER" d1 --device d2 ./d2
	refused "^ERROR: refusing to dump to \./d2: it is the source device d2$"
	cmp d2 d2.copy
}

@test "wrapper: a loop device over the image or the source is the same file" {
	small_image
	attach_loop x.img
	run "$WRAPPER" -r x.img "$LOOPDEV"
	refused "^ERROR: refusing to restore to $LOOPDEV: it is the image x\.img$"
	losetup -d "$LOOPDEV"
	LOOP_DEVS=()
	cmp x.img x.copy
	source_copy
	attach_loop src.img
	run "$WRAPPER" "$LOOPDEV" src.img
	refused "^ERROR: refusing to dump to src\.img: it is the source device $LOOPDEV$"
	cmp src.img src.copy
}

# ---- bimg-pack ----

@test "bimg-pack onto its own standard input, by any name, is refused" {
	small_image
	ln s hard
	ln -s s link
	for name in s ./s "$T/s" hard link /dev/fd/0 /dev/stdin; do
		run bimg-pack -o "$name" <s
		refused "^bimg-pack: refusing to write the image to $name: it is the stream being read \(standard input\)$"
		cmp s s.copy
	done
	run bash -c "'$BIN/bimg-pack' <s 1<>s"
	refused "^bimg-pack: refusing to write the image to standard output: it is the stream being read \(standard input\)$"
	cmp s s.copy
}

@test "bimg-pack onto a standard output file that holds an image or a stream (read through a pipe) is refused" {
	small_image
	# An image larger than the pipes: bimg-pack wrote over it while bimg-unpack read it, exit 0.
	bimg-scan "$(corpus_img subvol-snap)" | bimg-pack -o big.img
	cp big.img big.copy
	run bash -c "'$BIN/bimg-unpack' big.img | '$BIN/bimg-pack' -c9 1<>big.img"
	refused_in_pipeline "^bimg-pack: refusing to write the image to standard output in place: it holds a btrfs-image file, perhaps the one being read$"
	cmp big.img big.copy
	run bash -c "'$BIN/bimg-unpack' x.img | '$BIN/bimg-pack' -c9 >>x.img"
	refused_in_pipeline "^bimg-pack: refusing to write the image to standard output in place: it holds a btrfs-image file"
	cmp x.img x.copy
	run bash -c "cat s | '$BIN/bimg-pack' 1<>s"
	refused_in_pipeline "^bimg-pack: refusing to write the image to standard output in place: it holds a bimg record stream"
	cmp s s.copy
	# The shell's > empties the file first: an image is written there as always; -o replaces it once complete.
	bimg-unpack big.img | bimg-pack -c9 >out.img
	bimg-unpack big.img | bimg-pack -c9 -o big.img
	cmp big.img out.img
}

@test "bimg-pack onto the filesystem being dumped (through a pipe) is refused" {
	source_copy
	run bash -c "'$BIN/bimg-scan' src.img | '$BIN/bimg-pack' -o src.img"
	refused_in_pipeline "^bimg-pack: refusing to write the image to src\.img: it holds the filesystem being dumped \(fsid [0-9a-f-]{36}\)$"
	cmp src.img src.copy
	# In place onto a loop device over it.
	attach_loop src.img
	run bash -c "'$BIN/bimg-scan' src.img | '$BIN/bimg-pack' -o '$LOOPDEV'"
	refused_in_pipeline "^bimg-pack: refusing to write the image to $LOOPDEV: it holds the filesystem being dumped"
	losetup -d "$LOOPDEV"
	LOOP_DEVS=()
	cmp src.img src.copy
}

@test "bimg-pack onto a file whose loop device at an offset is being dumped is refused" {
	need_loop_mount
	# The filesystem 1 MiB into disk.img (as in a partitioned disk image), read through losetup -o.
	truncate -s 300M disk.img
	dd if="$(corpus_img node4k)" of=disk.img bs=1M seek=1 conv=notrunc,sparse status=none
	cp --sparse=always disk.img disk.copy
	LOOPDEV=$(losetup --find --show --offset 1048576 disk.img)
	LOOP_DEVS+=("$LOOPDEV")
	run bash -c "'$BIN/bimg-scan' '$LOOPDEV' | '$BIN/bimg-pack' -o disk.img"
	refused_in_pipeline "^bimg-pack: refusing to write the image to disk\.img: it holds the filesystem being dumped \(fsid [0-9a-f-]{36}\)$"
	run bash -c "'$BIN/bimg-scan' '$LOOPDEV' | '$BIN/bimg-pack' -o - 1<>disk.img"
	refused_in_pipeline "^bimg-pack: refusing to write the image to standard output: it holds the filesystem being dumped"
	cmp disk.img disk.copy
	# The wrapper refuses it by name (the file behind the loop device), before any stage runs.
	run "$ROOT/btrfs-image.sh" "$LOOPDEV" disk.img
	refused "^ERROR: refusing to dump to disk\.img: it is the source device $LOOPDEV$"
	cmp disk.img disk.copy
}

@test "bimg-pack onto a mounted block device is refused" {
	small_image
	need_loop_mount
	cp --sparse=always "$(corpus_img node4k)" fs.img
	loop_mount_ro_replay fs.img mnt # a writable device, mounted
	run bimg-pack -o "$LOOPDEV" <s
	refused "^bimg-pack: refusing to write the image to $LOOPDEV: the device is in use \(mounted or part of a filesystem\)$"
	ls mnt >/dev/null
	loop_cleanup
	cmp fs.img "$(corpus_img node4k)"
}

# ---- bimg-scan, bimg-unpack, bimg-sanitize: standard output onto an input ----

@test "bimg-scan writing its stream onto a source is refused" {
	source_copy
	run bash -c "'$BIN/bimg-scan' src.img 1<>src.img"
	refused "^bimg-scan: refusing to write the stream to standard output: it is the source device src\.img$"
	cmp src.img src.copy
	local devs
	corpus_devs raid1
	cp --sparse=always "${devs[0]}" d1
	cp --sparse=always "${devs[1]}" d2
	cp --sparse=always d2 d2.copy
	run bash -c "'$BIN/bimg-scan' d1 d2 1<>d2"
	refused "^bimg-scan: refusing to write the stream to standard output: it is the source device d2$"
	cmp d2 d2.copy
	# A loop device over the source, as standard output or as the source.
	attach_loop src.img
	run bash -c "'$BIN/bimg-scan' src.img >'$LOOPDEV'"
	refused "^bimg-scan: refusing to write the stream to standard output: it is the source device src\.img$"
	run bash -c "'$BIN/bimg-scan' '$LOOPDEV' 1<>src.img"
	refused "^bimg-scan: refusing to write the stream to standard output: it is the source device $LOOPDEV$"
	losetup -d "$LOOPDEV"
	LOOP_DEVS=()
	cmp src.img src.copy
}

@test "bimg-unpack and bimg-sanitize writing onto what they read are refused" {
	small_image
	run bash -c "'$BIN/bimg-unpack' x.img 1<>x.img"
	refused "^bimg-unpack: refusing to write the stream to standard output: it is the image being read \(x\.img\)$"
	run bash -c "'$BIN/bimg-unpack' - <x.img 1<>x.img"
	refused "^bimg-unpack: refusing to write the stream to standard output: it is the image being read \(standard input\)$"
	cmp x.img x.copy
	run bash -c "'$BIN/bimg-sanitize' -s <s 1<>s"
	refused "^bimg-sanitize: refusing to write the stream to standard output: it is the stream being read \(standard input\)$"
	cmp s s.copy
}

# ---- bimg-fixchunks ----

@test "bimg-sanitize and bimg-unpack onto a standard output holding what is read upstream (through a pipe) are refused, not a byte written" {
	source_copy
	small_image
	run bash -c "'$BIN/bimg-scan' src.img | '$BIN/bimg-sanitize' -ss 1<>src.img"
	refused_in_pipeline "^bimg-sanitize: refusing to write the stream to standard output: it holds the filesystem being read$"
	cmp src.img src.copy
	run bash -c "cat s | '$BIN/bimg-sanitize' -s 1<>s"
	refused_in_pipeline "^bimg-sanitize: refusing to write the stream to standard output: it holds a bimg record stream, perhaps the one being read$"
	cmp s s.copy
	run bash -c "'$BIN/bimg-unpack' x.img | '$BIN/bimg-sanitize' -s 1<>x.img"
	refused_in_pipeline "^bimg-sanitize: refusing to write the stream to standard output: it holds a btrfs-image file, perhaps the one being read$"
	cmp x.img x.copy
	# bimg-unpack reading a pipe (an image larger than the pipes: it was overwritten while read)
	bimg-scan "$(corpus_img subvol-snap)" | bimg-pack -o big.img
	cp big.img big.copy
	run bash -c "cat big.img | '$BIN/bimg-unpack' 1<>big.img"
	refused "^bimg-unpack: refusing to write the stream to standard output: it holds a btrfs-image file, perhaps the one being read$"
	cmp big.img big.copy
	# The filesystem 1 MiB into disk.img, read through a loop device at that offset.
	need_loop_mount
	truncate -s 300M disk.img
	dd if=src.img of=disk.img bs=1M seek=1 conv=notrunc,sparse status=none
	cp --sparse=always disk.img disk.copy
	LOOPDEV=$(losetup --find --show --offset 1048576 disk.img)
	LOOP_DEVS+=("$LOOPDEV")
	run bash -c "'$BIN/bimg-scan' '$LOOPDEV' | '$BIN/bimg-sanitize' -s 1<>disk.img"
	refused_in_pipeline "^bimg-sanitize: refusing to write the stream to standard output: it holds the filesystem being read$"
	cmp disk.img disk.copy
}

@test "bimg-fixchunks -m with one target twice, by any name, is refused before anything is created" {
	local devs
	corpus_devs raid1
	bimg-scan "${devs[@]}" >s
	for second in t ./t "$T/t" "sub/../t"; do
		mkdir -p sub
		run bimg-fixchunks -m t "$second" <s
		refused "^bimg-fixchunks: $second: refusing to restore: it is also target t$"
		[[ ! -e t ]]
	done
	# An earlier restore is not touched either (it was truncated before the check).
	bimg-fixchunks -m t t2 <s
	cp --sparse=always t t.copy
	ln t hard
	ln -s t link
	for second in hard link; do
		run bimg-fixchunks -m t "$second" <s
		refused "^bimg-fixchunks: $second: refusing to restore: it is also target t$"
		cmp t t.copy
	done
}

@test "bimg-fixchunks onto the file or device standard input reads is refused" {
	small_image
	# shellcheck disable=SC2094 # reading and writing one file is the point
	run bimg-fixchunks x.img <x.img
	refused "^bimg-fixchunks: x\.img: refusing to restore: the target is the stream being read$"
	cmp x.img x.copy
	# A loop device over the stream file as the target; the file as target of its loop device.
	attach_loop s
	run bimg-fixchunks "$LOOPDEV" <s
	refused "^bimg-fixchunks: $LOOPDEV: refusing to restore: the target is the stream being read$"
	cmp s s.copy
	run bimg-fixchunks s <"$LOOPDEV"
	refused "^bimg-fixchunks: s: refusing to restore: the target is the stream being read$"
	cmp s s.copy
}

@test "bimg-fixchunks onto an image or a stream read through a pipe is refused; --force overwrites" {
	small_image
	run bash -c "'$BIN/bimg-unpack' x.img | '$BIN/bimg-fixchunks' x.img"
	refused_in_pipeline "^bimg-fixchunks: x\.img: refusing to restore: the target holds a btrfs-image file; use --force to overwrite it$"
	cmp x.img x.copy
	run bash -c "cat s | '$BIN/bimg-fixchunks' s"
	refused_in_pipeline "^bimg-fixchunks: s: refusing to restore: the target holds a bimg record stream; use --force to overwrite it$"
	cmp s s.copy
	# Another image's file is overwritten with --force.
	cp x.img other.img
	bimg-fixchunks --force other.img <s
	btrfs check other.img
}

@test "bimg-fixchunks onto a file holding an image at an offset, read through a loop device, is refused" {
	need_loop_mount
	small_image
	# The image 1 MiB into disk.img, read through losetup -o (and --sizelimit: the image alone).
	truncate -s 300M disk.img
	dd if=x.img of=disk.img bs=1M seek=1 conv=notrunc status=none
	cp --sparse=always disk.img disk.copy
	LOOPDEV=$(losetup --find --show --offset 1048576 --sizelimit "$(stat -c %s x.img)" disk.img)
	LOOP_DEVS+=("$LOOPDEV")
	run bash -c "'$BIN/bimg-unpack' '$LOOPDEV' | '$BIN/bimg-fixchunks' disk.img"
	refused_in_pipeline "^bimg-fixchunks: disk\.img: refusing to restore: $LOOPDEV over the target holds a btrfs-image file; use --force to overwrite it$"
	cmp disk.img disk.copy
	# The wrapper refuses it by name.
	run "$ROOT/btrfs-image.sh" -r "$LOOPDEV" disk.img
	refused "^ERROR: refusing to restore to disk\.img: it is the image $LOOPDEV$"
	cmp disk.img disk.copy
}

# ---- symlinks (docs/man/bimg-fixchunks.1) ----

@test "a restore target that is a symlink is written through; a dangling one is refused" {
	small_image
	ln -s real link
	: >real
	"$WRAPPER" -r x.img link
	[[ -L link ]]
	btrfs check real
	ln -s missing dangling
	run "$WRAPPER" -r x.img dangling
	refused "^ERROR: refusing to restore to dangling: it is a symlink to a missing file$"
	[[ -L dangling && ! -e missing ]]
	run bimg-fixchunks dangling <s
	refused "^bimg-fixchunks: dangling: refusing to restore: it is a symlink to a missing file$"
	[[ -L dangling && ! -e missing ]]
	# A link to a block device (as /dev/disk/by-id/... are) restores onto the device.
	need_loop_mount
	truncate -s 300M dev
	attach_loop dev
	ln -s "$LOOPDEV" by-id-link
	"$WRAPPER" -r x.img by-id-link
	btrfs check "$LOOPDEV"
}

# A node for the block device whose sysfs directory is DIR, at PATH: /dev may be static (no udev).
block_node() { # DIR PATH
	local majmin
	majmin=$(cat "$1/dev")
	mknod "$2" b "${majmin%%:*}" "${majmin##*:}"
}

@test "a partition of a loop device over the image is the same storage as the loop device and the file" {
	need_loop_mount
	command -v partx >/dev/null || skip "partx is missing"
	small_image
	# One MBR partition from sector 2048, the image copied into it.
	truncate -s 8M disk
	python3 -c '
import struct
with open("disk", "r+b") as f:
    entry = struct.pack("<B3sB3sII", 0, b"\0\0\0", 0x83, b"\0\0\0", 2048, 8192)
    f.seek(446); f.write(entry); f.seek(510); f.write(b"\x55\xaa")'
	attach_loop disk
	PARTITIONED=$LOOPDEV
	partx -a "$LOOPDEV" 2>/dev/null || true
	sys=/sys/class/block/${LOOPDEV#/dev/}/${LOOPDEV#/dev/}p1
	[[ -e $sys/dev ]] || skip "the kernel made no partition for $LOOPDEV"
	block_node "$sys" part
	dd if=x.img of=part bs=64k status=none
	cp disk disk.copy
	run bimg-fixchunks part <"$LOOPDEV"
	refused "^bimg-fixchunks: part: refusing to restore: the target is the stream being read$"
	run bimg-fixchunks "$LOOPDEV" <part
	refused "^bimg-fixchunks: $LOOPDEV: refusing to restore: the target is the stream being read$"
	run bash -c "'$BIN/bimg-unpack' part 1<>'$LOOPDEV'"
	refused "^bimg-unpack: refusing to write the stream to standard output: it is the image being read \(part\)$"
	run bash -c "'$BIN/bimg-unpack' part 1<>disk"
	refused "^bimg-unpack: refusing to write the stream to standard output: it is the image being read \(part\)$"
	run "$ROOT/btrfs-image.sh" -r part disk
	refused "^ERROR: refusing to restore to disk: it is the image part$"
	run "$ROOT/btrfs-image.sh" -r part "$LOOPDEV"
	refused "^ERROR: refusing to restore to $LOOPDEV: it is the image part$"
	partx -d "$LOOPDEV" 2>/dev/null || true
	PARTITIONED=
	cmp disk disk.copy
}
