#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# build.sh [--env]
#
# Builds (or reuses) the debug guest kernel: Debian's linux-source-6.1
# (/usr/src/linux-source-6.1.tar.xz), 'make tinyconfig' plus the fragment
# tests/debug-kernel/debug.config (KASAN, lockdep, PROVE_RCU, kmemleak,
# DEBUG_ATOMIC_SLEEP, DEBUG_VM, DEBUG_LIST, SLUB_DEBUG, failslab), bzImage and
# modules (kvm, kvm-amd, irqbypass), installed into a private module tree.
#
# The build is cached in tests/debug-kernel/build/kernel-<key>, where <key>
# is the source package's version and a hash of the fragment and of the
# recipe version below: editing the fragment, bumping the recipe, or
# upgrading linux-source-6.1 rebuilds.  The
# final .config must contain every line of the fragment, or the build fails.
#
# With --env, prints (on stdout, shell syntax) where the result is:
#   DEBUG_KDIR      kernel build dir, for 'make -C $DEBUG_KDIR M=... modules'
#   DEBUG_IMAGE     the bzImage
#   DEBUG_KREL      its release string (uname -r)
#   DEBUG_MODDIR    its /lib/modules/<release> (kernel/arch/x86/kvm/kvm.ko, ...)
# Progress and the build log go to stderr and to <build dir>/build.log.
#
# Environment: DEBUG_KERNEL_JOBS (make -j, default: number of CPUs),
# DEBUG_KERNEL_SOURCE (default /usr/src/linux-source-6.1.tar.xz).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=$here/build
fragment=$here/debug.config
tarball=${DEBUG_KERNEL_SOURCE:-/usr/src/linux-source-6.1.tar.xz}
jobs=${DEBUG_KERNEL_JOBS:-$(nproc)}

die() { echo "debug-kernel: error: $*" >&2; exit 1; }
note() { echo "debug-kernel: $*" >&2; }

print_env=0
case "${1:-}" in
--env) print_env=1 ;;
"") ;;
*) echo "usage: $0 [--env]" >&2; exit 2 ;;
esac

[ -r "$tarball" ] || die "$tarball missing (apt-get install linux-source-6.1)"
pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || true)
[ -n "$pkgver" ] || pkgver=unpackaged-$(stat -c %Y "$tarball")
for tool in make gcc bc bison flex perl xz; do
	command -v "$tool" >/dev/null || die "$tool not found (see the README's package list)"
done
[ -e /usr/include/libelf.h ] || die "libelf.h not found (apt-get install libelf-dev)"
[ -e /usr/include/openssl/opensslv.h ] || die "openssl headers not found (apt-get install libssl-dev)"

# Bump when the way the kernel is built changes (not for edits elsewhere in
# this script), so that such a change rebuilds.
recipe=1
key=$pkgver-$( (cat "$fragment"; echo "recipe=$recipe") | sha256sum | cut -c1-12)
src=$cache/src-$pkgver/linux-source-6.1
obj=$cache/kernel-$key
mkdir -p "$cache"

# One build at a time (two lanes may ask at once).
exec 9>"$cache/.lock"
flock 9

emit_env() {
	local krel
	krel=$(cat "$obj/include/config/kernel.release")
	if [ "$print_env" = 1 ]; then
		printf 'DEBUG_KDIR=%q\n' "$obj"
		printf 'DEBUG_IMAGE=%q\n' "$obj/arch/x86/boot/bzImage"
		printf 'DEBUG_KREL=%q\n' "$krel"
		printf 'DEBUG_MODDIR=%q\n' "$obj/modroot/lib/modules/$krel"
	fi
}

if [ -f "$obj/.done" ]; then
	note "cached: $obj ($(cat "$obj/.done"))"
	ln -sfn "kernel-$key" "$cache/current"
	emit_env
	exit 0
fi

start=$(date +%s)
if [ ! -f "$src/.extracted" ]; then
	note "extracting $tarball (linux-source-6.1 $pkgver)"
	rm -rf "$cache/src-$pkgver"
	mkdir -p "$cache/src-$pkgver"
	tar -xJf "$tarball" -C "$cache/src-$pkgver"
	[ -f "$src/Makefile" ] || die "unexpected tarball layout: no $src/Makefile"
	touch "$src/.extracted"
fi
# Older builds of other keys are dead weight (each is ~1 GiB with KASAN).
for old in "$cache"/kernel-*; do
	[ -d "$old" ] && [ "$old" != "$obj" ] && { note "removing stale $old"; rm -rf "$old"; }
done
rm -rf "$obj"
mkdir -p "$obj"
log=$obj/build.log
: >"$log"

kmake() { make -C "$src" O="$obj" ARCH=x86_64 "$@" >>"$log" 2>&1 ||
	{ tail -n 40 "$log" >&2; die "make $* failed (full log: $log)"; }; }

note "configuring: tinyconfig + $(basename "$fragment")"
kmake tinyconfig
(cd "$obj" && ARCH=x86_64 "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment") >>"$log" 2>&1 ||
	die "merge_config.sh failed (log: $log)"
kmake olddefconfig

# Every line of the fragment must be in the final .config.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qxF -- "$line" "$obj/.config" || {
			note "config: wanted '$line', got '$(grep -E "^(# )?${line%%=*}[= ]" "$obj/.config" || echo "absent (dependency missing?)")'"
			missing=$((missing + 1))
		} ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$obj/.config" || {
			note "config: wanted '$line', got '$(grep "^$opt=" "$obj/.config")'"
			missing=$((missing + 1))
		} ;;
	esac
done <"$fragment"
[ "$missing" = 0 ] || die "$missing option(s) of $fragment did not make it into $obj/.config"
note "config verified: every option of the fragment is set"

note "building bzImage and modules with -j$jobs (log: $log)"
kmake -j"$jobs" bzImage modules
kmake INSTALL_MOD_PATH="$obj/modroot" modules_install
krel=$(cat "$obj/include/config/kernel.release")
for m in arch/x86/kvm/kvm.ko arch/x86/kvm/kvm-amd.ko virt/lib/irqbypass.ko; do
	[ -f "$obj/modroot/lib/modules/$krel/kernel/$m" ] || die "modules_install did not produce $m"
done
end=$(date +%s)
echo "built $(date -u +%FT%TZ) in $((end - start))s, release $krel" >"$obj/.done"
ln -sfn "kernel-$key" "$cache/current"
note "built $krel in $((end - start))s: $obj"
emit_env
