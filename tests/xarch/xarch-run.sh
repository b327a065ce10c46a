#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# xarch-run.sh DEVICE VM_TYPE TIMEOUT DIR TEST...: run each selftest of DIR
# as "TEST --vm-type=VM_TYPE DEVICE" between the markers tap-compare.awk
# reads.  Shared by the cross-architecture lanes: the foreign guest runs it
# against its in-tree /dev/kvm, the x86 guest (tests/vm/run.sh demo mode)
# against /dev/kvm-memslot with the module's VM type of that architecture.
# XARCH_TAG, if set, is appended to each test's name in the markers (a
# second pass with another VM type).  The results are judged by the
# comparison, so this always exits 0.
dev=$1 type=$2 limit=$3 dir=$4
shift 4
for t in "$@"; do
	echo "@@@XARCH BEGIN test=$t${XARCH_TAG:-}@@@"
	timeout "$limit" "$dir/$t" "--vm-type=$type" "$dev" </dev/null 2>&1
	echo "@@@XARCH END test=$t${XARCH_TAG:-} rc=$?@@@"
done
exit 0
