#!/bin/bash
# make demo: build a small btrfs filesystem from a generated directory
# (mkfs.btrfs --rootdir: no root needed), dump it with btrfs-image.sh -c9,
# restore it, check the result with `btrfs check`, and show sizes and
# times next to the reference btrfs-image doing the same.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
wrapper=$root/btrfs-image.sh
ref=${BTRFS_IMAGE:-btrfs-image}
work=$(mktemp -d "${TMPDIR:-/tmp}/bimg-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

for tool in mkfs.btrfs btrfs python3; do
	command -v "$tool" >/dev/null || { echo "demo: $tool is missing (run tests/lib/install-deps.sh)" >&2; exit 1; }
done
have_ref=1
command -v "$ref" >/dev/null || have_ref=0

# Seconds (3 decimals) that COMMAND... takes; its stdout goes to the terminal's stderr.
# The dirty pages of what ran before are written out first, untimed: a run
# must not pay for the previous one's writes (our dump and restore fsync
# what they write; btrfs-image does not).
elapsed() {
	local start end
	sync
	start=$(date +%s%N)
	"$@" >&2
	end=$(date +%s%N)
	printf '%d.%03d' $(((end - start) / 1000000000)) $((((end - start) / 1000000) % 1000))
}
size() { stat -c %s "$1"; }
human() { numfmt --to=iec-i --suffix=B "$1"; }

echo "demo: generating 400 files in a few directories"
python3 - "$work/tree" <<'EOF'
import os, random, sys
top = sys.argv[1]
rng = random.Random(7)
for d in range(20):
    dirpath = os.path.join(top, "dir%02d" % d, "sub%d" % (d % 3))
    os.makedirs(dirpath, exist_ok=True)
    for f in range(20):
        name = "file-%02d-%03d-%s.txt" % (d, f, "".join(rng.choice("abcdefghij") for _ in range(rng.randint(3, 12))))
        with open(os.path.join(dirpath, name), "wb") as out:
            out.write(rng.randbytes(rng.choice([0, 10, 300, 2000, 5000, 70000])))
os.symlink("dir00", os.path.join(top, "link"))
EOF

echo "demo: mkfs.btrfs --rootdir"
truncate -s 256M "$work/fs.img"
mkfs.btrfs -q -f --rootdir "$work/tree" "$work/fs.img" >/dev/null

# One untimed dump by each tool first, so that neither is timed reading
# its programs and the filesystem from the disk while the other is not.
"$wrapper" -c9 "$work/fs.img" "$work/warm.img" >/dev/null 2>&1 || true
((have_ref)) && { "$ref" -c9 "$work/fs.img" "$work/warm.img" >/dev/null 2>&1 || true; }
rm -f "$work/warm.img"

echo "demo: dumping with btrfs-image.sh -c9"
ours_dump=$(elapsed "$wrapper" -c9 "$work/fs.img" "$work/ours.img")
echo "demo: restoring with btrfs-image.sh -r"
ours_restore=$(elapsed "$wrapper" -r "$work/ours.img" "$work/ours.restored")
echo "demo: btrfs check on the restored filesystem"
if ! btrfs check --readonly "$work/ours.restored" >"$work/check.log" 2>&1; then
	cat "$work/check.log" >&2
	echo "demo: btrfs check FAILED on the restored filesystem" >&2
	exit 1
fi

ref_dump=- ref_restore=- ref_size=0 same=-
if ((have_ref)); then
	ref_dump=$(elapsed "$ref" -c9 "$work/fs.img" "$work/ref.img")
	ref_restore=$(elapsed "$ref" -r -t 1 "$work/ref.img" "$work/ref.restored")
	ref_size=$(size "$work/ref.img")
	# Our -c9 image is deflated by libdeflate, so its bytes differ from the
	# reference's; what must match is what the reference restores from it.
	"$ref" -r -t 1 "$work/ours.img" "$work/ours.by-ref" >/dev/null 2>&1
	if python3 "$root/tests/lib/sparsecmp.py" "$work/ours.by-ref" "$work/ref.restored" >/dev/null; then
		same="identical"
	else
		same="DIFFERENT"
	fi
fi

echo
printf '%-28s %14s %14s\n' "" "btrfs-image.sh" "btrfs-image"
printf '%-28s %14s %14s\n' "source filesystem" "$(human "$(size "$work/fs.img")")" ""
printf '%-28s %14s %14s\n' "image (-c9)" "$(human "$(size "$work/ours.img")")" "$( ((have_ref)) && human "$ref_size" || echo -)"
printf '%-28s %13ss %13ss\n' "dump time" "$ours_dump" "$ref_dump"
printf '%-28s %13ss %13ss\n' "restore time" "$ours_restore" "$ref_restore"
printf '%-28s %14s\n' "btrfs check of our restore" "ok"
((have_ref)) && printf '%-28s %14s\n' "btrfs-image -r of both" "$same"
echo "(one run of each, where starting up and fsync weigh most; bench/ measures"
echo " both tools side by side over repeated runs: README, \"Performance\")"
exit 0
