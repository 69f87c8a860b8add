#!/usr/bin/env bats
# The test filesystems themselves (tests/fixtures/mkfixtures): every case of
# cases.tsv was built into its set, carries its fixed fsid, and holds what
# it is in the suite for; a rebuild gives the same trees; the cache
# rebuilds a case when its sources change, and only then.

load lib/common

MKFIXTURES=$ROOT/tests/fixtures/mkfixtures

setup() {
	skip_on_sanitizer_build "the test filesystems do not depend on bin/"
	T=$BATS_TEST_TMPDIR
}

teardown() {
	loop_cleanup
}

# The cases of SET (quick, full) in cases.tsv, one a line.
table_cases() {
	"$MKFIXTURES" --list | awk -v set="$1" '$2 == set || (set == "full" && $2 == "quick") { print $1 }'
}

# The cases listed in DIR/MANIFEST.tsv.
manifest_cases() {
	awk -F'\t' 'NR > 1 { print $1 }' "$1/MANIFEST.tsv"
}

# The first image of CASE (from the full set); fails when it is not built.
first_image() {
	local files
	files=$(CORPUS=$FULL_CORPUS corpus_files "$1") || return 1
	printf '%s\n' "${files%%$'\n'*}"
}

@test "fixtures: every quick and full case is built into its set, with its table's profiles" {
	[[ -f $CORPUS/MANIFEST.tsv && -f $FULL_CORPUS/MANIFEST.tsv ]] || skip "no test filesystems (make corpus)"
	[[ $(id -u) -eq 0 ]] || skip "mount cases need root: some are missing by design"
	diff <(table_cases quick | sort) <(manifest_cases "$CORPUS" | sort)
	diff <(table_cases full | sort) <(manifest_cases "$FULL_CORPUS" | sort)
	# the quick images are the full set's files, not copies
	local c f
	for c in $(manifest_cases "$CORPUS"); do
		for f in $(awk -F'\t' -v c="$c" '$1 == c { print $2 }' "$CORPUS/MANIFEST.tsv"); do
			[[ $CORPUS/$f -ef $FULL_CORPUS/$f ]]
		done
	done
	grep -q $'^raid1c4\traid1c4.dev1.img raid1c4.dev2.img raid1c4.dev3.img raid1c4.dev4.img\t.*\traid1c4\traid1c4\t.*raid1c34' "$FULL_CORPUS/MANIFEST.tsv"
}

@test "fixtures: each case carries its own fixed fsid, none shared" {
	local c img uuid seen=""
	[[ -f $FULL_CORPUS/MANIFEST.tsv ]] || skip "no full set"
	FIXTURES_SRC=$ROOT/tests/fixtures
	# shellcheck source=tests/fixtures/lib/table.bash
	. "$ROOT/tests/fixtures/lib/table.bash"
	# metadata_uuid is the fsid of the tree block headers (the superblock's
	# fsid, but for metadata-uuid)
	for c in $(manifest_cases "$FULL_CORPUS"); do
		img=$(first_image "$c")
		uuid=$(btrfs inspect-internal dump-super "$img" | awk '$1 == "metadata_uuid" { print $2 }')
		[[ $uuid == "$(case_uuid "$c")" ]] || { echo "$c: fsid $uuid, expected $(case_uuid "$c")"; return 1; }
		[[ $uuid =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]]
		[[ $seen != *" $uuid"* ]]
		seen+=" $uuid"
	done
	img=$(first_image metadata-uuid) || skip "no metadata-uuid case"
	run btrfs inspect-internal dump-super "$img"
	assert_success
	assert_output --partial METADATA_UUID
	assert_line $'fsid\t\t\t'"$(case_uuid "metadata-uuid (metadata uuid)")"
}

# holds CASE TREE PATTERN: dump-tree -t TREE (or dump-super for "super") of
# CASE matches the extended regular expression PATTERN.
holds() {
	local img out
	img=$(first_image "$1") || { echo "$1: not built"; return 1; }
	if [[ $2 == super ]]; then
		out=$(btrfs inspect-internal dump-super "$img")
	else
		out=$(btrfs inspect-internal dump-tree -t "$2" "$img")
	fi
	grep -Eq -- "$3" <<<"$out" || { echo "$1: no match for '$3' in tree $2"; return 1; }
}

# lacks CASE TREE PATTERN: the opposite ("! holds" would not fail a test).
lacks() {
	if holds "$@" >/dev/null; then
		echo "$1: '$3' in tree $2"
		return 1
	fi
}

@test "fixtures: each case holds the structure it is for" {
	[[ -f $FULL_CORPUS/MANIFEST.tsv ]] || skip "no full set"
	holds node4k fs '^node [0-9]+ level [1-9]'
	holds many-small fs '^node [0-9]+ level 2'
	holds mixed-bg chunk 'type DATA\|METADATA'
	holds old-format extent 'EXTENT_ITEM [0-9]+\)'
	lacks old-format extent 'METADATA_ITEM'
	holds old-format super '^incompat_flags'
	lacks no-fst root 'FREE_SPACE_TREE ROOT_ITEM'
	holds sector64k super '^sectorsize[[:space:]]+65536'
	holds shrunk super '^total_bytes[[:space:]]+1[0-9]{8}$'
	holds default super '^label[[:space:]]+bimg fixture: '
	holds names fs 'INODE_EXTREF'
	holds hardlinks fs 'INODE_EXTREF'
	# a received uuid other than all zeros (any of its 32 digits may be 0)
	holds subvol-snap root 'received_uuid [0-9a-f-]*[1-9a-f]'
	holds subvol-snap root 'flags 0x1\(RDONLY\)'
	holds reflink extent 'refs [1-9][0-9]+ gen [0-9]+ flags DATA'
	holds compress-zstd fs 'compression 3'
	holds compress-zlib fs 'compression 1'
	holds compress-zlib fs 'compression 2'
	holds sparse fs 'type 2 \(prealloc\)'
	holds sparse fs 'extent data disk byte 0 nr 0'
	holds quota quota 'QGROUP_LIMIT'
	holds quota quota 'QGROUP_RELATION'
	holds space-cache-v1 root 'FREE_SPACE UNTYPED'
	holds logtree super '^log_root[[:space:]]+[1-9]'
	holds half-dropped root 'drop_progress key \([0-9]+ DIR_ITEM [0-9]+\) drop_level [1-9]'
	holds raid5 super 'RAID56'
	holds raid1c4 super 'RAID1C34'
}

@test "fixtures: names: every length 1..255 bytes in characters of 1 to 4 UTF-8 bytes; short names; name-hash groups" {
	need_loop_mount
	loop_mount_ro "$(first_image names)" "$T/m"
	python3 - "$T/m" "$ROOT/tests/lib" <<'EOF'
import os, sys
root = sys.argv[1].encode()
sys.path.insert(0, sys.argv[2])
from crc32c import crc32c_raw
for width in (1, 2, 3, 4):
    names = os.listdir(os.path.join(root, b'by-length', b'utf8-width-%d' % width))
    assert sorted(map(len, names)) == list(range(1, 256)), width
    assert all(len(n.decode()) >= len(n) // width for n in names), width
short = os.listdir(os.path.join(root, b'short'))
for length, least in ((1, 45), (2, 300), (3, 300), (4, 300)):
    count = sum(len(n) == length for n in short)
    assert count >= least, (length, count)
groups = {}
for name in os.listdir(os.path.join(root, b'same-hash')):
    groups.setdefault(name.split(b'.')[0], set()).add(crc32c_raw(0xFFFFFFFE, name))
assert len(groups) == 4 and all(len(h) == 1 for h in groups.values()), groups
every = os.listdir(os.path.join(root, b'every-byte'))
assert {n[5] for n in every if len(n) == 6} == set(range(1, 256)) - {0x2F}
print('ok')
EOF
}

@test "fixtures: a rootdir case rebuilt gives the same tree items, bar ctimes and uuids" {
	[[ $(id -u) -eq 0 ]] || skip "repeatable inode numbers need a tmpfs staging directory (root)"
	"$MKFIXTURES" --only deep-dirs "$T/a" >/dev/null
	cp --sparse=always "$T/a/images/deep-dirs.img" "$T/first.img"
	"$MKFIXTURES" --only deep-dirs --force "$T/a" >/dev/null
	# what mkfs 6.2 cannot fix: ctimes, uuids, the top directory's times,
	# transids it leaves uninitialized
	mask() {
		btrfs inspect-internal dump-tree -t fs "$1" |
			sed -E 's/(ctime|atime|mtime|otime) [0-9.]+ \(.*\)/\1 T/; s/(uuid) [0-9a-f-]+/\1 U/; s/transid [0-9]+/transid N/'
	}
	mask "$T/first.img" >"$T/first.txt"
	mask "$T/a/images/deep-dirs.img" >"$T/second.txt"
	[[ $(wc -l <"$T/first.txt") -gt 1000 ]]
	diff "$T/first.txt" "$T/second.txt"
}

@test "fixtures: kept while its sources stay, rebuilt when one changes or an image is missing" {
	cp -r "$ROOT/tests/fixtures" "$T/src"
	run "$T/src/mkfixtures" --only hardlinks "$T/d"
	assert_success
	assert_output --partial "made     hardlinks"
	run "$T/src/mkfixtures" --only hardlinks "$T/d"
	assert_success
	assert_output --partial "kept     hardlinks"
	# the driver is no input: editing it rebuilds nothing
	echo '# edited' >>"$T/src/mkfixtures"
	run "$T/src/mkfixtures" --only hardlinks "$T/d"
	assert_output --partial "kept     hardlinks"
	echo '# edited' >>"$T/src/recipes.bash"
	run "$T/src/mkfixtures" --only hardlinks "$T/d"
	assert_output --partial "made     hardlinks"
	rm "$T/d/images/hardlinks.img"
	run "$T/src/mkfixtures" --only hardlinks "$T/d"
	assert_output --partial "made     hardlinks"
	[[ -f $T/d/full/hardlinks.img && $T/d/full/hardlinks.img -ef $T/d/images/hardlinks.img ]]
	grep -q $'^hardlinks\thardlinks.img\t16384\t4096\tcrc32c\tdup\tsingle\t' "$T/d/full/MANIFEST.tsv"
	# a failed build hides the case instead of leaving its old images in the sets
	echo 'build_hardlinks() { rootdir_case "hard-links 500" --no-such-mkfs-option; }' >>"$T/src/recipes.bash"
	run "$T/src/mkfixtures" --only hardlinks "$T/d"
	assert_failure 1
	assert_output --partial "FAILED   hardlinks"
	[[ ! -e $T/d/full/hardlinks.img ]]
	run grep -c '^hardlinks' "$T/d/full/MANIFEST.tsv"
	assert_output 0
	local left=("$T"/d/images/.building*)
	[[ ! -e ${left[0]} ]]
}

@test "fixtures: mkfixtures usage: unknown case, unknown option, --list" {
	run "$MKFIXTURES" --only no-such-case "$T/d"
	assert_failure 1
	assert_output "mkfixtures: no such case: no-such-case (see --list)"
	run "$MKFIXTURES" --frobnicate "$T/d"
	assert_failure 1
	assert_output --partial "unknown option: --frobnicate"
	run "$MKFIXTURES" --list
	assert_success
	assert_line --regexp '^raid1c4 +full '
	assert_line --regexp '^usr-content +bench '
}
