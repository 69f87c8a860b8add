#!/usr/bin/env bats
# bimg-unpack --verify: an image (or a record stream) is complete and sound
# when every tree block the superblock reaches is in it, sound, and what
# its parent expects.  Every corpus case dumped by bimg and by the reference
# is sound; removed, aged, damaged, duplicated blocks, removed chunks and
# data, truncated images and --rescue dumps are each reported with their
# path; btrfs-image.sh --verify checks a dump as it is made (no image when
# it would be incomplete) and an image on the receiving side.

load lib/common

EDIT="python3 $ROOT/tests/lib/streamedit.py"
IMGEDIT="python3 $ROOT/tests/lib/imgedit.py"

setup() {
	[[ -x $BIN/bimg-unpack ]] || skip "bin/bimg-unpack is not built"
	T=$BATS_TEST_TMPDIR
}

teardown() {
	loop_cleanup
}

# verify FILE: run bimg-unpack --verify, output (the report) and status set
verify() {
	run --separate-stderr bimg-unpack --verify "$1"
}

# sound FILE: the report ends with a sound verdict, exit 0
sound() {
	verify "$1"
	assert_success
	assert_line --index -1 --regexp '^verdict:        sound: '
}

# not_sound FILE TEXT...: exit 1, a failing verdict, and each TEXT in the report
not_sound() {
	local text
	verify "$1"
	assert_failure 1
	assert_line --index -1 --regexp '^verdict:        NOT SOUND: '
	for text in "${@:2}"; do
		assert_output --partial "$text"
	done
}

# CASE -> $T/CASE.stream (bimg-scan of a single-device case)
scan_case() {
	bimg-scan "$(corpus_img "$1")" >"$T/$1.stream"
}

# The cases of both corpora, each once.
all_cases() {
	{
		corpus_cases all
		corpus_cases all "$FULL_CORPUS"
	} | sort -u
}

# CASE -> its devices as bimg-scan / btrfs-image.sh arguments (extra ones with --device)
device_args() {
	local -a files
	mapfile -t files < <(corpus_files "$1")
	printf '%s\n' "${files[0]}"
	for f in "${files[@]:1}"; do printf -- '--device\n%s\n' "$f"; done
}

@test "every corpus case dumped by bimg is sound: checked as dumped (--verify) and as an image" {
	local c n=0
	local -a args
	for c in $(all_cases); do
		mapfile -t args < <(device_args "$c")
		run --separate-stderr btrfs-image.sh --verify "${args[@]}" "$T/$c.img"
		assert_success
		assert_stderr --partial "verify: sound: "
		sound "$T/$c.img"
		assert_output --partial "tree 3 (CHUNK_TREE)"
		assert_output --partial "tree 1 (ROOT_TREE)"
		rm -f "$T/$c.img"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "every single-device corpus case dumped by the reference btrfs-image 6.2 is sound (-c0 and -c9)" {
	local c n=0
	for c in $(all_cases); do
		[[ $(corpus_files "$c" | wc -l) -eq 1 ]] || continue
		btrfs-image -c0 "$(corpus_files "$c")" "$T/ref.img"
		sound "$T/ref.img"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
	btrfs-image -c9 "$(corpus_img default)" "$T/ref9.img"
	sound "$T/ref9.img"
	# a non-crc32c filesystem: the reference's CRC-32C is a note, not damage
	btrfs-image "$(corpus_img csum-sha256)" "$T/sha.img"
	sound "$T/sha.img"
	assert_output --partial "tree blocks carry a CRC-32C instead of their sha256 checksum"
}

@test "multi-device corpus cases dumped by the reference are sound" {
	local c n=0 d
	local -a files devs
	need_loop_mount
	for c in $(all_cases); do
		mapfile -t files < <(corpus_files "$c")
		[[ ${#files[@]} -gt 1 ]] || continue
		devs=()
		for f in "${files[@]}"; do
			d=$(losetup --find --show --read-only "$f")
			LOOP_DEVS+=("$d")
			devs+=("$d")
		done
		for d in "${devs[@]}"; do btrfs device scan "$d" >/dev/null; done
		btrfs-image "${devs[0]}" "$T/$c.ref.img"
		loop_cleanup
		sound "$T/$c.ref.img"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "record streams, data images (-d), -w and -ss images are sound, checked as dumped too; -s is one counted note" {
	local img cache
	img=$(corpus_img subvol-snap)
	bimg-scan "$img" >"$T/s.stream"
	sound "$T/s.stream"
	assert_output --partial "input:          record stream"
	assert_output --partial "subvolume 2"
	btrfs-image.sh --verify -d -c1 "$img" "$T/d.img"
	sound "$T/d.img"
	assert_output --regexp ' [1-9][0-9]* file extents and'
	btrfs-image.sh --verify -w "$img" "$T/w.img"
	sound "$T/w.img"
	# -ss moves the blocks with short names to the end of the stream: order does not matter
	btrfs-image.sh --verify -ss "$img" "$T/ss.img"
	sound "$T/ss.img"
	refute_output --partial "does not hash to its key"
	btrfs-image.sh --verify -s "$img" "$T/s.img" 2>"$T/err"
	grep -q "bimg-pack: verify: note: .* directory items hold a name that does not hash to its key" "$T/err"
	sound "$T/s.img"
	assert_output --partial 'directory items hold a name that does not hash to its key'
	# the v1 free space cache is in every image, and checked
	cache=$(corpus_img space-cache-v1)
	btrfs-image.sh "$cache" "$T/c.img"
	sound "$T/c.img"
	assert_output --regexp ' [1-9][0-9]* free space cache extents checked'
}

@test "a tree block removed, of every tree kind in the corpus: missing, with its tree" {
	local logical owner where n=0
	scan_case default
	# the first block of every tree: root, extent, chunk, dev, fs, csum, uuid, free space, data reloc
	while read -r logical owner _; do
		case $owner in
		1) where="tree 1 (ROOT_TREE), root pointer in the superblock" ;;
		2) where="tree 2 (EXTENT_TREE), root item in leaf " ;;
		3) where="tree 3 (CHUNK_TREE), root pointer in the superblock" ;;
		4) where="tree 4 (DEV_TREE), root item in leaf " ;;
		5) where="tree 5 (FS_TREE), parent " ;;
		7) where="tree 7 (CSUM_TREE), root item in leaf " ;;
		9) where="tree 9 (UUID_TREE), root item in leaf " ;;
		10) where="tree 10 (FREE_SPACE_TREE), root item in leaf " ;;
		-9) where="tree -9 (DATA_RELOC_TREE), root item in leaf " ;;
		*) false ;;
		esac
		$EDIT edit "$T/default.stream" "$T/e.stream" "drop:$logical"
		not_sound "$T/e.stream" "missing tree block $logical ($where"
		n=$((n + 1))
	done < <($EDIT blocks "$T/default.stream" | awk '!seen[$2]++')
	[ "$n" -eq 9 ]
}

@test "the log trees, the quota tree and a leaf deep in a snapshot removed: missing, with path and lost keys" {
	local log_root leaf quota
	scan_case logtree
	log_root=$($EDIT super "$T/logtree.stream" | awk '{ print $6 }')
	[ "$log_root" -gt 0 ]
	# the log root tree, and a log tree it points at
	leaf=$($EDIT blocks "$T/logtree.stream" | awk -v r="$log_root" '$2 == -6 && $1 != r { print $1; exit }')
	$EDIT edit "$T/logtree.stream" "$T/e.stream" "drop:$leaf"
	not_sound "$T/e.stream" "missing tree block $leaf (log tree of tree "
	$EDIT edit "$T/logtree.stream" "$T/e.stream" "drop:$log_root"
	not_sound "$T/e.stream" "missing tree block $log_root (log root tree, root pointer in the superblock)"

	scan_case quota
	quota=$($EDIT blocks "$T/quota.stream" | awk '$2 == 8 { print $1; exit }')
	$EDIT edit "$T/quota.stream" "$T/e.stream" "drop:$quota"
	not_sound "$T/e.stream" "missing tree block $quota (tree 8 (QUOTA_TREE), "

	scan_case subvol-snap
	# a leaf of the last snapshot whose parent is a node: path and key range
	leaf=$($EDIT blocks "$T/subvol-snap.stream" | awk '$2 == 263 && $3 == 0 { n++; if (n == 50) print $1 }')
	$EDIT edit "$T/subvol-snap.stream" "$T/e.stream" "drop:$leaf"
	not_sound "$T/e.stream" "missing tree block $leaf (subvolume 263, parent " "expected at level 0, generation " \
		"the tree loses the level-0 subtree of keys ("
	assert_output --regexp 'subvolume 263 +[0-9]+ blocks, 1 missing'
	assert_line --regexp 'problems:       1$'
}

@test "the chunk root removed: missing from the superblock's pointer, nothing else blamed" {
	local chunk_root
	scan_case default
	chunk_root=$($EDIT super "$T/default.stream" | awk '{ print $4 }')
	$EDIT edit "$T/default.stream" "$T/e.stream" "drop:$chunk_root"
	bimg-pack -o "$T/e.img" <"$T/e.stream"
	not_sound "$T/e.img" "missing tree block $chunk_root (tree 3 (CHUNK_TREE), root pointer in the superblock)" \
		"problems:       1"
}

@test "a block replaced by an older generation of itself: the generation its parent expects" {
	local leaf node
	scan_case default
	# a leaf (checksum recomputed): its parent's pointer says 7
	leaf=$($EDIT blocks "$T/default.stream" | awk '$2 == 5 && $3 == 0 { print $1; exit }')
	node=$($EDIT blocks "$T/default.stream" | awk '$2 == 5 && $3 == 1 { print $1; exit }')
	$EDIT edit "$T/default.stream" "$T/e.stream" "generation:$leaf:5"
	not_sound "$T/e.stream" "tree block $leaf does not fit its pointer (tree 5 (FS_TREE), parent $node slot 0): generation 5 where 7 was expected"
	# the root of a tree: its root item says 7
	$EDIT edit "$T/default.stream" "$T/e.stream" "generation:$node:6"
	not_sound "$T/e.stream" "tree block $node does not fit its pointer (tree 5 (FS_TREE), root item in leaf " \
		"generation 6 where 7 was expected; the tree loses everything in it"
	# the older block taken from an earlier stream of the same filesystem
	$EDIT edit "$T/default.stream" "$T/old.stream" "generation:$leaf:4"
	$EDIT edit "$T/default.stream" "$T/e.stream" "take:$leaf:$T/old.stream"
	not_sound "$T/e.stream" "generation 4 where 7 was expected"
}

@test "a flipped byte: checksum mismatch; with the checksum recomputed, the structure check that breaks" {
	local leaf node slot other l
	scan_case default
	node=$($EDIT blocks "$T/default.stream" | awk '$2 == 5 && $3 == 1 { print $1; exit }')
	# the leaf its pointer in slot 2 leads to
	read -r slot leaf < <($EDIT items "$T/default.stream" "$node" | awk '$1 == 2 { print $1, $5 }')
	$EDIT edit "$T/default.stream" "$T/e.stream" "flip:$leaf:2000"
	not_sound "$T/e.stream" "damaged tree block $leaf (tree 5 (FS_TREE), parent $node slot $slot): checksum mismatch"
	# keys out of order
	$EDIT edit "$T/default.stream" "$T/e.stream" "swapkeys:$leaf:3:4"
	not_sound "$T/e.stream" "damaged tree block $leaf" "keys are not in ascending order"
	# an item's data offset (byte 1 of slot 3's offset field)
	$EDIT edit "$T/default.stream" "$T/e.stream" "flipfix:$leaf:$((101 + 25 * 3 + 18))"
	not_sound "$T/e.stream" "damaged tree block $leaf" "leaf items or their data lie outside the block or overlap"
	# the low bit of the first key's offset, in a leaf whose second key has another objectid or
	# type: still in order, but not the key the parent's pointer says
	other=$(for l in $($EDIT items "$T/default.stream" "$node" | awk '{ print $5 }'); do
		$EDIT items "$T/default.stream" "$l" | awk -v l="$l" 'NR == 1 { o = $2; t = $3 }
			NR == 2 { if ($2 != o || $3 != t) print l; exit }'
	done | head -n 1)
	[ -n "$other" ]
	$EDIT edit "$T/default.stream" "$T/e.stream" "flipfix:$other:$((101 + 9))"
	not_sound "$T/e.stream" "tree block $other does not fit its pointer" "first key ("
	# a node pointer's generation
	$EDIT edit "$T/default.stream" "$T/e.stream" "flipfix:$node:$((101 + 33 * 4 + 25))"
	not_sound "$T/e.stream" "(tree 5 (FS_TREE), parent $node slot 4): generation 7 where 6 was expected"
	# a byte of the header's level: a leaf that reads as a node
	$EDIT edit "$T/default.stream" "$T/e.stream" "flipfix:$leaf:100"
	not_sound "$T/e.stream" "damaged tree block $leaf" "level 1 where 0 was expected"
}

@test "a chunk removed: from the chunk tree (block group without chunk, blocks without place) or from the CHUNK records" {
	local chunk_root slot metadata placed
	scan_case default
	chunk_root=$($EDIT super "$T/default.stream" | awk '{ print $4 }')
	# the chunk that holds every tree but the chunk tree
	metadata=$($EDIT blocks "$T/default.stream" | awk '$2 == 1 { print $1 }')
	read -r slot start < <($EDIT items "$T/default.stream" "$chunk_root" |
		awk -v m="$metadata" '$3 == 228 && $4 <= m { s = $1; o = $4 } END { print s, o }')
	# every tree block but the chunk tree's (in the system chunk) loses its place
	placed=$($EDIT blocks "$T/default.stream" | awk '$2 != 3' | wc -l)
	$EDIT edit "$T/default.stream" "$T/e.stream" "dropitem:$chunk_root:$slot"
	bimg-pack -o "$T/e.img" <"$T/e.stream"
	not_sound "$T/e.img" "block group $start (" "has no chunk" \
		"tree blocks outside every chunk of their kind, which a restore cannot place: $placed ("
	# the record stream still has its CHUNK record for it
	not_sound "$T/e.stream" "chunk $start of the CHUNK records is not in the chunk tree"
	$EDIT edit "$T/default.stream" "$T/e.stream" "dropchunk:$start"
	not_sound "$T/e.stream" "chunk $start (dup) of the chunk tree is missing from the CHUNK records"
}

@test "a data extent removed from a -d stream: the file extent that names it" {
	local logical length
	bimg-scan -d "$(corpus_img default)" >"$T/d.stream"
	sound "$T/d.stream"
	read -r logical length < <($EDIT data "$T/d.stream" | awk '$2 == 1048576 { print; exit }')
	$EDIT edit "$T/d.stream" "$T/e.stream" "dropdata:$logical"
	bimg-pack -o "$T/e.img" <"$T/e.stream"
	not_sound "$T/e.img" "missing data extent $logical ($length bytes): file extent of inode " "in tree 5 (FS_TREE), leaf "
}

@test "a tree block whose header no longer names its address is stored as data: missing, and data in a system chunk" {
	local chunk_root
	scan_case default
	chunk_root=$($EDIT super "$T/default.stream" | awk '{ print $4 }')
	$EDIT edit "$T/default.stream" "$T/e.stream" "flip:$chunk_root:48"
	not_sound "$T/e.stream" "damaged tree block $chunk_root" "header bytenr does not match its address"
	bimg-pack -o "$T/e.img" <"$T/e.stream"
	not_sound "$T/e.img" "missing tree block $chunk_root" "data records outside every data chunk: 1 runs (the first at $chunk_root"
}

@test "truncated images: cut after a cluster (no reader can tell) and inside one; an index pointing beyond the file" {
	# in tree order (-w) the blocks are far apart: many items, two clusters
	btrfs-image.sh -w "$(corpus_img node4k)" "$T/i.img"
	sound "$T/i.img"
	[ "$($IMGEDIT "$T/i.img" /dev/null count-items)" -gt 83 ]
	$IMGEDIT "$T/i.img" "$T/cut.img" keep-clusters 1
	bimg-unpack "$T/cut.img" >/dev/null # the plain reader sees nothing wrong
	not_sound "$T/cut.img" "missing tree block "
	head -c $(($(stat -c %s "$T/i.img") / 2 + 100)) "$T/i.img" >"$T/half.img"
	not_sound "$T/half.img" "verdict:        NOT SOUND: the check could not finish (" "cut short by the end of the image"
	assert_stderr --partial "cut short by the end of the image"
	$IMGEDIT "$T/i.img" "$T/eof.img" past-eof
	not_sound "$T/eof.img" "the check could not finish"
	# the same through a pipe, as JSON
	run --separate-stderr bash -c "cat '$T/eof.img' | bimg-unpack --verify --json -"
	assert_failure 1
	python3 -c 'import json, sys; r = json.load(sys.stdin); assert r["sound"] is False, r' <<<"$output"
}

@test "a --rescue=skip and --rescue=copy dump of a damaged filesystem: which blocks, and what their trees lose" {
	local fs_root below
	scan_case default
	# the root of the fs tree (its highest block), bad in both copies: every other block of it hangs below
	fs_root=$($EDIT blocks "$T/default.stream" | awk '$2 == 5' | sort -k3,3nr | awk 'NR == 1 { print $1 }')
	below=$(($($EDIT blocks "$T/default.stream" | awk '$2 == 5' | wc -l) - 1))
	[ "$below" -gt 0 ]
	$CORRUPT block-csum "$(corpus_img default)" "$T/bad.img" "$fs_root" >/dev/null
	run bimg-scan --rescue=skip "$T/bad.img"
	assert_failure 2
	bimg-scan --rescue=skip "$T/bad.img" >"$T/skip.stream" 2>/dev/null || true
	not_sound "$T/skip.stream" "missing tree block $fs_root (tree 5 (FS_TREE), root item in leaf " \
		"the tree loses everything in it" "bimg-scan --rescue, which found 1 damaged tree blocks" \
		"present but no tree reaches them (not an error in itself), by owner: FS_TREE $below" \
		"(a --rescue dump: the damage bimg-scan found and what it costs)"
	bimg-scan --rescue=copy "$T/bad.img" >"$T/copy.stream" 2>/dev/null || true
	not_sound "$T/copy.stream" "damaged tree block $fs_root (tree 5 (FS_TREE), root item in leaf " \
		"flagged damaged by bimg-scan --rescue=copy"
	# the wrapper: the image is made (exit 2), the report on stderr says what it lacks
	run --separate-stderr btrfs-image.sh --verify --rescue=skip "$T/bad.img" "$T/r.img"
	assert_failure 2
	assert_stderr --partial "bimg-pack: verify: missing tree block $fs_root"
	[ -f "$T/r.img" ]
	not_sound "$T/r.img" "missing tree block $fs_root"
}

@test "btrfs-image.sh --verify: a dump that would be incomplete fails and makes no image; without --verify it is made" {
	local block
	# a pointer cycle in the fs tree: bimg-scan's extent-tree dump does not follow fs tree pointers
	block=$($CORRUPT cycle "$(corpus_img default)" "$T/cycle.img")
	btrfs-image.sh "$T/cycle.img" "$T/plain.img"
	[ -f "$T/plain.img" ]
	run --separate-stderr btrfs-image.sh --verify -c9 "$T/cycle.img" "$T/v.img"
	assert_failure 1
	[ ! -e "$T/v.img" ]
	assert_stderr --regexp "bimg-pack: verify: tree block $block does not fit its pointer \\(tree 5 \\(FS_TREE\\), parent $block slot .*level 1 where 0 was expected"
	[[ $(grep -c "NOT SOUND" <<<"$stderr") -eq 1 ]]
	not_sound "$T/plain.img" "level 1 where 0 was expected"
	# to standard output: the same verdict and exit status
	run --separate-stderr bash -c "btrfs-image.sh --verify '$T/cycle.img' - >'$T/out'"
	assert_failure 1
	assert_stderr --partial "NOT SOUND"
}

@test "btrfs-image.sh --verify IMAGE (receiving side), from a file and a pipe; usage errors" {
	btrfs-image -c9 "$(corpus_img default)" "$T/ref.img"
	run btrfs-image.sh --verify "$T/ref.img"
	assert_success
	assert_line --index -1 --regexp '^verdict:        sound: '
	run bash -c "cat '$T/ref.img' | btrfs-image.sh --verify -t 2 -"
	assert_success
	assert_line --index -1 --regexp '^verdict:        sound: '
	cp "$T/ref.img" "$T/-x.img"
	(cd "$T" && btrfs-image.sh --verify -- -x.img >/dev/null)
	run btrfs-image.sh --verify -c9 "$T/ref.img"
	assert_failure 1
	assert_output --partial "ERROR: --verify with one argument checks an image: only -t goes with it"
	run btrfs-image.sh --verify -r "$T/ref.img" "$T/t"
	assert_failure 1
	assert_output --partial "-r checks what it restores"
	[ ! -e "$T/t" ]
	run btrfs-image.sh --ver
	assert_failure 1
	assert_output --partial "option '--ver' is ambiguous; possibilities: '--version' '--verify'"
	run btrfs-image.sh --vers
	assert_success
	run btrfs-image.sh --help
	assert_output --partial "--verify"
}

@test "bimg-pack --verify: the image of a sound stream is the plain one; a stream that is not sound makes none" {
	local leaf
	scan_case default
	bimg-pack -c9 -o "$T/plain.img" <"$T/default.stream"
	bimg-pack -c9 --verify -o "$T/v.img" <"$T/default.stream" 2>"$T/err"
	cmp "$T/plain.img" "$T/v.img"
	grep -q "^bimg-pack: verify: sound: $($EDIT blocks "$T/default.stream" | wc -l) tree blocks" "$T/err"
	leaf=$($EDIT blocks "$T/default.stream" | awk '$2 == 5 && $3 == 0 { print $1; exit }')
	$EDIT edit "$T/default.stream" "$T/e.stream" "drop:$leaf"
	run --separate-stderr bimg-pack --verify -o "$T/e.img" <"$T/e.stream"
	assert_failure 1
	[ ! -e "$T/e.img" ]
	assert_stderr --partial "bimg-pack: verify: missing tree block $leaf"
	[[ ${stderr##*$'\n'} == "bimg-pack: verify: NOT SOUND: 1 problem" ]]
	# to standard output: the same verdict, exit 1 (the bytes already written cannot be taken back)
	run --separate-stderr bash -c "bimg-pack --verify <'$T/e.stream' >'$T/out'"
	assert_failure 1
	# an upstream failure is reported upstream only: no verdict from bimg-pack
	run --separate-stderr bash -c "head -c 100000 '$T/default.stream' | bimg-pack --verify -o '$T/h.img'"
	assert_failure 1
	refute_stderr --partial "verify:"
	[ ! -e "$T/h.img" ]
}

@test "--json: one object with the trees, the notes and the problems and their paths" {
	local leaf node
	scan_case default
	leaf=$($EDIT blocks "$T/default.stream" | awk '$2 == 5 && $3 == 0 { print $1; exit }')
	node=$($EDIT blocks "$T/default.stream" | awk '$2 == 5 && $3 == 1 { print $1; exit }')
	$EDIT edit "$T/default.stream" "$T/e.stream" "drop:$leaf" "dup:$node"
	run --separate-stderr bimg-unpack --verify --json "$T/e.stream"
	assert_failure 1
	printf '%s\n' "$output" >"$T/report.json"
	python3 - "$T/report.json" "$leaf" "$node" <<'EOF'
import json, sys
leaf, node = int(sys.argv[2]), int(sys.argv[3])
r = json.load(open(sys.argv[1]))
assert r["sound"] is False and r["problems_total"] == 1 and r["missing"] == 1, r
p = r["problems"][0]
assert p["kind"] == "missing" and p["tree"] == 5 and p["parent"] == node and p["slot"] == 0, p
assert str(leaf) in p["text"], p
assert any("stored twice" in n for n in r["notes"]), r["notes"]
assert {t["id"] for t in r["trees"]} >= {1, 2, 3, 4, 5, 7, 9, 10, -9}, r["trees"]
EOF
}

@test "a block stored twice: a note when both are the same, a problem when they differ" {
	local leaf
	scan_case default
	leaf=$($EDIT blocks "$T/default.stream" | awk '$2 == 5 && $3 == 0 { print $1; exit }')
	$EDIT edit "$T/default.stream" "$T/e.stream" "dup:$leaf"
	sound "$T/e.stream"
	assert_output --partial "1 tree blocks are stored twice, the same both times"
	# the first copy older: the restore keeps the second, which is right, but the image is ambiguous
	$EDIT edit "$T/default.stream" "$T/e.stream" "dup:$leaf" "generation:$leaf:3"
	not_sound "$T/e.stream" "two different tree blocks at address $leaf (generations 3 and 7): a restore keeps the later one"
}

@test "hostile pointer graphs end: a node pointing at itself or at its parent" {
	local img
	img=$(corpus_img node4k)
	$CORRUPT cycle "$img" "$T/c.img" >/dev/null
	bimg-scan "$T/c.img" >"$T/c.stream"
	run timeout 20 bimg-unpack --verify "$T/c.stream"
	assert_failure 1
	assert_output --regexp 'level .* where .* was expected'
	$CORRUPT ancestor "$(corpus_img many-small)" "$T/a.img" >/dev/null
	bimg-scan "$T/a.img" >"$T/a.stream"
	run timeout 20 bimg-unpack --verify "$T/a.stream"
	assert_failure 1
	assert_output --partial "does not fit its pointer"
}

@test "out of memory at any point of the check: exit 1, one error line and a failing verdict, never a crash" {
	local kb outcomes=""
	if sanitizer_build; then
		skip "AddressSanitizer build: its shadow memory does not fit under ulimit -v"
	fi
	bimg-scan "$(corpus_img node4k)" | bimg-pack >"$T/n.img"
	# Address-space limits from where the program cannot start its threads to where
	# the check fits: each allocation of the reading and of the checking thread fails in turn.
	for ((kb = 16384; kb <= 49152; kb += 256)); do
		verify_within "$kb"
	done
	[[ $outcomes == *failed* && $outcomes == *sound* ]]
}
