#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# arm64 oracle lane (make xarch-arm64): the module's arm64 VM type, held to
# in-tree arm64 KVM 6.1 result for result.
#
# 1. Debian's arm64 kernel (tests/xarch/cache/arm64, put there by
#    scripts/setup.sh) boots under qemu-system-aarch64 -M virt with
#    virtualization=on, TCG: the kernel runs at EL2 and its built-in KVM
#    gives /dev/kvm.  The selftests, cross-compiled statically, and the
#    probe run there against /dev/kvm with VM type 0 (default IPA size).
# 2. At the same time the x86 guest lane (tests/vm/run.sh, demo mode) runs
#    the same selftests, built for x86, against /dev/kvm-memslot with
#    KVM_MEMSLOT_VM_ARM64 (IPA size 0).
# 3. tap-compare.awk compares the two: every plan, numbered result, exit
#    status and probe row; the lane fails on any difference.
#
# Outputs in tests/xarch/build/arm64/: oracle.log (the arm64 console),
# module.log (the x86 guest's runs), compared.txt (every compared result,
# "=" same or "!" different, with both sides), x86/ (tests/vm/run.sh's
# console log and summary).
#
# Environment:
#   XARCH_ARM64_TESTS   the selftests to run (default below: those whose
#                       results mean something on arm64 and do not skip on
#                       /dev/kvm as a whole; not memslot_limits, whose 32767
#                       slot creations take arm64 KVM over 3 minutes under
#                       TCG)
#   XARCH_ARM64_IPA32_TESTS  run again with a 32-bit IPA space (in-tree
#                       type 32, the module's KVM_MEMSLOT_VM_ARM64 | 32),
#                       their results tagged "@ipa32" (default below; must
#                       be among XARCH_ARM64_TESTS)
#   XARCH_MODULE_VM_TYPE  the module's VM type to compare (default
#                       KVM_MEMSLOT_VM_ARM64; another type only to try the
#                       lane itself, e.g. 0 for x86's)
#   XARCH_TEST_TIMEOUT  per test run, seconds (300)
#   XARCH_TIMEOUT       per guest boot, seconds (900)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$here/build/arm64
cache=$here/cache/arm64/root
selftests=$root/tools/testing/selftests/kvm_memslot

die() { echo "xarch-arm64: error: $*" >&2; exit 1; }
note() { echo "xarch-arm64: $*" >&2; }

tests=${XARCH_ARM64_TESTS:-memslot_validation memslot_changes memslot_dev_mode
	memslot_dirty_log memslot_create_vm memslot_vcpu memslot_fuzz
	memslot_trace_replay memslot_arm64_dirty_vcpu}
tests=$(echo $tests)
ipa32_tests=$(echo ${XARCH_ARM64_IPA32_TESTS-memslot_validation memslot_changes
	memslot_dirty_log memslot_arm64_dirty_vcpu})
test_timeout=${XARCH_TEST_TIMEOUT:-300}
timeout_s=${XARCH_TIMEOUT:-900}

kernel=$(ls "$cache"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
[ -n "$kernel" ] && [ -x "$cache/bin/busybox" ] ||
	die "no arm64 kernel or busybox in $cache: run scripts/setup.sh"
for c in qemu-system-aarch64 aarch64-linux-gnu-gcc; do
	command -v $c >/dev/null || die "$c missing: run scripts/setup.sh"
done
for t in $tests; do
	[ -x "$selftests/build/$t" ] || die "$selftests/build/$t missing: run make selftests"
done
for t in $ipa32_tests; do
	case " $tests " in *" $t "*) ;; *) die "XARCH_ARM64_IPA32_TESTS: $t is not in XARCH_ARM64_TESTS" ;; esac
done

# The module's VM type for arm64 with the default IPA size, from the uapi
# header (its value is the ABI, not this script's to know).
vm_type=$(printf '#include <linux/kvm_memslot.h>\nKVM_MEMSLOT_VM_ARM64\n' |
	  gcc -E -P -I "$root/include/uapi" - | tail -n 1 | sed 's/\([0-9]\)UL*/\1/g')
vm_type=$((${XARCH_MODULE_VM_TYPE:-$vm_type}))

lane_start=$(date +%s)
rm -rf "$build"
mkdir -p "$build/stage/bin" "$build/stage/tests" "$build/stage/etc" "$build/x86"

# --- arm64 binaries -----------------------------------------------------------
note "cross-compiling the selftests for arm64"
make -s -C "$selftests" CC=aarch64-linux-gnu-gcc OUT="$build/selftests" >&2
aarch64-linux-gnu-gcc -O2 -Wall -static -o "$build/stage/tests/arm64-probe" "$here/arm64-probe.c"
gcc -O2 -Wall -static -o "$build/x86/arm64-probe" "$here/arm64-probe.c"
for t in $tests; do
	cp "$build/selftests/$t" "$build/stage/tests/"
done
cp "$cache/bin/busybox" "$build/stage/bin/busybox"
cp "$here/arm64-init" "$build/stage/init"
cp "$here/xarch-run.sh" "$build/stage/bin/xarch-run.sh"
cat >"$build/stage/etc/xarch.conf" <<CONF
TESTS="arm64-probe $tests"
IPA32_TESTS="$ipa32_tests"
TEST_TIMEOUT=$test_timeout
VM_TYPE=0
CONF
(cd "$build/stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) >"$build/initramfs.cpio"

# --- the two guests, side by side ----------------------------------------------
# Both with 2 CPUs: KVM_CAP_NR_VCPUS is the host's online CPU count.
note "booting $(basename "$kernel") (arm64, TCG, EL2) and the x86 guest lane"
a64_start=$(date +%s)
(
	set +e
	timeout -k 10 "$timeout_s" qemu-system-aarch64 \
		-M virt,virtualization=on,gic-version=3 -cpu max -accel tcg \
		-m 1024 -smp 2 -nodefaults -nographic -serial stdio -monitor none \
		-no-reboot -kernel "$kernel" -initrd "$build/initramfs.cpio" \
		-append "console=ttyAMA0 panic=-1 quiet loglevel=4" </dev/null 2>&1 |
		sed -u 's/\r//g' >"$build/oracle.log"
	rc=${PIPESTATUS[0]}
	echo "$rc $(( $(date +%s) - a64_start ))" >"$build/oracle.rc"
) &
a64=$!

x86_tests=
for t in $tests; do x86_tests="$x86_tests $selftests/build/$t"; done
cat >"$build/x86/demo.sh" <<DEMO
sh /payload/xarch-run.sh /dev/kvm-memslot $vm_type $test_timeout /tests arm64-probe $tests
[ -z "$ipa32_tests" ] || XARCH_TAG=@ipa32 \
	sh /payload/xarch-run.sh /dev/kvm-memslot $((vm_type | 32)) $test_timeout /tests $ipa32_tests
DEMO
x86_start=$(date +%s)
set +e
VMTEST_DEMO="$build/x86/demo.sh" VMTEST_FILES="$here/xarch-run.sh" \
	VMTEST_TESTS="$build/x86/arm64-probe$x86_tests" VMTEST_BUILD_DIR="$build/x86" \
	VMTEST_TIMEOUT="$timeout_s" VMTEST_TEST_TIMEOUT="$test_timeout" VMTEST_SMP=2 \
	"$root/tests/vm/run.sh" >"$build/module.log" 2>"$build/x86/run.err"
x86_rc=$?
x86_time=$(( $(date +%s) - x86_start ))
wait $a64
set -e
read -r a64_rc a64_time <"$build/oracle.rc" || { a64_rc=lost; a64_time=?; }

fail=0
note "arm64 guest: ${a64_time}s, qemu exit status $a64_rc; x86 guest lane: ${x86_time}s, status $x86_rc"
if [ "$a64_rc" != 0 ] || ! grep -q '^@@@XARCH DONE' "$build/oracle.log"; then
	note "FAIL: the arm64 guest did not finish (last lines of $build/oracle.log below)"
	tail -n 40 "$build/oracle.log" >&2
	fail=1
fi
grep -q '^@@@XARCH DEVKVM yes' "$build/oracle.log" || { note "FAIL: no /dev/kvm in the arm64 guest"; fail=1; }
if grep -q '^@@@XARCH SPLAT' "$build/oracle.log"; then
	note "FAIL: the arm64 kernel logged a WARNING/BUG (see $build/oracle.log)"
	fail=1
fi
boot=$(sed -n 's/^@@@XARCH BOOTED .* uptime=\([0-9.]*\)s@@@/\1/p' "$build/oracle.log")
[ -n "$boot" ] && note "arm64 kernel booted to /init in ${boot}s (guest uptime)"
if [ "$x86_rc" != 0 ]; then
	note "FAIL: the x86 guest lane failed (tests/vm/run.sh, status $x86_rc):"
	cat "$build/x86/run.err" >&2
	fail=1
fi

# --- the comparison ---------------------------------------------------------------
note "oracle: $(grep -c '^not ok' "$build/oracle.log" || true) not-ok results on arm64 /dev/kvm;" \
     "module: $(grep -c '^not ok' "$build/module.log" || true) on /dev/kvm-memslot type $vm_type"
set +e
awk -f "$here/tap-compare.awk" -v list="$build/compared.txt" \
	"$build/oracle.log" "$build/module.log"
cmp_rc=$?
set -e
[ "$cmp_rc" = 0 ] || fail=1
note "every compared result: $build/compared.txt; lane wall time $(( $(date +%s) - lane_start ))s"
[ "$fail" = 0 ] && note "PASS" || note "FAIL"
exit $fail
