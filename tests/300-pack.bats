#!/usr/bin/env bats
# bimg-pack: byte-identical images (P4) from record streams, temp file
# handling, and closed stdout.  The streams come from bimg-unpack of a
# reference image (self-contained) and, once it exists, from bimg-scan.

load lib/common

setup() {
	TMP=$(mktemp -d)
}

teardown() {
	rm -rf "$TMP"
}

# ref_vs_ours CASE LEVEL [-w]: reference image re-packed through our pipeline must be identical.
ref_vs_ours() {
	local img=$1 level=$2 walk=${3:-} t
	btrfs-image $walk -c"$level" "$img" "$TMP/ref.img"
	for t in 1 2; do
		rm -f "$TMP/ours.img"
		bimg-unpack "$TMP/ref.img" | bimg-pack -c"$level" -t"$t" -o "$TMP/ours.img"
		cmp "$TMP/ref.img" "$TMP/ours.img" || {
			echo "differs: $img -c$level $walk -t$t"
			return 1
		}
	done
}

@test "unpack | pack reproduces reference images byte for byte (levels 0 1 9, -t 1 and 2)" {
	local cases c level n=0
	cases=$(corpus_cases single-crc32c)
	[[ -n $cases ]] || skip "no corpus at $CORPUS"
	for c in $cases; do
		for level in 0 1 9; do
			ref_vs_ours "$(corpus_img "$c")" "$level"
			n=$((n + 1))
		done
	done
	echo "checked $n images"
}

@test "unpack | pack reproduces reference -w images" {
	local cases c level
	cases=$(corpus_cases single-crc32c)
	[[ -n $cases ]] || skip "no corpus at $CORPUS"
	for c in $cases; do
		for level in 0 6; do
			ref_vs_ours "$(corpus_img "$c")" "$level" -w
		done
	done
}

@test "the round trip covers images of several clusters" {
	local img clusters
	img=$(corpus_img subvol-snap)
	btrfs-image -c0 "$img" "$TMP/ref.img"
	clusters=$(bimg-unpack --info "$TMP/ref.img" | awk '/^clusters:/ { print $2 }')
	[[ $clusters -ge 2 ]]
	bimg-unpack "$TMP/ref.img" | bimg-pack -o "$TMP/ours.img"
	cmp "$TMP/ref.img" "$TMP/ours.img"
}

@test "pack to standard output equals pack to a file" {
	local img
	img=$(corpus_img default)
	btrfs-image -c1 "$img" "$TMP/ref.img"
	bimg-unpack "$TMP/ref.img" | bimg-pack -c1 >"$TMP/stdout.img"
	bimg-unpack "$TMP/ref.img" | bimg-pack -c1 -o - >"$TMP/dash.img"
	cmp "$TMP/ref.img" "$TMP/stdout.img"
	cmp "$TMP/ref.img" "$TMP/dash.img"
}

@test "bimg-scan | bimg-pack equals btrfs-image (P4)" {
	[[ -x $BIN/bimg-scan ]] || skip "bin/bimg-scan is not built yet"
	local cases c level
	cases=$(corpus_cases single-crc32c)
	[[ -n $cases ]] || skip "no corpus at $CORPUS"
	for c in $cases; do
		for level in 0 1 9; do
			btrfs-image -c"$level" "$(corpus_img "$c")" "$TMP/ref.img"
			bimg-scan "$(corpus_img "$c")" | bimg-pack -c"$level" -o "$TMP/ours.img"
			cmp "$TMP/ref.img" "$TMP/ours.img" || {
				echo "differs: $c -c$level"
				return 1
			}
		done
	done
}

@test "a truncated stream fails and leaves no output file" {
	local img size
	img=$(corpus_img default)
	btrfs-image -c0 "$img" "$TMP/ref.img"
	bimg-unpack "$TMP/ref.img" >"$TMP/stream"
	size=$(stat -c %s "$TMP/stream")
	mkdir "$TMP/out"
	run bimg-pack -o "$TMP/out/x.img" < <(head -c $((size / 2)) "$TMP/stream")
	[[ $status -eq 1 ]]
	[[ $output == *"bimg-pack: "*truncated* ]]
	[[ -z $(ls -A "$TMP/out") ]]
	# missing END record only
	run bimg-pack -o "$TMP/out/x.img" < <(head -c $((size - 64)) "$TMP/stream")
	[[ $status -eq 1 ]]
	[[ -z $(ls -A "$TMP/out") ]]
}

@test "an upstream ERROR record fails quietly and leaves no output file" {
	local img
	img=$(corpus_img default)
	btrfs-image -c0 "$img" "$TMP/ref.img"
	# corrupt the last item's size so bimg-unpack dies after writing some records
	python3 "$ROOT/tests/lib/imgedit.py" "$TMP/ref.img" "$TMP/bad.img" past-eof
	mkdir "$TMP/out"
	run bash -c "'$BIN/bimg-unpack' '$TMP/bad.img' | '$BIN/bimg-pack' -o '$TMP/out/x.img'; echo \"status \${PIPESTATUS[*]}\""
	[[ $output == *"status 1 1"* ]]
	# one message only: bimg-unpack's; bimg-pack stays quiet
	[[ $(grep -c '^bimg-' <<<"$output") -eq 1 ]]
	[[ $output == *"bimg-unpack: "* ]]
	[[ -z $(ls -A "$TMP/out") ]]
}

@test "a closed standard output is an error, not a silent death" {
	local img
	# several MiB: more than a pipe buffer holds
	img=$(corpus_img subvol-snap)
	btrfs-image -c0 "$img" "$TMP/ref.img"
	bimg-unpack "$TMP/ref.img" >"$TMP/stream"
	run bash -c "'$BIN/bimg-pack' <'$TMP/stream' | head -c 10 >/dev/null; echo \"status \${PIPESTATUS[0]}\""
	[[ $output == *"status 1"* ]]
	[[ $output == *"bimg-pack: "*"standard output"* ]]
}

@test "the output file gets the usual mode and replaces an old one" {
	local img
	img=$(corpus_img default)
	btrfs-image -c1 "$img" "$TMP/ref.img"
	echo old >"$TMP/x.img"
	(umask 022 && bimg-unpack "$TMP/ref.img" | bimg-pack -c1 -o "$TMP/x.img")
	cmp "$TMP/ref.img" "$TMP/x.img"
	[[ $(stat -c %a "$TMP/x.img") == 644 ]]
	[[ $(ls -A "$TMP" | wc -l) -eq 2 ]]
}

@test "bimg-pack rejects bad usage and answers --help and --version" {
	run bimg-pack -c 10
	[[ $status -eq 1 ]]
	run bimg-pack -t 33
	[[ $status -eq 1 ]]
	run bimg-pack extra
	[[ $status -eq 1 ]]
	run bimg-pack --help
	[[ $status -eq 0 && $output == Usage:* ]]
	run bimg-pack --version
	[[ $status -eq 0 && $output == "bimg-pack (bimg) "* ]]
}
