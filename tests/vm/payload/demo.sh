#!/bin/sh
# The main command's guest side (make demo): tools/memslot-trace/memslot-demo
# on the recorded QEMU traces that were copied to /payload (the Makefile's
# DEMO_TRACES), on /dev/kvm-memslot (every VM type it offers) and on
# in-tree KVM.
cd /payload || exit 2
set --
for t in *.trace; do
	[ -f "$t" ] && set -- "$@" "$t"
done
exec ./memslot-demo "$@"
