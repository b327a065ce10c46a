#!/bin/sh
# The main command's guest side (make demo): replay recorded QEMU memslot
# traces against /dev/kvm-memslot, showing the slot layout and what the
# update protocol did at every step, and compare every result with in-tree
# KVM in this same boot.
set -e
cd /payload
rc=0
for t in q35-dimm-migrate.trace pc-ivshmem-bar.trace; do
	[ -f "$t" ] || continue
	echo "================================================================"
	./memslot-demo "$t" || rc=1
done
exit $rc
