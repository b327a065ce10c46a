#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# check-dkms.sh [KERNEL_RELEASE]: check that dkms.conf builds the module.
# Copies the module's sources to /usr/src/kvm-memslot-<version>, runs
# `dkms add` and `dkms build` against the installed headers (default: the
# kernel the module's KDIR would pick), checks the .ko it made, and then
# `dkms remove`s and deletes everything again, whatever happened.  Needs
# root and dkms (both are what make test runs with).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "check-dkms: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (dkms writes /usr/src and /var/lib/dkms)"
command -v dkms >/dev/null || die "dkms is not installed (scripts/setup.sh)"
name=$(sed -n 's/^PACKAGE_NAME="\(.*\)"$/\1/p' "$top/dkms.conf")
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$name" ] && [ -n "$ver" ] || die "no PACKAGE_NAME/PACKAGE_VERSION in dkms.conf"
if [ $# -gt 0 ]; then
	kver=$1
else
	kdir=$(ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1)
	[ -n "$kdir" ] || die "no kernel headers in /lib/modules/*/build"
	kver=$(basename "$(dirname "$kdir")")
fi
src=/usr/src/$name-$ver
# Never touch an installation that is not ours.
[ ! -e "$src" ] || die "$src exists: remove it (dkms remove $name/$ver --all) first"
dkms status "$name/$ver" 2>/dev/null | grep -q . &&
	die "dkms already knows $name/$ver: remove it first"

# dkms makes itself a module signing key on its first build: if that
# first build is ours, so is the key.
had_key=0; [ -e /var/lib/dkms/mok.key ] && had_key=1
cleanup() {
	dkms remove "$name/$ver" --all >/dev/null 2>&1 || true
	rm -rf "$src" "/var/lib/dkms/$name/$ver"
	rmdir "/var/lib/dkms/$name" 2>/dev/null || true
	[ $had_key = 1 ] || rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
}
trap cleanup EXIT INT TERM

# The sources only: no object of an in-tree build may come along.
mkdir -p "$src"
(cd "$top" && find Kbuild Makefile dkms.conf LICENSE scripts include virt arch \
	-type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile -o \
	-name dkms.conf -o -name LICENSE -o -path 'scripts/*' \) -print |
	cpio -pdm --quiet "$src")

dkms add "$name/$ver"
if ! dkms build "$name/$ver" -k "$kver"; then
	cat "/var/lib/dkms/$name/$ver/build/make.log" 2>/dev/null | tail -n 40 >&2
	die "dkms build of $name/$ver for $kver failed"
fi
ko=$(find "/var/lib/dkms/$name/$ver/$kver" -name 'kvm_memslot.ko*' | head -n 1)
[ -n "$ko" ] || die "dkms build left no kvm_memslot.ko"
[ "$(modinfo -F vermagic "$ko" | awk '{print $1}')" = "$kver" ] ||
	die "$ko is not built for $kver"
echo "check-dkms: dkms built $name/$ver for $kver ($(basename "$ko")); removed again"
