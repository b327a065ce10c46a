#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# ppc64.sh: the PowerPC oracle lane (make xarch-ppc64).
#
# 1. Boots Debian's ppc64el 6.1 kernel (tests/xarch/ppc64-fetch.sh puts it
#    in tests/xarch/cache-ppc64/) under qemu-system-ppc64 -M powernv9
#    -cpu power9 -accel tcg, with the host MMU in hash mode (disable_radix)
#    so that KVM-HV's VMs are HPT guests, the mode the module's Book3S HV
#    backend models.  In it, insmod kvm.ko kvm-hv.ko and run, against
#    /dev/kvm: ppc64-probe (the table of KVM-HV's memslot answers) and the
#    ABI selftests, cross-compiled statically, with the module's VM type
#    (--vm-type) that ppc64-kvm-type.c turns into KVM-HV's type 0.
# 2. Boots the x86 guest lane (tests/vm/run.sh, in its demo mode so that
#    the run is this lane's own) and runs the same selftests against
#    /dev/kvm-memslot with the KVM_MEMSLOT_VM_PPC_BOOK3S_HV VM type.
#    Also ppc64-hcall.c, a script of hypercalls (H_ENTER, H_READ,
#    H_PROTECT, H_REMOVE, H_BULK_REMOVE), guest stores, slot moves and deletes and
#    dirty-log harvests: on ppc64 by a real KVM-HV vCPU in HPT mode, in the
#    x86 guest through the module's KVM_MEMSLOT_PPC_HCALL and accesses.
# 3. Compares the TAP results test by test and number by number, prints
#    how many it compared, how many differ and how many are known
#    differences (named below: questions to the device itself), and fails
#    on any other difference.  A program that skips as a whole on
#    /dev/kvm (an extension-only test) and a result skipped on /dev/kvm are
#    not compared; a result the module skips where KVM-HV ran it is a
#    difference.
#
# Environment:
#   XARCH_PPC64_TESTS   selftests to compare (default: the ABI tests below)
#   XARCH_PPC64_BUILD   output directory (default tests/xarch/build-ppc64)
#   XARCH_PPC64_TIMEOUT whole-boot timeout of the ppc64 guest (600 s)
#   XARCH_PPC64_MEM     its memory in MiB (4096: KVM-HV vmallocs an rmap
#                       of at least one 64 KiB page per slot, and
#                       memslot_limits fills all 32767 slots)
#   XARCH_TEST_TIMEOUT  per test binary (300 s)
#   XARCH_PPC64_SKIP_X86=1  only the ppc64 guest (the oracle side)
#
# Outputs in the build directory: ppc64-console.log, ppc64-oracle.md (the
# probe's table), x86/ (the x86 guest's run.sh outputs), x86-results.log,
# compare.txt.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${XARCH_PPC64_BUILD:-$here/build-ppc64}
selftests=$root/tools/testing/selftests/kvm_memslot
cross=powerpc64le-linux-gnu-gcc
# The selftests whose every call is KVM's ABI, memslot_ppc_abi (the ppc
# type's own ABI test, where the backend has it), and an extension test,
# which must skip on /dev/kvm and is then not compared.  Not here: the
# guest-access tests (extension ioctls only), and memslot_large_slot,
# which needs an x86 /proc/cpuinfo (it skips on ppc64 for that reason).
tests="memslot_validation memslot_limits memslot_changes memslot_dirty_log"
tests="$tests memslot_vcpu memslot_fuzz memslot_create_vm memslot_ext_batch"
if [ -f "$selftests/memslot_ppc_abi.c" ]; then
	tests="$tests memslot_ppc_abi"
fi
tests=${XARCH_PPC64_TESTS:-$tests}
# KVM_MEMSLOT_VM_PPC_BOOK3S_HV of include/uapi/linux/kvm_memslot.h
ppc_type=$((2 << 16))

die() {
	echo "xarch-ppc64: error: $*" >&2
	# the x86 guest, if it is booting in the background
	if [ -n "${xpid:-}" ] && [ -s "$build/x86.pid" ]; then
		kill -- "-$(cat "$build/x86.pid")" 2>/dev/null
	fi
	exit 1
}
note() { echo "xarch-ppc64: $*" >&2; }
t0=$(date +%s)

command -v qemu-system-ppc64 >/dev/null || die "qemu-system-ppc64 missing (scripts/setup.sh installs qemu-system-ppc)"
command -v $cross >/dev/null || die "$cross missing (scripts/setup.sh installs gcc-powerpc64le-linux-gnu)"
"$here/ppc64-fetch.sh"
cache=$here/cache-ppc64
kver=$(cat "$cache/ready")
kdir=$cache/root/lib/modules/$kver/kernel

# --- the ppc64 guest ----------------------------------------------------------
rm -rf "$build"
stage=$build/initramfs
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,modules,tests,etc}
cp "$cache/root/bin/busybox" "$stage/bin/busybox"
cp "$kdir/arch/powerpc/kvm/kvm.ko" "$kdir/arch/powerpc/kvm/kvm-hv.ko" "$stage/modules/"
cflags="-O2 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -pthread -static"
$cross $cflags -o "$stage/tests/ppc64-probe" "$here/ppc64-probe.c"
$cross $cflags -DXARCH_ENGINE_KVM_HV -o "$stage/tests/ppc64-hcall" "$here/ppc64-hcall.c"
for t in $tests; do
	$cross $cflags -Wl,--wrap=ioctl -o "$stage/tests/$t" "$selftests/$t.c" \
		"$here/ppc64-kvm-type.c" || die "cannot cross-compile $t"
done
cp "$here/ppc64-init" "$stage/init"
chmod 755 "$stage/init"
cat >"$stage/etc/xarch.conf" <<CONF
PROGS="ppc64-probe ppc64-hcall $tests"
TEST_ARGS=--vm-type=$ppc_type
TEST_TIMEOUT=${XARCH_TEST_TIMEOUT:-300}
CONF
(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) >"$build/ppc64-initramfs.cpio"

# --- the x86 guest: the module's ppc VM type --------------------------------
# It boots in the background while the ppc64 guest runs (each TCG guest
# keeps one host CPU busy), so the lane takes about as long as the
# slower guest.
xlog=$build/x86-results.log
xpid=
if [ "${XARCH_PPC64_SKIP_X86:-0}" = 1 ]; then
	note "XARCH_PPC64_SKIP_X86=1: not booting the x86 guest"
	: >"$xlog"
else
	xt=
	# The hypercall script through the module's ioctls: it needs the
	# Book3S HV backend's uapi (KVM_MEMSLOT_PPC_HCALL).
	if gcc $cflags -o "$build/ppc64-hcall" "$here/ppc64-hcall.c" 2>"$build/ppc64-hcall-x86.err"; then
		xt="$build/ppc64-hcall"
	else
		note "cannot build ppc64-hcall for the module (no Book3S HV uapi yet?): see $build/ppc64-hcall-x86.err"
	fi
	for t in $tests; do
		[ -x "$selftests/build/$t" ] || die "$selftests/build/$t not built (make selftests)"
		xt="$xt $selftests/build/$t"
	done
	note "booting the x86 guest (tests/vm/run.sh), /dev/kvm-memslot with VM type $ppc_type"
	(
		s=$(date +%s)
		# its own process group, so that die() can stop QEMU with it
		VMTEST_BUILD_DIR=$build/x86 VMTEST_TESTS="${xt# }" VMTEST_DEMO=$here/ppc64-x86-run.sh \
		VMTEST_GUEST_ENV="XARCH_TESTS=$(echo ppc64-hcall $tests | tr ' ' ,) XARCH_VM_TYPE=$ppc_type XARCH_TEST_TIMEOUT=${XARCH_TEST_TIMEOUT:-300} XARCH_COMPARE_ALL=1" \
			setsid "$root/tests/vm/run.sh" >"$xlog" &
		echo $! >"$build/x86.pid"
		rc=0
		wait $! || rc=$?
		note "x86 guest ran $(($(date +%s) - s))s, run.sh exit status $rc"
		exit $rc
	) &
	xpid=$!
fi

# --- the ppc64 guest: boot ------------------------------------------------------
plog=$build/ppc64-console.log
note "booting $kver (powernv9, TCG, hash MMU), console: $plog"
s=$(date +%s)
set +e
timeout -k 10 "${XARCH_PPC64_TIMEOUT:-600}" qemu-system-ppc64 -M powernv9 -cpu power9 -accel tcg \
	-m "${XARCH_PPC64_MEM:-4096}" -smp 1 -nographic -nodefaults -serial stdio -monitor none -no-reboot \
	-device ipmi-bmc-sim,id=bmc0 -device isa-ipmi-bt,bmc=bmc0,irq=10 \
	-kernel "$cache/root/boot/vmlinux-$kver" -initrd "$build/ppc64-initramfs.cpio" \
	-append "console=hvc0 quiet disable_radix panic=-1" </dev/null 2>&1 |
	sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' >"$plog"
rc=${PIPESTATUS[0]}
set -e
note "ppc64 guest ran $(($(date +%s) - s))s, qemu exit status $rc"
grep -q '@@@XARCH DONE' "$plog" || { tail -n 40 "$plog"; die "the ppc64 guest did not finish"; }
grep -q '@@@XARCH DEVKVM yes' "$plog" || die "no /dev/kvm in the ppc64 guest (insmod kvm kvm-hv failed?)"
grep -q 'mmu=Hash' "$plog" || die "the ppc64 host did not boot with the hash MMU"
# The kernel's own log must be clean, as in the x86 lane.
if sed -n '/@@@XARCH DMESG BEGIN/,/@@@XARCH DMESG END/p' "$plog" |
   grep -E 'WARNING:|BUG:|Oops|Call Trace|kernel BUG|refcount_t'; then
	die "splat in the ppc64 guest's kernel log (above)"
fi
sed -n '/@@@XARCH BEGIN test=ppc64-probe@@@/,/@@@XARCH END test=ppc64-probe/p' "$plog" |
	grep '^|' >"$build/ppc64-oracle.md" || true

if [ -n "$xpid" ]; then
	wait "$xpid" || die "the x86 guest lane failed (see $build/x86/console.log)"
fi

# --- compare ----------------------------------------------------------------
# Guest time of each test (uptime seconds), to keep the lane short.
for f in "$plog" "$xlog"; do
	[ -s "$f" ] || continue
	sed -n 's/^@@@XARCH TIME test=\([^ ]*\) from=\([0-9.]*\)s to=\([0-9.]*\)s@@@$/\1 \2 \3/p' "$f" |
		awk -v side="$([ "$f" = "$plog" ] && echo ppc64 || echo x86)" \
			'{ s = s sprintf(" %s %.0fs", $1, $3 - $2) } END { if (s != "") print "xarch-ppc64: " side " guest:" s }' >&2
done

set +e
# The questions the selftests ask the device itself (the system fd): an
# x86 host's /dev/kvm-memslot answers them for x86, whatever VM types it
# offers, so they are listed here, shown, and not counted.  Nor is one
# leak of KVM-HV 6.1 the module does not copy: a KVM_CREATE_VCPU that
# fails for want of an fd (EMFILE) has already made the vCPU's vcore,
# which keeps the id taken (EINVAL on a retry); the module undoes the
# whole creation, so a retry succeeds.
"$here/ppc64-compare.sh" --label selftests \
	--device "system KVM_CHECK_EXTENSION(" \
	--device "KVM_CAP_MAX_VCPUS is" --device "KVM_CAP_MAX_VCPU_ID is" \
	--device "KVM_GET_VCPU_MMAP_SIZE is" \
	--leak "KVM_CREATE_VCPU of that id with one fd free succeeds" \
	"$plog" "$xlog" $tests | tee "$build/compare.txt"
rc=${PIPESTATUS[0]}
# Where the module deliberately waits for a slot update instead of
# entering an emulated-MMIO HPTE as KVM-HV does, a step may differ; such
# steps are named here (--wait).  None is: the script runs one vCPU and
# changes slots only between hypercalls, so no H_ENTER or store meets a
# slot in transition (the backend's own race tests cover that window).
"$here/ppc64-compare.sh" --label hypercalls "$plog" "$xlog" ppc64-hcall | tee -a "$build/compare.txt"
[ "${PIPESTATUS[0]}" = 0 ] || rc=1
set -e
note "wall time $(($(date +%s) - t0))s"
exit "$rc"
