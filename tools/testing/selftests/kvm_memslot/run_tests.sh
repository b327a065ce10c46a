#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# run_tests.sh [-d DEVICE] [TEST...]: run the kvm_memslot selftests the way
# kselftest's runner does (tools/testing/selftests/kselftest/runner.sh):
# one TAP line per run, the test's own output indented as "# " comments,
# the time limit of ./settings, exit status 4 reported as a skip.  Each
# test runs once per VM type (backend) the device offers, as listed by
# ./vm_types, with --vm-type=N and the device as its argument; a device
# that cannot be opened lists none, and each test then runs once (and
# skips).  Without TEST arguments, the tests are those of ./TESTS.
# Run it from the directory that holds the binaries (make run_tests does).
#
# Environment: KSELFTEST_TIMEOUT overrides the settings file's timeout.
# Exit status: 0 if every run passed or skipped, 1 otherwise.

dev=/dev/kvm-memslot
if [ "${1:-}" = -d ]; then
	dev=$2
	shift 2
fi
cd "$(dirname "$0")" || exit 1
[ $# -gt 0 ] || set -- $(sed -e 's/#.*//' TESTS)

timeout=45	# kselftest's default
if [ -r settings ]; then
	t=$(sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' settings)
	[ -n "$t" ] && timeout=$t
fi
timeout=${KSELFTEST_TIMEOUT:-$timeout}

types=$(./vm_types "$dev" 2>/dev/null | awk '{ print $1 ":" $2 }')
[ -n "$types" ] || types="0:default"
ntypes=$(echo $types | wc -w)

echo "TAP version 13"
echo "1..$(($# * ntypes))"
n=0
fail=0
out=${TMPDIR:-/tmp}/kvm_memslot_run_tests.$$
for t in "$@"; do
	for ty in $types; do
		n=$((n + 1))
		name="selftests: kvm_memslot: $t [vm type ${ty%%:*} ${ty#*:}]"
		echo "# $name"
		timeout "$timeout" "./$t" "--vm-type=${ty%%:*}" "$dev" >"$out" 2>&1
		rc=$?
		sed 's/^/# /' "$out"
		case $rc in
		0) echo "ok $n $name" ;;
		4) echo "ok $n $name # SKIP" ;;
		124|143)
			echo "#"
			echo "not ok $n $name # TIMEOUT $timeout seconds"
			fail=1 ;;
		*)
			echo "not ok $n $name # exit=$rc"
			fail=1 ;;
		esac
	done
done
rm -f "$out"
exit $fail
