#!/usr/bin/env bats
# Sanitizing fails closed against blocks whose checksum is right but whose bytes are not what
# they claim (docs/robustness.md, "Sanitizing fails closed"): a name item whose key type byte
# was damaged before the block was checksummed, xattr names in namespaces the sanitizer does
# not replace, a header that is not the block's own, bytes in the checksum field past the
# digest.  Each case starts from a real filesystem's stream (the corpus's default case),
# damaged with tests/lib/streamedit.py, and checks that no source name of 5 bytes or more is
# left in the sanitized stream or its image, with -s and -ss.

load lib/common

CHECK="$ROOT/tests/lib/sanitize-check.py"
EDIT="$ROOT/tests/lib/streamedit.py"

setup_file() {
	make -C "$ROOT" -s bin/bimg-scan bin/bimg-sanitize bin/bimg-pack bin/bimg-unpack >/dev/null
}

setup() {
	T=$BATS_TEST_TMPDIR
	bimg-scan "$(corpus_img default)" >"$T/clean.strm"
}

# damage EDIT...: $T/in.strm is the default case's stream with the edits, $T/plain.img its image.
damage() {
	python3 "$EDIT" edit "$T/clean.strm" "$T/in.strm" "$@"
	bimg-pack -o "$T/plain.img" <"$T/in.strm"
}

# sanitize MODE: $T/in.strm through bimg-sanitize MODE into $T/san.strm and $T/san.img; stderr
# in $stderr.
sanitize() {
	run --separate-stderr bash -c "bimg-sanitize $1 --seed 1 <'$T/in.strm' >'$T/san.strm'"
	assert_success
	bimg-pack -o "$T/san.img" <"$T/san.strm"
}

# no_names: no name of 5 bytes or more of $T/plain.img is in the sanitized stream or image.
no_names() {
	run python3 "$CHECK" --names-absent "$T/plain.img" "$T/san.strm" "$T/san.img"
	assert_success
}

# absent TEXT: TEXT occurs neither in the sanitized stream nor in any inflated item of its image.
absent() {
	! grep -qaF -- "$1" "$T/san.strm"
	bimg-unpack "$T/san.img" >"$T/san-back.strm"
	! grep -qaF -- "$1" "$T/san-back.strm"
}

# retyped TYPE WHY: a dir index item with a name of 5 bytes or more gets key type TYPE (its
# checksum recomputed); WHY is the reason the sanitizer gives, or "" if the item passes.
retyped() {
	local logical slot name mode
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 96 5)
	damage "retype:$logical:$slot:$1"
	for mode in -s -ss; do
		sanitize $mode
		if [[ -n $2 ]]; then
			assert_stderr --partial "bimg-sanitize: warning: tree block $logical: $2: zeroed after its header" ||
				{ echo "mode $mode"; return 1; }
		else
			refute_stderr --partial zeroed || { echo "mode $mode"; return 1; }
		fi
		no_names || { echo "mode $mode"; return 1; }
		absent "$name" || { echo "mode $mode: $name"; return 1; }
	done
}

@test "a dir index item retyped as an unknown type (97): the leaf is wiped" {
	retyped 97 "item of a type the sanitizer does not know"
}

@test "a dir index item retyped as a dir log item (60, 8 bytes): the leaf is wiped" {
	retyped 60 "item of the wrong size for its type"
}

@test "a dir index item retyped as an orphan item (48, no data): the leaf is wiped" {
	retyped 48 "item of the wrong size for its type"
}

@test "a dir index item retyped as the test-only string item (253): the leaf is wiped" {
	retyped 253 "item of a type the sanitizer does not know"
}

@test "a dir index item retyped as an extent item (168): its inline references do not parse, the leaf is wiped" {
	retyped 168 "extent item with an inline reference of unknown type"
}

@test "a dir index item retyped as a checksum item (128) outside the checksum objectid: the leaf is wiped" {
	retyped 128 "checksum item under another objectid"
}

@test "a dir index item retyped as a verity Merkle item (37): its bytes are zeroed, the leaf passes" {
	retyped 37 ""
}

@test "a dir index item retyped as an xattr item (24): a name in no namespace is replaced whole" {
	retyped 24 ""
}

# An xattr name of 15 bytes renamed in place (the hash in its key no longer matches, which
# the sanitizer does not look at).
xattr_renamed() {
	local logical slot name mode
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 24 15)
	[ ${#name} -eq 15 ]
	damage "rename:$logical:$slot:$1"
	for mode in -s -ss; do
		sanitize $mode
		absent "${1#*.}" || { echo "mode $mode"; return 1; }
		no_names || { echo "mode $mode"; return 1; }
	done
}

@test "an xattr name in the security namespace that no security module defines is replaced after the namespace" {
	xattr_renamed security.LEAKME
	grep -qaF security. "$T/san.strm"
}

@test "an xattr name in no namespace (a damaged one) is replaced whole" {
	xattr_renamed xyzzyplugh.LEAK
}

# overwritten_header OFFSET [damaged]: a leaf with text written at OFFSET, its checksum kept
# (flagged DAMAGED in the stream if asked).
overwritten_header() {
	local logical slot name mode
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 96 5)
	damage "text:$logical:$1:LEAKMEheaderLEAKME" ${2:+"$2:$logical"}
	for mode in -s -ss; do
		sanitize $mode
		absent LEAKME || { echo "mode $mode"; return 1; }
		no_names || { echo "mode $mode"; return 1; }
	done
}

@test "a block whose fsid is text (flagged damaged): zeroed whole, header too" {
	overwritten_header 32 damaged
	assert_stderr --partial "flagged damaged in the stream, and its header is not this block's (address or fsid): zeroed whole"
}

@test "a block whose checksum field and fsid are text (checksum mismatch): zeroed whole" {
	overwritten_header 20
	assert_stderr --partial "checksum mismatch, and its header is not this block's (address or fsid): zeroed whole"
}

@test "a damaged block whose own header is right keeps it, but not the text in its chunk tree uuid" {
	overwritten_header 64 damaged
	refute_stderr --partial "zeroed whole"
}

@test "a sound leaf with text in its checksum field past the crc32c digest: the text is zeroed" {
	local logical slot name mode
	read -r logical slot name < <(python3 "$EDIT" find "$T/clean.strm" 96 5)
	damage "text:$logical:4:LEAKMEcsum"
	for mode in -s -ss; do
		sanitize $mode
		refute_stderr --partial zeroed
		absent LEAKME || { echo "mode $mode"; return 1; }
		no_names || { echo "mode $mode"; return 1; }
	done
}
