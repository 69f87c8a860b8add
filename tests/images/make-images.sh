#!/bin/bash
# Make the fixture images of tests/images/ (see README.md there): small btrfs
# filesystems with on-disk features that Debian's mkfs.btrfs 6.2 cannot make,
# each with what upstream btrfs-progs 6.19 makes of it (btrfs-image dumps and
# the restore of one).  A developer tool: the test suite only reads the
# committed results.
#
#   BTRFS_PROGS_619=DIR tests/images/make-images.sh [OUTDIR] [NAME...]
#
# DIR holds mkfs.btrfs, btrfs and btrfs-image of btrfs-progs 6.19.  Runs as
# root (loop mounts).  OUTDIR defaults to the directory of this script; NAME
# limits it to some of the fixtures.  Everything temporary lives in one
# directory under ${TMPDIR:-/tmp}, removed on exit with its loop devices.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$here}
[[ $# -gt 0 ]] && shift
P=${BTRFS_PROGS_619:?set BTRFS_PROGS_619 to the bin directory of btrfs-progs 6.19}
for p in mkfs.btrfs btrfs btrfs-image; do
	[[ -x $P/$p ]] || { echo "make-images: $P/$p is missing" >&2; exit 1; }
done
"$P/mkfs.btrfs" --version | grep -q 'v6\.19' || { echo "make-images: $P/mkfs.btrfs is not 6.19" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "make-images: loop mounts need root" >&2; exit 1; }
out=$(cd "$out" && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/make-images.XXXXXX")
loopdevs=()
cleanup() {
	umount "$work/mnt" 2>/dev/null || true
	detach
	rm -rf "$work"
}
trap cleanup EXIT

# Loop devices for the images of one filesystem (multi-device ones need
# block devices: the kernel and upstream's btrfs-image find the other
# members by fsid).
attach() { # IMG...
	local f
	for f in "$@"; do
		loopdevs+=("$(losetup --find --show "$f")")
	done
}
detach() {
	local d
	for d in "${loopdevs[@]}"; do
		btrfs device scan --forget "$d" >/dev/null 2>&1 || true
		losetup -d "$d" 2>/dev/null || true
	done
	loopdevs=()
}

# The same content everywhere: directories, names of every length class,
# an inline file, a 128 KiB data extent (compressible, so the images stay
# small), a hard link, a symlink, an xattr.  A subvolume is added by the
# caller (kernel: btrfs subvolume create and a snapshot; mkfs: --subvol).
make_tree() { # DIR
	local d=$1
	mkdir -p "$d/dir/sub" "$d/empty-dir"
	echo "inline file content" >"$d/dir/inline.txt"
	head -c 131072 <(yes 'bimg fixture: one data extent of 128 KiB') >"$d/dir/extent.bin"
	ln "$d/dir/inline.txt" "$d/dir/sub/hardlink"
	ln -s dir/inline.txt "$d/symlink"
	python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.fixture", b"modern")' "$d/dir/extent.bin"
	echo a >"$d/dir/sub/a"
	echo ab >"$d/dir/sub/ab"
	echo "name with spaces" >"$d/dir/name with spaces"
	echo unicode >"$d/dir/naïve-ünïcode-名前"
	echo long >"$d/dir/$(printf 'L%.0s' $(seq 1 255))"
	touch -h -d '2024-01-01 00:00:00 UTC' "$d" "$d"/* "$d"/dir/* "$d"/dir/sub/*
}

# Sets MEMBERS: the images of fixture NAME, first device first.
members() { # NAME
	MEMBERS=("$work/$1.img")
	[[ ! -e $work/$1.dev2.img ]] || MEMBERS+=("$work/$1.dev2.img")
}

# Fill IMG (and the other devices) through the kernel: the tree, a
# subvolume, a read-only snapshot.
fill_by_kernel() { # IMG [DEV2-IMG]
	local opts=()
	mkdir -p "$work/mnt"
	attach "$@"
	[[ $# -eq 1 ]] || opts=(-o "device=${loopdevs[1]}")
	mount -t btrfs "${opts[@]}" "${loopdevs[0]}" "$work/mnt"
	cp -a "$work/tree/." "$work/mnt/"
	btrfs subvolume create "$work/mnt/subvol" >/dev/null
	echo "in a subvolume" >"$work/mnt/subvol/file"
	btrfs subvolume snapshot -r "$work/mnt/subvol" "$work/mnt/snapshot" >/dev/null
	umount "$work/mnt"
	detach
}

# Fill IMG with mkfs --rootdir: the tree plus a subvolume directory.
mkfs_rootdir() { # IMG MKFS-OPTIONS...
	local img=$1
	shift
	rm -rf "$work/rootdir"
	cp -a "$work/tree" "$work/rootdir"
	mkdir "$work/rootdir/subvol"
	echo "in a subvolume" >"$work/rootdir/subvol/file"
	"$P/mkfs.btrfs" -q "$@" --rootdir "$work/rootdir" --subvol rw:subvol "$img"
}

# Upstream's dumps (-c0, -c9, -w -c0) and its restore of the -c9 dump; the log of
# what upstream printed goes beside them.
upstream_files() { # NAME
	local n=$1 log=$work/$1.619.log status
	: >"$log"
	members "$n"
	attach "${MEMBERS[@]}"
	status=0
	{
		"$P/btrfs-image" -c0 "${loopdevs[0]}" "$work/$n.619.c0.img"
		"$P/btrfs-image" -c9 -t1 "${loopdevs[0]}" "$work/$n.619.c9.img"
		"$P/btrfs-image" -w -c0 "${loopdevs[0]}" "$work/$n.619.w.c0.img"
		detach
		"$P/btrfs-image" -r -t1 "$work/$n.619.c9.img" "$work/$n.619.restored.img" || status=$?
		echo "btrfs-image -r exit status: $status"
	} 2>>"$log" >>"$log"
	# A failed restore leaves nothing worth keeping.
	[[ $status -eq 0 ]] || rm -f "$work/$n.619.restored.img"
	sed -i "s|$work/||g" "$log"
}

# Commit form: raw images as sparse tar.xz (holes stay holes), dumps as xz.
pack() { # NAME
	local n=$1 f
	# A multi-device filesystem's second image goes into the first's tar.
	members "$n"
	(cd "$work" && tar --sparse --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - "${MEMBERS[@]##*/}") |
		xz -9e >"$out/$n.img.tar.xz"
	if [[ -e $work/$n.619.restored.img ]]; then
		(cd "$work" && tar --sparse --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - "$n.619.restored.img") |
			xz -9e >"$out/$n.619.restored.img.tar.xz"
	fi
	xz -9e <"$work/$n.619.c0.img" >"$out/$n.619.c0.img.xz"
	xz -9e <"$work/$n.619.w.c0.img" >"$out/$n.619.w.c0.img.xz"
	cp "$work/$n.619.c9.img" "$out/$n.619.c9.img"
	cp "$work/$n.619.log" "$out/$n.619.log"
}

# Fixed uuids, so that a remake differs only in timestamps and generations.
uuid() { printf '0b1e5f1c-7e57-4000-8000-0000000000%02d' "$1"; }
devuuid() { printf '0b1e5f1c-7e57-4000-9000-0000000000%02d' "$1"; }

make_one() { # NAME
	local n=$1 img=$work/$1.img
	rm -f "$work/$n".*img
	case $n in
	bgt-crc32c | bgt-xxhash | bgt-sha256 | bgt-blake2)
		local csum=${n#bgt-} i
		case $csum in crc32c) i=1 ;; xxhash) i=2 ;; sha256) i=3 ;; blake2) i=4 ;; esac
		truncate -s 128M "$img"
		"$P/mkfs.btrfs" -q -O block-group-tree --csum "$csum" -U "$(uuid $i)" --device-uuid "$(devuuid $i)" "$img"
		fill_by_kernel "$img"
		;;
	squota)
		truncate -s 128M "$img"
		"$P/mkfs.btrfs" -q -O squota -U "$(uuid 5)" --device-uuid "$(devuuid 5)" "$img"
		fill_by_kernel "$img"
		;;
	zoned)
		# Emulated zones on a regular file: 256 MiB, the size every
		# btrfs-progs tool assumes for a file (3 GiB is mkfs's minimum).
		truncate -s 3G "$img"
		"$P/mkfs.btrfs" -q -O zoned -U "$(uuid 6)" --device-uuid "$(devuuid 6)" "$img"
		fill_by_kernel "$img"
		;;
	bgt-raid1)
		# Two devices: the restore onto one target rewrites the block
		# group items, which live in the block group tree here.
		truncate -s 128M "$img" "$work/$n.dev2.img"
		"$P/mkfs.btrfs" -q -O block-group-tree -d raid1 -m raid1 -U "$(uuid 9)" "$img" "$work/$n.dev2.img"
		fill_by_kernel "$img" "$work/$n.dev2.img"
		;;
	rst)
		# mkfs 6.19 fails to write file data into DUP data chunks with the
		# stripe tree ("Couldn't map the block"), and the kernel here cannot
		# mount it: data stays SINGLE and the stripe tree empty.
		truncate -s 128M "$img"
		mkfs_rootdir "$img" -O raid-stripe-tree -d single -U "$(uuid 7)" --device-uuid "$(devuuid 7)"
		;;
	etv2)
		truncate -s 128M "$img"
		mkfs_rootdir "$img" -O extent-tree-v2 -U "$(uuid 8)" --device-uuid "$(devuuid 8)"
		;;
	*)
		echo "make-images: unknown fixture $n" >&2
		exit 1
		;;
	esac
	members "$n"
	attach "${MEMBERS[@]}"
	"$P/btrfs" check "${loopdevs[0]}" >/dev/null 2>&1 || { echo "make-images: btrfs check of $n failed" >&2; exit 1; }
	detach
	upstream_files "$n"
	pack "$n"
	echo "$n"
}

make_tree "$work/tree"
names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(bgt-crc32c bgt-xxhash bgt-sha256 bgt-blake2 bgt-raid1 squota zoned rst etv2)
for n in "${names[@]}"; do
	make_one "$n"
done
