# SPDX-License-Identifier: GPL-2.0-only
#
# Top-level targets for kvm-memslot.  The module itself is described by the
# Kbuild file; this Makefile only drives kbuild and the test lanes.
#
#   make [all]        build kvm_memslot.ko (W=1; add C=1 or C=2 for sparse)
#   make check        userspace unit tests (tests/Makefile)
#   make selftests    build the kselftests (tools/testing/selftests/kvm_memslot)
#   make vmtest       guest boot lane: QEMU/TCG, module + in-tree KVM, TAP
#   make demo         build, then boot a guest running tests/vm/payload/demo.sh
#   make vmtest-debug the guest lane again on a debug kernel (KASAN, lockdep,
#                     kmemleak, failslab) built from linux-source-6.1
#   make test         all + check + vmtest + vmtest-debug
#   make clean

ifneq ($(KERNELRELEASE),)
# Invoked by kbuild without the Kbuild file being picked up (should not
# happen: kbuild prefers Kbuild).  Fall back to it anyway.
include $(src)/Kbuild
else

# Newest installed kernel that has a build directory; override with KDIR=.
KDIR ?= $(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1)

SELFTESTS_DIR := tools/testing/selftests/kvm_memslot

.PHONY: all modules clean check selftests vmtest vmtest-debug demo test

all: modules

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "error: no kernel build dir (install linux-headers-amd64 or set KDIR=)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 $(if $(C),C=$(C)) modules

check:
	$(MAKE) -C tests check

selftests:
	$(MAKE) -C $(SELFTESTS_DIR)

vmtest: all selftests
	tests/vm/run.sh

# The debug kernel is built once and cached in tests/debug-kernel/build/.
vmtest-debug: all selftests
	tests/debug-kernel/lane.sh

# Recorded QEMU traces live in ../shared/traces; TRACES_DIR= overrides.
TRACES_DIR ?= $(abspath $(CURDIR)/../shared/traces)
DEMO_TRACES := $(wildcard $(TRACES_DIR)/q35-dimm-migrate.trace $(TRACES_DIR)/pc-ivshmem-bar.trace)

demo: all selftests
	$(MAKE) -C tools/memslot-trace
	VMTEST_DEMO=$(CURDIR)/tests/vm/payload/demo.sh \
	VMTEST_FILES="$(CURDIR)/tools/memslot-trace/memslot-demo $(DEMO_TRACES)" \
		tests/vm/run.sh

test: all check vmtest vmtest-debug

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	@if [ -f tests/Makefile ]; then $(MAKE) -C tests clean; fi
	@if [ -f $(SELFTESTS_DIR)/Makefile ]; then $(MAKE) -C $(SELFTESTS_DIR) clean; fi
	rm -rf tests/vm/build

endif
