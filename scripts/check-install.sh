#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Run "make install" into a scratch DESTDIR and check that it put exactly
# what a distribution needs where it expects it: the module under
# lib/modules/<release>/, the udev rule that gives /dev/kvm-memslot the
# mode and group of /dev/kvm, and the extension's uapi header.  Nothing is
# installed outside the scratch directory.
#
# Usage: scripts/check-install.sh   (from the top of the tree, after "make")
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$dest" "$log"' EXIT
fail=0

bad() {
	echo "check-install: FAIL: $*" >&2
	fail=1
}

# Signing is skipped (with a message) where the distribution's key is
# absent; that is not an error of ours.
if ! make -C "$top" --no-print-directory install DESTDIR="$dest" >"$log" 2>&1; then
	cat "$log" >&2
	bad "make install DESTDIR=$dest failed"
	exit 1
fi

ko=$(find "$dest/lib/modules" -name 'kvm_memslot.ko*' -type f 2>/dev/null | head -n 1)
if [ -z "$ko" ]; then
	bad "no kvm_memslot.ko under \$DESTDIR/lib/modules"
elif ! cmp -s "$ko" "$top/kvm_memslot.ko" && ! modinfo -F name "$ko" 2>/dev/null | grep -qx kvm_memslot; then
	bad "${ko#"$dest"} is not the module that was built"
else
	echo "check-install: module      ${ko#"$dest"}"
fi

rule="$dest/usr/lib/udev/rules.d/65-kvm-memslot.rules"
if [ ! -f "$rule" ]; then
	bad "no udev rule at /usr/lib/udev/rules.d/65-kvm-memslot.rules"
elif ! grep -Eq '^[^#]*KERNEL=="kvm-memslot".*GROUP="kvm".*MODE="0660"' "$rule"; then
	bad "the udev rule does not give kvm-memslot group kvm and mode 0660"
else
	echo "check-install: udev rule   ${rule#"$dest"}"
fi

hdr="$dest/usr/include/linux/kvm_memslot.h"
if [ ! -f "$hdr" ]; then
	bad "no uapi header at /usr/include/linux/kvm_memslot.h"
elif ! cmp -s "$hdr" "$top/include/uapi/linux/kvm_memslot.h"; then
	bad "the installed header differs from include/uapi/linux/kvm_memslot.h"
elif ! printf '#include <linux/kvm_memslot.h>\nint main(void) { return 0; }\n' |
	${CC:-cc} -x c -I"$dest/usr/include" -fsyntax-only - 2>&1; then
	bad "the installed header does not compile in userspace"
else
	echo "check-install: uapi header ${hdr#"$dest"}"
fi

# Anything else installed is a surprise worth a look.
extra=$(cd "$dest" && find . -type f ! -path './lib/modules/*' \
	! -path ./usr/lib/udev/rules.d/65-kvm-memslot.rules \
	! -path ./usr/include/linux/kvm_memslot.h)
[ -z "$extra" ] || bad "unexpected files installed: $extra"

if [ $fail -ne 0 ]; then
	echo "==== install-check: FAILED"
	exit 1
fi
echo "==== install-check: passed"
