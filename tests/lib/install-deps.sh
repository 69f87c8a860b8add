#!/bin/sh
# Install what building and testing bimg needs (Debian).  As root it runs
# apt-get for anything missing; otherwise it only reports what is missing.
# Fails loudly: a missing dependency is an error, never a silent skip.
set -eu

PKGS="build-essential zlib1g-dev libdeflate-dev uuid-dev libxxhash-dev libgcrypt20-dev libisal-dev bats bats-assert bats-support
btrfs-progs python3 util-linux e2fsprogs clang libclang-rt-14-dev pigz hyperfine man-db groff-base time xxd xz-utils gdb strace"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || { echo "install-deps: apt-get update failed" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "install-deps: apt-get install failed for:$missing" >&2; exit 1; }
