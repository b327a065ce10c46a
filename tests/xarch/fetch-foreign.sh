#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# fetch-foreign.sh [--check] ARCH KERNEL_FLAVOUR PACKAGE...: put Debian's newest
# linux-image-6.1.0-<abi>-KERNEL_FLAVOUR of architecture ARCH, and the
# other PACKAGEs of ARCH, unpacked (dpkg-deb -x, never installed) into
# tests/xarch/cache/ARCH/root, for the cross-architecture lanes.  Run by
# scripts/setup.sh; shared by the lanes (one call per architecture).
#
# The newest kernel is found with apt-cache when the cache is missing or
# the apt lists changed since it was filled; otherwise this only stats two
# files.  As root it adds ARCH to dpkg's foreign architectures (and runs
# apt-get update) if needed; as another user it says what to run and fails.
# --check: only say whether the cache is filled (exit 1 if not).
# XARCH_DEB_DIR=DIR: take a .deb from DIR when it holds the very file
# (a local download cache), instead of downloading it.
set -eu

check=0
if [ "${1:-}" = --check ]; then
	check=1
	shift
fi
arch=$1 flavour=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
cache=$here/cache/$arch
stamp=$cache/.done
lists=/var/lib/apt/lists

if [ -e "$stamp" ] && [ ! "$lists" -nt "$stamp" ]; then
	exit 0
fi
if [ "$check" = 1 ]; then
	[ -e "$stamp" ] && exit 0
	echo "setup: no $arch kernel in $cache yet" >&2
	exit 1
fi

if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	cmd="dpkg --add-architecture $arch && apt-get update"
	if [ "$(id -u)" != 0 ]; then
		echo "setup: the $arch lane needs the $arch package lists; as root run:" >&2
		echo "    sudo sh -c '$cmd'" >&2
		exit 1
	fi
	echo "setup: adding the $arch architecture to dpkg" >&2
	dpkg --add-architecture "$arch"
	apt-get update >&2
fi

kernel=$(apt-cache search --names-only "^linux-image-6\.1\.0-[0-9]+-$flavour\$" |
	 awk '{ print $1 }' | sort -V | tail -n 1)
[ -n "$kernel" ] || { echo "setup: no linux-image-6.1.0-*-$flavour for $arch" >&2; exit 1; }
if [ -e "$stamp" ] && [ "$(cat "$stamp")" = "$kernel $*" ]; then
	touch "$stamp"
	exit 0
fi

echo "setup: fetching $kernel:$arch $* (unpacked into $cache, not installed)" >&2
rm -rf "$cache"
mkdir -p "$cache/debs" "$cache/root"
for p in "$kernel" "$@"; do
	f=
	if [ -n "${XARCH_DEB_DIR:-}" ]; then
		v=$(apt-cache show --no-all-versions "$p:$arch" | sed -n 's/^Version: //p' | head -n 1)
		f=$XARCH_DEB_DIR/${p}_$(echo "$v" | sed 's/:/%3a/')_$arch.deb
		[ -f "$f" ] && cp "$f" "$cache/debs/" || f=
	fi
	# As root apt-get warns that it cannot drop privileges for a download
	# into this directory: harmless, the file is checked by apt anyway.
	[ -n "$f" ] || (cd "$cache/debs" && apt-get download -q "$p:$arch" 2>&1 |
			grep -v 'unsandboxed as root' >&2 || true)
	ls "$cache/debs/${p}_"*"_$arch.deb" >/dev/null 2>&1 ||
		{ echo "setup: could not download $p:$arch" >&2; exit 1; }
done
for d in "$cache"/debs/*.deb; do
	dpkg-deb -x "$d" "$cache/root"
done
rm -rf "$cache/debs"
echo "$kernel $*" >"$stamp"
