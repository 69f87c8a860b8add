#!/bin/sh
# Generate the fuzzing seed corpora in tests/fuzz/seeds/<harness>/ (not
# committed) from the test filesystems and the saved regression inputs.
#
#   CORPUS=DIR make-seeds.sh SEEDGEN
#
# DIR is a set directory of tests/fixtures/mkfixtures (make fuzz-seeds passes
# the quick set); without a MANIFEST.tsv there, the seeds are only the
# regression inputs.  The reference
# btrfs-image, when installed, provides the image_index seeds (one raw and
# one zlib-compressed metadump of a small filesystem).
set -eu

seedgen=$1
here=$(cd "$(dirname "$0")" && pwd)
seeds=$here/seeds
regress=$here/regress

corpus=${CORPUS:-}

rm -rf "$seeds"
mkdir -p "$seeds/stream" "$seeds/super_chunks" "$seeds/tree_block" "$seeds/image_index" "$seeds/fixchunks" \
	"$seeds/fixchunks_multi" "$seeds/verify"

if [ -f "$corpus/MANIFEST.tsv" ]; then
	for img in "$corpus"/*.img; do
		[ -f "$img" ] || continue
		name=$(basename "$img" .img)
		"$seedgen" fs "$img" "$name" "$seeds" || echo "make-seeds: skipped $name" >&2
	done
	if command -v btrfs-image >/dev/null 2>&1; then
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT
		for img in "$corpus"/*.img; do
			[ -f "$img" ] || continue
			name=$(basename "$img" .img)
			for c in 0 9; do
				if btrfs-image -c$c "$img" "$tmp/$name-c$c.metadump" >/dev/null 2>&1; then
					"$seedgen" metadump "$tmp/$name-c$c.metadump" "$name-c$c" "$seeds"
				fi
			done
		done
	fi
else
	echo "make-seeds: no test filesystems at ${corpus:-\$CORPUS}; seeding from regression inputs only" >&2
fi

# bimg-fixchunks reads record streams too.
for h in fixchunks fixchunks_multi; do
	mkdir -p "$seeds/$h"
	for f in "$seeds"/stream/*; do
		[ -f "$f" ] && cp "$f" "$seeds/$h/"
	done
done

for dir in "$regress"/*/; do
	[ -d "$dir" ] || continue
	h=$(basename "$dir")
	mkdir -p "$seeds/$h"
	for f in "$dir"*; do
		[ -f "$f" ] && cp "$f" "$seeds/$h/regress-$(basename "$f")"
	done
done

for h in "$seeds"/*/; do
	echo "make-seeds: $(basename "$h"): $(ls "$h" | wc -l) seeds"
done
touch "$seeds/.made"
