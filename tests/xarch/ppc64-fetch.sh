#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# ppc64-fetch.sh [--check]: put what the ppc64 oracle lane boots into
# tests/xarch/cache-ppc64/ (gitignored): Debian's newest
# linux-image-6.1.0-*-powerpc64le and busybox-static:ppc64el, fetched with
# apt-get download and unpacked with dpkg-deb -x, never installed.
# scripts/setup.sh runs it; so does tests/xarch/ppc64.sh.  When the cache
# is complete it only looks at one stamp file.  Adding the ppc64el dpkg
# architecture and updating apt's lists needs root; as another user it
# prints the commands and fails, as setup.sh does for packages.
#
#   --check: report what is missing, change nothing
set -eu

cache=$(cd "$(dirname "$0")" && pwd)/cache-ppc64
stamp=$cache/ready
[ -s "$stamp" ] && [ -d "$cache/root/lib/modules/$(cat "$stamp")" ] && exit 0
if [ "${1:-}" = --check ]; then
	echo "ppc64-fetch: $cache is missing or incomplete" >&2
	exit 1
fi

asroot() {
	if [ "$(id -u)" = 0 ]; then
		"$@" >&2
	else
		echo "ppc64-fetch: needs root: sudo $*" >&2
		exit 1
	fi
}
if ! dpkg --print-foreign-architectures | grep -qx ppc64el; then
	asroot dpkg --add-architecture ppc64el
	asroot apt-get update
fi
# The newest 6.1 ABI the lists offer (the lists may still be amd64-only).
newest() {
	apt-cache pkgnames linux-image-6.1.0- 2>/dev/null |
		grep -E '^linux-image-6\.1\.0-[0-9]+-powerpc64le$' | sort -V | tail -n 1
}
kpkg=$(newest)
if [ -z "$kpkg" ]; then
	asroot apt-get update
	kpkg=$(newest)
fi
[ -n "$kpkg" ] || { echo "ppc64-fetch: no linux-image-6.1.0-*-powerpc64le in apt's lists" >&2; exit 1; }
kver=${kpkg#linux-image-}

echo "ppc64-fetch: fetching $kpkg and busybox-static (ppc64el) into $cache" >&2
rm -rf "$cache"
mkdir -p "$cache/debs"
# apt's sandbox user may not write here; the warning says so and is harmless.
(cd "$cache/debs" && apt-get download -q "$kpkg:ppc64el" busybox-static:ppc64el >&2)
for d in "$cache"/debs/*.deb; do
	dpkg-deb -x "$d" "$cache/root"
done
[ -r "$cache/root/boot/vmlinux-$kver" ] || { echo "ppc64-fetch: no vmlinux-$kver in $kpkg" >&2; exit 1; }
[ -x "$cache/root/bin/busybox" ] || { echo "ppc64-fetch: no busybox in busybox-static" >&2; exit 1; }
rm -rf "$cache/debs"
echo "$kver" >"$stamp"
