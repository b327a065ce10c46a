// SPDX-License-Identifier: GPL-2.0-only
/*
 * Linked into the selftests the ppc64 oracle lane cross-compiles
 * (tests/xarch/ppc64.sh, -Wl,--wrap=ioctl): the tests run there with
 * --vm-type=KVM_MEMSLOT_VM_PPC_BOOK3S_HV, exactly as in the x86 guest, so
 * that they look the same reference up and print the same descriptions;
 * in-tree KVM-HV knows that VM as its default type 0, which this wrapper
 * passes to KVM_CREATE_VM instead.  The host boots with the hash MMU, so
 * a type-0 VM is an HPT guest, as the module's backend models.  Every
 * other call, and every other type, goes through unchanged.
 */
#include <stdarg.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "../../include/uapi/linux/kvm_memslot.h"

int __real_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	unsigned long arg;
	va_list ap;

	va_start(ap, req);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	if (req == KVM_CREATE_VM && arg == KVM_MEMSLOT_VM_PPC_BOOK3S_HV)
		arg = 0;
	return __real_ioctl(fd, req, arg);
}
