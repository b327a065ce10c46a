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
#   make install      install the module (kbuild modules_install), the udev
#                     rule for /dev/kvm-memslot and the uapi header; honours
#                     DESTDIR= (and INSTALL_MOD_PATH=, default $(DESTDIR))
#   make install-check run "make install" into a scratch DESTDIR and check
#                     what it installed (scripts/check-install.sh)
#   make dkms-check   dkms add/build/remove of a scratch copy (needs root)
#   make docs         Documentation/ as HTML (Sphinx), warnings are errors
#   make test         all + check + install-check + dkms-check + docs +
#                     vmtest + xarch-arm64 + xarch-ppc64 + vmtest-debug
#   make xarch-arm64  arm64 oracle lane: in-tree arm64 KVM booted under TCG
#                     (tests/xarch/arm64.sh) against the module's arm64 type
#   make xarch-ppc64  PowerPC oracle lane: Debian's ppc64el kernel with
#                     in-tree KVM-HV under qemu-system-ppc64 (TCG) against
#                     the module's Book3S HV VM type (tests/xarch/ppc64.sh)
#   make bench        boot guests (1 and 2 CPUs), time slot updates on
#                     /dev/kvm-memslot against /dev/kvm: table, JSON, plot
#   make clean

ifneq ($(KERNELRELEASE),)
# Invoked by kbuild without the Kbuild file being picked up (should not
# happen: kbuild prefers Kbuild).  Fall back to it anyway.
include $(src)/Kbuild
else

# Newest installed kernel that has a build directory; override with KDIR=.
KDIR ?= $(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1)

SELFTESTS_DIR := tools/testing/selftests/kvm_memslot

# These commands install what they need first (scripts/setup.sh: missing
# Debian packages of scripts/debian-packages and the foreign kernels of
# tests/xarch; a dpkg query when nothing is missing).  It runs while this
# file is read, so before any prerequisite is built.
ifneq ($(filter demo test xarch-arm64 xarch-ppc64,$(MAKECMDGOALS)),)
ifneq ($(shell scripts/setup.sh >&2 && echo ok),ok)
$(error scripts/setup.sh failed: see above)
endif
endif

.PHONY: all modules clean check selftests vmtest vmtest-debug demo test \
	install install-check dkms-check docs

all: modules

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "error: no kernel build dir (install linux-headers-amd64 or set KDIR=)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 $(if $(C),C=$(C)) modules

check:
	$(MAKE) -C tests check

# Everything is installed below $(DESTDIR): the module where kbuild puts
# external modules (/lib/modules/<release>/extra), the udev rule where
# packages put theirs, the extension ABI next to <linux/kvm.h>.
DESTDIR ?=
INSTALL_MOD_PATH ?= $(DESTDIR)
UDEV_RULES_DIR := /usr/lib/udev/rules.d
UAPI_DIR := /usr/include/linux

install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) modules_install
	install -D -m 0644 udev/65-kvm-memslot.rules \
		$(DESTDIR)$(UDEV_RULES_DIR)/65-kvm-memslot.rules
	install -D -m 0644 include/uapi/linux/kvm_memslot.h \
		$(DESTDIR)$(UAPI_DIR)/kvm_memslot.h

install-check: modules
	scripts/check-install.sh

selftests:
	$(MAKE) -C $(SELFTESTS_DIR)

vmtest: all selftests
	tests/vm/run.sh

# Debian's arm64 kernel under qemu-system-aarch64 (TCG, EL2) runs the
# selftests against its /dev/kvm; the x86 guest runs them against the
# module's arm64 VM type; any difference fails (tests/xarch/arm64.sh).
.PHONY: xarch-arm64
xarch-arm64: all selftests
	tests/xarch/arm64.sh

# The debug kernel is built once and cached in tests/debug-kernel/build/.
vmtest-debug: all selftests
	tests/debug-kernel/lane.sh

# Recorded QEMU traces live in ../shared/traces; TRACES_DIR= overrides.
TRACES_DIR ?= $(abspath $(CURDIR)/../shared/traces)
DEMO_TRACES := $(wildcard $(TRACES_DIR)/q35-dimm-migrate.trace $(TRACES_DIR)/pc-ivshmem-bar.trace)
# Without them (a clone on its own), the project's recordings of the same
# machines.
ifeq ($(DEMO_TRACES),)
DEMO_TRACES := $(wildcard tools/memslot-trace/fixtures/q35-dimm-migrate-stopped.trace \
			  tools/memslot-trace/fixtures/pc-ivshmem-bar-stopped.trace)
endif

demo: all selftests
	$(MAKE) -C tools/memslot-trace
	VMTEST_DEMO=$(CURDIR)/tests/vm/payload/demo.sh \
	VMTEST_FILES="$(CURDIR)/tools/memslot-trace/memslot-demo $(DEMO_TRACES)" \
		tests/vm/run.sh

# dkms.conf builds the module against the installed headers (a scratch
# copy in /usr/src, removed again).
dkms-check:
	scripts/check-dkms.sh

# Documentation/ as HTML in Documentation/output, with the headers'
# kernel-doc; any warning fails (a few seconds).
docs:
	sphinx-build -W -q -b html Documentation Documentation/output

test: all check install-check dkms-check docs vmtest xarch-arm64 xarch-ppc64 \
	vmtest-debug

# Debian's ppc64el kernel with KVM-HV under qemu-system-ppc64 (powernv9,
# TCG) against the module's Book3S HV VM type, selftests and a hypercall
# script (tests/xarch/ppc64.sh).
.PHONY: xarch-ppc64
xarch-ppc64: all selftests
	tests/xarch/ppc64.sh

# Not part of 'test': it prints figures and asserts nothing about time.
.PHONY: bench
bench: all
	tools/memslot-bench/bench.sh

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	@if [ -f tests/Makefile ]; then $(MAKE) -C tests clean; fi
	@if [ -f $(SELFTESTS_DIR)/Makefile ]; then $(MAKE) -C $(SELFTESTS_DIR) clean; fi
	$(MAKE) -C tools/memslot-bench clean
	rm -rf tests/vm/build Documentation/output

endif
