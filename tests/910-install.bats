#!/usr/bin/env bats
# make install / make uninstall into a DESTDIR, and the installed wrapper
# running the installed stages (not the ones in the source tree).

load lib/common

PROGRAMS=(bimg-scan bimg-sanitize bimg-pack bimg-unpack bimg-fixchunks btrfs-image.sh)

setup() {
	DEST=$BATS_TEST_TMPDIR/dest
	cd "$BATS_TEST_TMPDIR" || return 1
}

install_into_dest() {
	make -C "$ROOT" -s install DESTDIR="$DEST" PREFIX=/usr >make.log 2>&1 || {
		cat make.log
		return 1
	}
}

# PATH without the source tree's bin/ (lib/common puts it first).
path_without_repo() {
	local dir out=
	local IFS=:
	for dir in $PATH; do
		[[ $dir == "$BIN" || $dir == "$ROOT" || $dir == "$ROOT/"* ]] && continue
		out=${out:+$out:}$dir
	done
	printf '%s\n' "$out"
}

@test "make install puts the programs, the wrapper and the man pages under DESTDIR/PREFIX" {
	install_into_dest
	local p page
	for p in "${PROGRAMS[@]}"; do
		echo "program: $p"
		[[ -f $DEST/usr/bin/$p && -x $DEST/usr/bin/$p ]]
		cmp "$BIN/$p" "$DEST/usr/bin/$p"
	done
	for page in "$ROOT"/docs/man/*.1; do
		echo "page: $page"
		cmp "$page" "$DEST/usr/share/man/man1/${page##*/}"
		[[ $(stat -c %a "$DEST/usr/share/man/man1/${page##*/}") == 644 ]]
	done
	for p in "${PROGRAMS[@]}"; do
		echo "page for: $p"
		[[ -f $DEST/usr/share/man/man1/$p.1 ]]
	done
	# nothing outside PREFIX
	[[ $(find "$DEST" -mindepth 1 -maxdepth 1) == "$DEST/usr" ]]
}

@test "the installed programs run and know their version" {
	install_into_dest
	local p version
	version=$(cat "$ROOT/VERSION")
	for p in "${PROGRAMS[@]}"; do
		run env PATH="$(path_without_repo)" "$DEST/usr/bin/$p" --version
		echo "$p: $output"
		assert_success
		assert_output "$p (bimg) $version"
	done
}

@test "the installed wrapper runs the installed stages and dumps like the source tree" {
	local fs
	fs=$(corpus_img default)
	install_into_dest
	# no stage reachable from the source tree: PATH without bin/, and the
	# installed wrapper looks only beside itself and in PATH
	PATH=$(path_without_repo) "$DEST/usr/bin/btrfs-image.sh" -c0 "$fs" installed.img
	"$ROOT/btrfs-image.sh" -c0 "$fs" source-tree.img
	[[ -s installed.img ]]
	cmp installed.img source-tree.img
}

@test "the installed wrapper fails clearly when a stage is missing" {
	local fs
	fs=$(corpus_img default)
	install_into_dest
	rm "$DEST/usr/bin/bimg-pack"
	run env PATH="$(path_without_repo)" "$DEST/usr/bin/btrfs-image.sh" -c0 "$fs" out.img
	echo "$output"
	assert_failure 1
	assert_output --partial 'bimg-pack'
	[[ ! -e out.img ]]
}

@test "make uninstall removes everything make install put there" {
	install_into_dest
	make -C "$ROOT" -s uninstall DESTDIR="$DEST" PREFIX=/usr
	local left
	left=$(find "$DEST" -type f -o -type l)
	echo "left behind: $left"
	[[ -z $left ]]
}

@test "make install honours PREFIX" {
	make -C "$ROOT" -s install DESTDIR="$DEST" PREFIX=/opt/bimg >make.log 2>&1 || { cat make.log; false; }
	[[ -x $DEST/opt/bimg/bin/btrfs-image.sh && -f $DEST/opt/bimg/share/man/man1/btrfs-image.sh.1 ]]
	[[ ! -e $DEST/usr ]]
}
