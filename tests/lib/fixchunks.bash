# Helpers for the bimg-fixchunks tests (tests/41x-fixchunks*.bats).
#
#   fx_setup                 skip unless bimg-fixchunks, btrfs-image, python3 exist
#   fx_ref_image CASE LEVEL  reference image of a corpus case (cached per test file)
#   fx_stream IMG [ARGS..]   record stream of IMG by tests/lib/img2stream.py, to stdout
#   fx_restore STREAM TARGET [OPTIONS..]  bimg-fixchunks < STREAM
#   fx_tree DIR              one line per file: path, type, size, mode, links
#   no_valid_superblock T    fails if T still has a primary superblock that checks out

IMG2STREAM="$ROOT/tests/lib/img2stream.py"

fx_setup() {
	[[ -x $BIN/bimg-fixchunks ]] || skip "bin/bimg-fixchunks is not built"
	command -v btrfs-image >/dev/null || skip "the reference btrfs-image is missing"
	command -v python3 >/dev/null || skip "python3 is missing"
}

# Images are shared by the tests of one file: the reference's dump is deterministic.
fx_ref_image() {
	local img out="$BATS_FILE_TMPDIR/$1.c$2.img"
	if [[ ! -s $out ]]; then
		img=$(corpus_img "$1") || return 1
		btrfs-image -c "$2" "$img" "$out" >/dev/null 2>&1 || { echo "btrfs-image -c$2 $img failed" >&2; return 1; }
	fi
	printf '%s\n' "$out"
}

fx_stream() {
	local img=$1
	shift
	python3 "$IMG2STREAM" "$@" "$img"
}

fx_restore() {
	local stream=$1 target=$2
	shift 2
	"$BIN/bimg-fixchunks" "$@" "$target" <"$stream"
}

fx_tree() {
	(cd "$1" && find . -xdev -printf '%p %y %s %m %n\n' | LC_ALL=C sort)
}

# Read-only loop mount without log replay (a crash image's source and its
# restore then show the same, pre-log state).  Uses LOOP_DEVS/LOOP_MOUNTS of
# lib/common so that loop_cleanup undoes it.
fx_mount_ro() {
	local dev
	dev=$(losetup --find --show --read-only "$1") || return 1
	LOOP_DEVS+=("$dev")
	mkdir -p "$2"
	mount -t btrfs -o ro,rescue=nologreplay "$dev" "$2" || return 1
	LOOP_MOUNTS+=("$2")
}

# cmp for sparse targets: reads only the data ranges (tests/lib/sparsecmp.py).
fx_cmp() {
	python3 "$ROOT/tests/lib/sparsecmp.py" "$1" "$2"
}

# No valid primary superblock on TARGET: dump-super fails or shows no btrfs magic.
no_valid_superblock() {
	run btrfs inspect-internal dump-super "$1"
	if [[ $status -eq 0 && $output =~ _BHRfS_M\ \[match\] && ! $output =~ csum.*\[DON.T\ MATCH\] ]]; then
		echo "$1 still has a valid superblock"
		return 1
	fi
}

# The setup and teardown of most fixchunks test files; a file that needs more
# defines its own after `load lib/fixchunks`.
setup() {
	fx_setup
}

teardown() {
	loop_cleanup
}
