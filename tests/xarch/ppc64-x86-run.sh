#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs in the x86 guest of the ppc64 oracle lane (tests/xarch/ppc64.sh,
# through tests/vm/run.sh's demo mode): every test of $XARCH_TESTS (comma
# separated) against /dev/kvm-memslot with VM type $XARCH_VM_TYPE (the
# lane's own ppc64-* programs create their VMs themselves), between
# the same markers as the ppc64 guest prints.
for t in $(echo "$XARCH_TESTS" | tr , ' '); do
	t0=$(cut -d' ' -f1 /proc/uptime)
	echo "@@@XARCH BEGIN test=$t@@@"
	case $t in
	ppc64-*) args= ;;	# the lane's own programs pick their VM type
	*) args=--vm-type=$XARCH_VM_TYPE ;;
	esac
	timeout "${XARCH_TEST_TIMEOUT:-300}" /tests/$t $args /dev/kvm-memslot >/tmp/out 2>&1
	rc=$?
	cat /tmp/out
	echo "@@@XARCH END test=$t rc=$rc@@@"
	echo "@@@XARCH TIME test=$t from=${t0}s to=$(cut -d' ' -f1 /proc/uptime)s@@@"
done
