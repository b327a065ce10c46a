#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest boot lane: boot the distribution kernel in QEMU (TCG, never KVM),
# load in-tree KVM (irqbypass, kvm, ccp, kvm-amd: TCG emulates SVM) and
# kvm_memslot.ko, run every selftest against /dev/kvm-memslot and /dev/kvm,
# load/unload the module, dump dmesg, power off; then check the log.
#
# Test binaries (the contract with the selftests Makefile):
#   tools/testing/selftests/kvm_memslot/build/TESTS lists one test binary per
#   line, as a path relative to that build/ directory (or absolute); blank
#   lines and lines starting with '#' are ignored.  Each binary takes the
#   device path as argv[1] and prints TAP on stdout.  Static binaries are
#   best; for dynamic ones the shared libraries reported by ldd are copied.
#   VMTEST_TESTS="path1 path2 ..." overrides the manifest.
#
# Everything in tests/vm/payload/ is copied to /payload in the guest, and
# so is every file named in VMTEST_FILES="path1 path2 ...".
#
# Environment:
#   KERNEL_VERSION          guest kernel (default: newest /boot/vmlinuz-* whose
#                           /lib/modules/<ver> has kvm-amd)
#   VMTEST_TIMEOUT          whole-boot timeout in seconds (default 1500)
#   VMTEST_TEST_TIMEOUT     per test binary run timeout in the guest (600)
#   VMTEST_MODULE           the module to test (default: kvm_memslot.ko at the
#                           repository root, as built by 'make')
#   VMTEST_ALLOW_NO_MODULE  1: a missing kvm_memslot.ko is not a failure; the
#                           /dev/kvm-memslot runs are reported as skipped
#   VMTEST_ALLOW_NO_TESTS   1: an empty test list is not a failure
#   VMTEST_DEMO=script      demo mode: /init runs the script (if it exists;
#                           else a built-in load/unload) instead of the tests;
#                           its output goes to stdout, the console to the log
#   VMTEST_VERBOSE=1        also copy the whole guest console to stdout
#   VMTEST_LOGLEVEL         guest console loglevel (default 4: errors and worse;
#                           the full kernel log is dumped at the end anyway)
#   VMTEST_SMP, VMTEST_MEM  guest CPUs (2) and memory in MiB (2048)
#   VMTEST_HOLD_TIMEOUT     seconds from the guest's DEVKVM mark to its
#                           KVMHOLD mark after which it is taken as hung and
#                           booted again, at most twice (120)
#   VMTEST_GUEST_ENV="K=V ..."  exported to the tests in the guest
#   VMTEST_KSFT_TESTS       tests also run through the selftests' run_tests.sh
#                           (kselftest's runner: once per VM type) on
#                           /dev/kvm-memslot (default: memslot_validation
#                           memslot_changes memslot_dirty_log, and the
#                           access, mm-coherence, stress, dirty-harvest and
#                           flush-race tests, and memslot_caps; "" for none)
#
# A second kernel (the debug-kernel lane, tests/debug-kernel/lane.sh):
#   VMTEST_KERNEL_IMAGE     boot this image instead of /boot/vmlinuz-<ver>;
#                           KERNEL_VERSION must then be its release
#   VMTEST_MODULES_DIR      its modules (default /lib/modules/<ver>): in-tree
#                           irqbypass, kvm and kvm-amd come from here; ccp is
#                           loaded only if kvm-amd depends on it or it exists
#   VMTEST_BUILD_DIR        where the initramfs, console log and summary go
#                           (default tests/vm/build)
#   VMTEST_LABEL            name of the kernel in the summary (default: distro)
#   VMTEST_APPEND           extra guest kernel command-line arguments
#   VMTEST_FAILSLAB="t..."  after the suite, run these test binaries again
#                           under slab fault injection (failslab, task-filtered,
#                           through VMTEST_FAILSLAB_RUNNER), and
#   VMTEST_FAILSLAB_SWEEP   this binary (systematic fail-nth sweep, strict TAP);
#                           both need a kernel with CONFIG_FAILSLAB
#   VMTEST_FAILSLAB_RUNNER  the wrapper that execs a test and then marks it
#                           make-it-fail (tests/debug-kernel/failslab-run.c)
#   VMTEST_FAILSLAB_PROBABILITY  percent of slab allocations failed (10)
#   VMTEST_FAILSLAB_DEVICES devices of the fault-injection pass (both)
#   VMTEST_KMEMLEAK=1       require kmemleak: scan after the tests and after the
#                           module unload, fail on any leak (kmemleak is used
#                           whenever the kernel has it; this makes it mandatory)
#
# Outputs: tests/vm/build/initramfs.cpio, tests/vm/build/console.log and
# tests/vm/build/summary.txt (the summary check-log.sh printed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${VMTEST_BUILD_DIR:-$here/build}
selftests_build=$root/tools/testing/selftests/kvm_memslot/build

die() { echo "vmtest: error: $*" >&2; exit 1; }
note() { echo "vmtest: $*" >&2; }

# --- the guest kernel -------------------------------------------------------
find_kmod() {	# find_kmod <kver> <path under kernel/ without .ko>
	local base=${VMTEST_MODULES_DIR:-/lib/modules/$1}/kernel/$2 ext
	for ext in .ko .ko.xz .ko.zst .ko.gz; do
		[ -e "$base$ext" ] && { echo "$base$ext"; return 0; }
	done
	return 1
}

if [ -n "${KERNEL_VERSION:-}" ]; then
	kver=$KERNEL_VERSION
else
	kver=
	for k in $(ls /boot/vmlinuz-* 2>/dev/null | sed 's|^/boot/vmlinuz-||' | sort -V -r); do
		if find_kmod "$k" arch/x86/kvm/kvm-amd >/dev/null; then
			kver=$k
			break
		fi
	done
	[ -n "$kver" ] || die "no /boot/vmlinuz-* with kvm-amd.ko in /lib/modules (install linux-image-amd64)"
fi
if [ -n "${VMTEST_KERNEL_IMAGE:-}" ]; then
	[ -n "${KERNEL_VERSION:-}" ] || die "VMTEST_KERNEL_IMAGE needs KERNEL_VERSION (the image's release)"
	kernel=$VMTEST_KERNEL_IMAGE
else
	kernel=/boot/vmlinuz-$kver
fi
[ -r "$kernel" ] || die "cannot read $kernel"
moddir=${VMTEST_MODULES_DIR:-/lib/modules/$kver}
label=${VMTEST_LABEL:-distro}

mode="test"
if [ -n "${VMTEST_DEMO:-}" ]; then
	mode=demo
fi

# --- staging the initramfs ----------------------------------------------------
stage=$build/initramfs
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,tmp,modules,tests,payload,lib,lib64}
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "busybox not found (install busybox-static)"
case "$(ldd "$busybox" 2>&1 || true)" in *"not a dynamic"*) ;; *) false ;; esac ||
	die "$busybox is not static (install busybox-static)"
cp "$busybox" "$stage/bin/busybox"
# Holds a VM on /dev/kvm for the whole run (see kvm-hold.c).
gcc -O2 -Wall -static -o "$stage/bin/kvm-hold" "$here/kvm-hold.c" ||
	die "cannot build tests/vm/kvm-hold.c"

put_kmod() {	# put_kmod <file> <name in guest>
	case "$1" in
	*.ko.xz)  xz -dc "$1" >"$stage/modules/$2.ko" ;;
	*.ko.zst) zstd -qdc "$1" >"$stage/modules/$2.ko" ;;
	*.ko.gz)  gzip -dc "$1" >"$stage/modules/$2.ko" ;;
	*)        cp "$1" "$stage/modules/$2.ko" ;;
	esac
}
# ccp is needed only when kvm-amd was built with SEV (the distribution
# kernel); a kernel without it (the debug kernel) loads kvm-amd alone.
kmods=
amd=$(find_kmod "$kver" arch/x86/kvm/kvm-amd) || die "missing arch/x86/kvm/kvm-amd.ko in $moddir"
need_ccp=0
case ",$(modinfo -F depends "$amd" 2>/dev/null || true)," in *,ccp,*) need_ccp=1 ;; esac
for m in virt/lib/irqbypass:irqbypass arch/x86/kvm/kvm:kvm \
	 drivers/crypto/ccp/ccp:ccp arch/x86/kvm/kvm-amd:kvm-amd; do
	if ! f=$(find_kmod "$kver" "${m%%:*}"); then
		[ "${m##*:}" = ccp ] && [ "$need_ccp" = 0 ] && continue
		die "missing ${m%%:*}.ko for $kver (in $moddir)"
	fi
	put_kmod "$f" "${m##*:}"
	kmods="$kmods ${m##*:}"
done

module=${VMTEST_MODULE:-$root/kvm_memslot.ko}
have_module=0
if [ -f "$module" ]; then
	vermagic=$(modinfo -F vermagic "$module" | awk '{print $1}')
	[ "$vermagic" = "$kver" ] ||
		die "kvm_memslot.ko is built for $vermagic but the guest kernel is $kver (set KDIR or KERNEL_VERSION)"
	cp "$module" "$stage/modules/kvm_memslot.ko"
	have_module=1
elif [ "${VMTEST_ALLOW_NO_MODULE:-0}" = 1 ]; then
	note "kvm_memslot.ko not built; /dev/kvm-memslot runs will be skipped (VMTEST_ALLOW_NO_MODULE=1)"
else
	die "kvm_memslot.ko not built (run 'make' first, or set VMTEST_ALLOW_NO_MODULE=1)"
fi

# Copy the shared libraries a dynamic executable needs, keeping their paths.
copy_libs() {
	local lib
	{ ldd "$1" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } | while read -r lib; do
		[ -e "$stage$lib" ] || cp -L --parents "$lib" "$stage"
	done
}

tests=()
if [ -n "${VMTEST_TESTS:-}" ]; then
	read -r -a tests <<<"$VMTEST_TESTS"
elif [ -f "$selftests_build/TESTS" ]; then
	while read -r line; do
		line=${line%%#*}
		line=${line%"${line##*[![:space:]]}"}	# trim trailing blanks
		[ -n "$line" ] || continue
		case "$line" in /*) ;; *) line=$selftests_build/$line ;; esac
		tests+=("$line")
	done <"$selftests_build/TESTS"
fi
names=()
for t in ${tests[@]+"${tests[@]}"}; do
	[ -f "$t" ] && [ -x "$t" ] || die "test binary $t missing or not executable"
	n=$(basename "$t")
	[ ! -e "$stage/tests/$n" ] || die "two test binaries named $n"
	cp "$t" "$stage/tests/$n"
	copy_libs "$t"
	names+=("$n")
done
if [ ${#names[@]} -eq 0 ] && [ "$mode" = test ]; then
	if [ "${VMTEST_ALLOW_NO_TESTS:-0}" = 1 ]; then
		note "no test binaries (VMTEST_ALLOW_NO_TESTS=1)"
	else
		die "no test binaries: $selftests_build/TESTS is missing or empty (run 'make selftests')"
	fi
fi

# kselftest's way of running them (run_tests.sh: every VM type of the
# device, TAP per run) for a few quick ones, on /dev/kvm-memslot.
ksft=()
if [ "$mode" = test ] && [ -x "$selftests_build/run_tests.sh" ] &&
   [ -x "$selftests_build/vm_types" ]; then
	for n in ${VMTEST_KSFT_TESTS-memslot_validation memslot_changes memslot_dirty_log \
		 memslot_access memslot_mm_coherence memslot_stress \
		 memslot_dirty_harvest memslot_flush_race memslot_caps}; do
		[ -e "$stage/tests/$n" ] && ksft+=("$n")
	done
	if [ ${#ksft[@]} -gt 0 ]; then
		cp "$selftests_build/run_tests.sh" "$selftests_build/vm_types" "$stage/tests/"
		[ -f "$selftests_build/settings" ] && cp "$selftests_build/settings" "$stage/tests/"
	fi
fi

# Slab fault-injection pass (debug kernel).
fs_names=()
fs_sweep=
if [ -n "${VMTEST_FAILSLAB:-}${VMTEST_FAILSLAB_SWEEP:-}" ] && [ "$mode" = test ]; then
	runner=${VMTEST_FAILSLAB_RUNNER:-}
	[ -n "$runner" ] && [ -x "$runner" ] || die "VMTEST_FAILSLAB needs VMTEST_FAILSLAB_RUNNER (an executable)"
	cp "$runner" "$stage/bin/failslab-run"
	copy_libs "$runner"
	for n in ${VMTEST_FAILSLAB:-}; do
		n=$(basename "$n")
		[ -e "$stage/tests/$n" ] || die "VMTEST_FAILSLAB: $n is not one of the test binaries"
		fs_names+=("$n")
	done
	if [ -n "${VMTEST_FAILSLAB_SWEEP:-}" ]; then
		[ -x "$VMTEST_FAILSLAB_SWEEP" ] || die "$VMTEST_FAILSLAB_SWEEP missing or not executable"
		fs_sweep=$(basename "$VMTEST_FAILSLAB_SWEEP")
		cp "$VMTEST_FAILSLAB_SWEEP" "$stage/tests/$fs_sweep"
		copy_libs "$VMTEST_FAILSLAB_SWEEP"
	fi
fi

if [ -d "$here/payload" ]; then
	cp -a "$here/payload/." "$stage/payload/"
fi
for f in ${VMTEST_FILES:-}; do
	[ -f "$f" ] || die "VMTEST_FILES: $f does not exist"
	cp "$f" "$stage/payload/"
done
find "$stage/payload" -type f -perm -u+x | while read -r f; do copy_libs "$f"; done

demo=
if [ "$mode" = demo ]; then
	if [ -f "$VMTEST_DEMO" ]; then
		cp "$VMTEST_DEMO" "$stage/payload/.demo.sh"
		demo=/payload/.demo.sh
	else
		note "demo script $VMTEST_DEMO does not exist yet: the guest will only load/unload kvm_memslot and show dmesg"
		demo=builtin
	fi
fi

cp "$here/init" "$stage/init"
chmod 755 "$stage/init"
cat >"$stage/etc/vmtest.conf" <<CONF
MODE=$mode
TESTS="${names[*]+${names[*]}}"
HAVE_MODULE=$have_module
TEST_TIMEOUT=${VMTEST_TEST_TIMEOUT:-600}
DEMO=$demo
KMODS="${kmods# }"
FAILSLAB_TESTS="${fs_names[*]+${fs_names[*]}}"
FAILSLAB_SWEEP="$fs_sweep"
FAILSLAB_PROBABILITY=${VMTEST_FAILSLAB_PROBABILITY:-10}
FAILSLAB_DEVICES="${VMTEST_FAILSLAB_DEVICES:-/dev/kvm-memslot /dev/kvm}"
KMEMLEAK=${VMTEST_KMEMLEAK:-0}
KSFT_TESTS="${ksft[*]+${ksft[*]}}"
GUEST_ENV="${VMTEST_GUEST_ENV:-}"
CONF

initrd=$build/initramfs.cpio
(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) >"$initrd"
note "kernel $kver ($label), initramfs $(du -h "$initrd" | cut -f1), ${#names[@]} test binaries, module: $([ $have_module = 1 ] && echo yes || echo no)"

# --- boot ------------------------------------------------------------------
log=$build/console.log
# Under TCG the guest's vCPUs are host threads that a busy 2-core host may
# not run for seconds: the soft-lockup and RCU-stall detectors would report
# that as lockups.  A real hang still fails, by the test and boot timeouts.
append="console=ttyS0 panic=-1 quiet loglevel=${VMTEST_LOGLEVEL:-4} log_buf_len=16M"
append+=" nosoftlockup rcupdate.rcu_cpu_stall_suppress=1"
# The NMI sent to a guest that is about to time out (see below) panics it
# with the backtraces of all CPUs.
append+=" unknown_nmi_panic panic_print=64"
append+="${VMTEST_APPEND:+ $VMTEST_APPEND}"
qemu=(qemu-system-x86_64 -accel tcg -cpu max -m "${VMTEST_MEM:-2048}" -smp "${VMTEST_SMP:-2}"
      -nodefaults -nographic -serial stdio -monitor none -no-reboot
      -chardev "pipe,id=mon0,path=$build/monitor" -mon chardev=mon0,mode=readline
      -kernel "$kernel" -initrd "$initrd" -append "$append")
timeout_s=${VMTEST_TIMEOUT:-1500}
note "booting (timeout ${timeout_s}s), console log: $log"

# Creating the first VM on /dev/kvm can hang the emulator itself (see
# tests/vm/kvm-hold.c): both vCPUs then loop with interrupts off, and
# nothing in the guest can report it.  A guest that has not marked
# KVMHOLD VMTEST_HOLD_TIMEOUT seconds after DEVKVM is stopped through the
# monitor and booted again, twice at most; a third hang fails the run.
hold_watch() {
	local since=
	while sleep 2; do
		grep -q '@@@VMTEST KVMHOLD' "$log" 2>/dev/null && return 0
		grep -q '@@@VMTEST DEVKVM yes' "$log" 2>/dev/null || continue
		since=${since:-$SECONDS}
		[ $((SECONDS - since)) -ge "${VMTEST_HOLD_TIMEOUT:-120}" ] || continue
		touch "$build/hold-hang"
		timeout 5 sh -c 'echo quit >"$1"' sh "$build/monitor.in"
		return 0
	done
}

for attempt in 1 2 3; do
rm -f "$build/hold-hang" "$log"
# A guest still running a minute before its timeout is stuck, possibly
# with every CPU spinning, where nothing inside it can report: an NMI from
# the QEMU monitor makes it panic and print what each CPU was doing.
rm -f "$build/monitor.in" "$build/monitor.out" "$build/nmi-sent"
mkfifo "$build/monitor.in" "$build/monitor.out"
nmi_after=$((timeout_s > 120 ? timeout_s - 60 : timeout_s / 2))
(
	trap 'kill $nap 2>/dev/null; exit 0' TERM
	sleep "$nmi_after" &
	nap=$!
	wait $nap
	# QEMU holds both FIFOs open; if it is gone, the open would block.
	timeout 5 sh -c 'echo nmi >"$1"' sh "$build/monitor.in" &&
		touch "$build/nmi-sent"
) </dev/null >/dev/null 2>&1 &
nmi_watch=$!

hold_watch </dev/null >/dev/null 2>&1 &
hold_watcher=$!

start=$(date +%s)
set +e
# Drop carriage returns and the firmware's terminal control sequences.
clean_console() { sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' -e 's/\x1bc//g'; }
# The demo's own output (between its markers) reaches the screen; the
# boot log and the rest of the console only go to the log file.
demo_only() { awk '/@@@VMTEST DEMO BEGIN@@@/ { on = 1; next }
		   /@@@VMTEST DEMO END/ { on = 0 }
		   on { print; fflush() }'; }
if [ "$mode" = demo ] && [ "${VMTEST_VERBOSE:-0}" != 1 ]; then
	note "the guest's console goes to $log; the demo's output follows"
	timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null 2>&1 | clean_console | tee "$log" | demo_only
	rc=${PIPESTATUS[0]}
elif [ "$mode" = demo ] || [ "${VMTEST_VERBOSE:-0}" = 1 ]; then
	timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null 2>&1 | clean_console | tee "$log"
	rc=${PIPESTATUS[0]}
else
	timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null 2>&1 | clean_console >"$log"
	rc=${PIPESTATUS[0]}
fi
kill $nmi_watch $hold_watcher 2>/dev/null
wait $nmi_watch $hold_watcher 2>/dev/null
set -e
rm -f "$build/monitor.in" "$build/monitor.out"
end=$(date +%s)
note "guest ran $((end - start))s, qemu exit status $rc"
if [ -e "$build/nmi-sent" ]; then
	# No panic after the NMI means that QEMU itself, not the guest, hung.
	if grep -q 'NMI received for unknown reason' "$log"; then
		note "the guest was stuck after ${nmi_after}s: sent it an NMI, it panicked (backtraces below)"
	else
		note "the guest was stuck after ${nmi_after}s: sent it an NMI, it did not react (QEMU hung?)"
	fi
fi

if [ -e "$build/hold-hang" ]; then
	if [ "$attempt" -lt 3 ]; then
		note "the guest hung creating its first VM on /dev/kvm (tests/vm/kvm-hold.c); booting it again"
		continue
	fi
	note "the guest hung creating its first VM on /dev/kvm at each of 3 boots"
fi
break
done
rm -f "$build/hold-hang"

fail=0
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	note "FAIL: guest did not finish within ${timeout_s}s (hang?)"
	fail=1
elif [ "$rc" != 0 ]; then
	note "FAIL: qemu exited with status $rc"
	fail=1
fi
args=(--mode "$mode" --label "$label")
[ "$have_module" = 1 ] || args+=(--no-module)
if [ "${VMTEST_KMEMLEAK:-0}" = 1 ]; then args+=(--require-kmemleak); fi
if [ ${#fs_names[@]} -gt 0 ] || [ -n "$fs_sweep" ]; then args+=(--require-failslab); fi
if ! grep -q '@@@VMTEST DONE@@@' "$log"; then
	echo "---- last 60 lines of $log ----"
	tail -n 60 "$log"
	echo "----"
fi
set +e
"$here/check-log.sh" "${args[@]}" "$log" | tee "$build/summary.txt.tmp"
[ "${PIPESTATUS[0]}" = 0 ] || fail=1
set -e
# Only the summary section (from its banner on) goes to summary.txt.
sed -n '/^====.* vmtest summary/,$p' "$build/summary.txt.tmp" >"$build/summary.txt"
rm -f "$build/summary.txt.tmp"
exit $fail
