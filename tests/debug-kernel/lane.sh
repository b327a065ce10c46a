#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The debug-kernel guest lane ('make vmtest-debug'):
#  1. build (or reuse) the debug kernel (build.sh: KASAN, lockdep, PROVE_RCU,
#     kmemleak, DEBUG_ATOMIC_SLEEP, DEBUG_VM, DEBUG_LIST, SLUB_DEBUG, failslab);
#  2. build kvm_memslot.ko against it, from a copy of the sources
#     (build/module-src), so that the distribution build is left alone;
#  3. boot it with tests/vm/run.sh and run the whole suite (the selftests
#     and srcu_race) on /dev/kvm-memslot and /dev/kvm; then the fault-
#     injection pass (the selftests again under random failslab, and the
#     fail-nth sweep); kmemleak scans after the tests, after fault injection
#     and after the module unload; any splat or leak fails;
#  4. the negative test: a build with a test-only switch that frees replaced
#     slots without waiting for the grace period (KVM_MEMSLOT_TEST_EARLY_FREE)
#     or skips a synchronize_srcu (KVM_MEMSLOT_TEST_SKIP_GRACE), running
#     srcu_race (whose parked-fault case makes the use-after-free certain,
#     not a matter of timing): passes only if KASAN or lockdep reports it;
#  5. a summary per kernel (the distribution kernel's is the last
#     'make vmtest' run's, tests/vm/build/summary.txt).
#
# Environment: everything tests/vm/run.sh takes, plus
#   DEBUG_FAILSLAB_TESTS   test binaries run again under fault injection
#                          (default: the suite but memslot_limits, whose calls
#                          are creates and deletes that the other tests and
#                          the fail-nth sweep already fail at every allocation;
#                          under random failures it would only repeat them
#                          32764 times over)
#   DEBUG_SKIP_BROKEN=1    skip step 4
#   DEBUG_RACE_SECONDS     how long srcu_race runs (default 10)
#   DEBUG_MODULE_KCFLAGS   extra KCFLAGS for the module builds
#   DEBUG_EXCLUDE_TESTS    suite tests not run on the debug kernel (default:
#                          none)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=$here/build
bin=$cache/bin
selftests_build=$root/tools/testing/selftests/kvm_memslot/build
vmbuild=$root/tests/vm/build

die() { echo "vmtest-debug: error: $*" >&2; exit 1; }
note() { echo "vmtest-debug: $*" >&2; }

lane_start=$(date +%s)

# --- 1. the kernel ----------------------------------------------------------------
t0=$(date +%s)
env_out=$("$here/build.sh" --env) || die "debug kernel build failed"
eval "$env_out"
kernel_secs=$(($(date +%s) - t0))

# --- 2. the module and the helpers ---------------------------------------------
# build_module <dir> [KCFLAGS]: copy the module's sources to <dir>, build there.
build_module() {
	local dir=$1 kcflags=${2:-}
	mkdir -p "$dir"
	rsync -a --delete --delete-excluded \
		--exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' --exclude='*.mod' \
		--exclude='*.mod.c' --exclude='.*.d' --exclude='modules.order' \
		--exclude='Module.symvers' \
		--include='/Kbuild' --include='/Makefile' \
		--include='/include/***' --include='/virt/***' --include='/arch/***' \
		--exclude='*' \
		"$root/" "$dir/"
	kcflags="${DEBUG_MODULE_KCFLAGS:-} $kcflags"
	kcflags=${kcflags# }
	make -C "$DEBUG_KDIR" M="$dir" W=1 ${kcflags:+KCFLAGS="$kcflags"} modules \
		>"$dir.log" 2>&1 || { tail -n 30 "$dir.log" >&2; return 1; }
	[ -f "$dir/kvm_memslot.ko" ]
}

module_args=()
if [ -f "$root/Kbuild" ] && build_module "$cache/module-src"; then
	module_args=(VMTEST_MODULE="$cache/module-src/kvm_memslot.ko")
	note "kvm_memslot.ko built for $DEBUG_KREL"
elif [ "${VMTEST_ALLOW_NO_MODULE:-0}" = 1 ]; then
	note "kvm_memslot.ko does not build against $DEBUG_KREL (VMTEST_ALLOW_NO_MODULE=1: going on)"
	module_args=(VMTEST_MODULE="$cache/module-src/none.ko")
else
	die "kvm_memslot.ko does not build against the debug kernel (log: $cache/module-src.log)"
fi

mkdir -p "$bin"
cc=(gcc -O2 -Wall -Wextra -static)
"${cc[@]}" -o "$bin/failslab-run" "$here/failslab-run.c"
"${cc[@]}" -o "$bin/failslab_sweep" "$here/failslab_sweep.c"
"${cc[@]}" -pthread -DRACE_SECONDS="${DEBUG_RACE_SECONDS:-10}" -o "$bin/srcu_race" "$here/srcu_race.c"

# The suite: the selftests' manifest (as run.sh reads it) plus srcu_race.
tests=()
if [ -n "${VMTEST_TESTS:-}" ]; then
	read -r -a tests <<<"$VMTEST_TESTS"
elif [ -f "$selftests_build/TESTS" ]; then
	while read -r line; do
		line=${line%%#*}
		line=${line%"${line##*[![:space:]]}"}
		[ -n "$line" ] || continue
		case "$line" in
		/*) ;;
		*) if [ -e "$selftests_build/$line" ]; then line=$selftests_build/$line
		   else line=$root/$line; fi ;;
		esac
		tests+=("$line")
	done <"$selftests_build/TESTS"
fi
# in_list <space-separated list> <name>
in_list() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

# The suite less DEBUG_EXCLUDE_TESTS; the failslab pass less memslot_limits.
excluded=()
kept=()
fs_names=()
for t in ${tests[@]+"${tests[@]}"}; do
	n=$(basename "$t")
	if in_list "${DEBUG_EXCLUDE_TESTS:-}" "$n"; then
		excluded+=("$n")
		continue
	fi
	kept+=("$t")
	in_list memslot_limits "$n" || fs_names+=("$n")
done
tests=(${kept[@]+"${kept[@]}"})
fs_tests=${DEBUG_FAILSLAB_TESTS:-${fs_names[*]+${fs_names[*]}}}
tests+=("$bin/srcu_race")

# --- 3. the suite on the debug kernel -----------------------------------------
common=(KERNEL_VERSION="$DEBUG_KREL" VMTEST_KERNEL_IMAGE="$DEBUG_IMAGE"
	VMTEST_MODULES_DIR="$DEBUG_MODDIR" VMTEST_LABEL="debug"
	VMTEST_TIMEOUT="${VMTEST_TIMEOUT:-3000}" VMTEST_TEST_TIMEOUT="${VMTEST_TEST_TIMEOUT:-1800}")
t0=$(date +%s)
set +e
env "${common[@]}" "${module_args[@]}" VMTEST_BUILD_DIR="$vmbuild/debug" \
	VMTEST_TESTS="${tests[*]}" VMTEST_KMEMLEAK=1 \
	VMTEST_FAILSLAB="$fs_tests" VMTEST_FAILSLAB_SWEEP="$bin/failslab_sweep" \
	VMTEST_FAILSLAB_RUNNER="$bin/failslab-run" \
	"$root/tests/vm/run.sh"
debug_rc=$?
set -e
debug_secs=$(($(date +%s) - t0))

# --- 4. the deliberately broken build must be caught ---------------------------
broken_verdict="skipped (DEBUG_SKIP_BROKEN=1)"
broken_rc=0
broken_secs=0
if [ "${DEBUG_SKIP_BROKEN:-0}" != 1 ]; then
	switch=
	for s in KVM_MEMSLOT_TEST_EARLY_FREE KVM_MEMSLOT_TEST_SKIP_GRACE; do
		if grep -rqw "$s" "$root/virt" "$root/arch" "$root/include" --include='*.[ch]' 2>/dev/null; then
			switch=$s
			break
		fi
	done
	if [ -z "$switch" ]; then
		broken_verdict="SKIPPED: the core has no test switch yet (KVM_MEMSLOT_TEST_EARLY_FREE or KVM_MEMSLOT_TEST_SKIP_GRACE)"
		note "$broken_verdict"
	elif ! build_module "$cache/module-src-broken" "-D$switch"; then
		broken_verdict="FAILED: the -D$switch build does not compile (log: $cache/module-src-broken.log)"
		broken_rc=1
	else
		t0=$(date +%s)
		set +e
		# srcu_race parks a vCPU fault on a slot and deletes the slot
		# under it, so a module that frees early touches freed memory
		# at a known point; stop the guest at the first report rather
		# than let the corrupted module run on into a hang.
		env "${common[@]}" VMTEST_TIMEOUT=300 VMTEST_APPEND="oops=panic kasan.fault=panic" \
			VMTEST_MODULE="$cache/module-src-broken/kvm_memslot.ko" \
			VMTEST_BUILD_DIR="$vmbuild/debug-broken" VMTEST_TESTS="$bin/srcu_race" \
			"$root/tests/vm/run.sh" >"$cache/broken-lane.out" 2>&1
		lane_rc=$?
		set -e
		broken_secs=$(($(date +%s) - t0))
		log=$vmbuild/debug-broken/console.log
		report=$(grep -m1 -E 'BUG: KASAN|WARNING: suspicious RCU usage|WARNING: possible (circular|recursive)|BUG: sleeping function|WARNING: inconsistent lock state' "$log" || true)
		if [ "$lane_rc" != 0 ] && [ -n "$report" ]; then
			broken_verdict="caught as expected: -D$switch build gave \"${report#*] }\""
		else
			broken_verdict="FAILED: the -D$switch build was NOT caught (lane status $lane_rc, no KASAN/lockdep report; see $log)"
			broken_rc=1
		fi
	fi
fi

# --- 5. summary ------------------------------------------------------------------
echo
echo "#################### guest lane: both kernels ####################"
if [ -f "$vmbuild/summary.txt" ]; then
	echo "--- distribution kernel (last 'make vmtest', $(date -r "$vmbuild/summary.txt" '+%F %T')):"
	cat "$vmbuild/summary.txt"
else
	echo "--- distribution kernel: no summary (run 'make vmtest')"
fi
echo "--- debug kernel:"
if [ -f "$vmbuild/debug/summary.txt" ]; then cat "$vmbuild/debug/summary.txt"; else echo "(no summary)"; fi
[ ${#excluded[@]} -eq 0 ] || echo "--- not run on the debug kernel (DEBUG_EXCLUDE_TESTS): ${excluded[*]}"
echo "--- broken build (negative test): $broken_verdict"
if [ "$broken_rc" != 0 ] && [ -f "$cache/broken-lane.out" ]; then
	sed -n '/vmtest summary/,$p' "$cache/broken-lane.out"
fi
echo "--- times: kernel ${kernel_secs}s (cached: $(cat "$DEBUG_KDIR/.done")), debug suite ${debug_secs}s, broken build ${broken_secs}s, lane $(($(date +%s) - lane_start))s"
if [ "$debug_rc" = 0 ] && [ "$broken_rc" = 0 ]; then
	echo "vmtest-debug: PASSED"
	exit 0
fi
echo "vmtest-debug: FAILED"
exit 1
