/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * kvm-memslot extension ABI.
 *
 * /dev/kvm-memslot speaks KVM's own ABI (<linux/kvm.h>) for everything
 * KVM has: the device, VM and vCPU ioctls keep KVM's numbers, structures
 * and errnos.  This header only adds what KVM does not have: the VM types
 * that select a backend, and extension ioctls.  Extension ioctls use their
 * own magic so that they can never be mistaken for a KVM ioctl, whichever
 * KVM version the caller was built against.
 */
#ifndef _UAPI_LINUX_KVM_MEMSLOT_H
#define _UAPI_LINUX_KVM_MEMSLOT_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * KVM_CREATE_VM types.  Each picks an architecture backend, and the VM
 * then reports and accepts what that architecture's in-tree KVM does
 * (address spaces, slot count, read-only slots, guest physical limit).
 * An unknown type fails with EINVAL, as in-tree x86 KVM does.
 *
 * KVM_MEMSLOT_VM_X86_EPT: x86 with two-dimensional paging in EPT format;
 * 2 address spaces (the second is SMM), 32764 user slots, read-only
 * slots, and no slot may end above the host's MAXPHYADDR.  It is 0 so
 * that a client written for /dev/kvm gets it by default.
 */
#define KVM_MEMSLOT_VM_X86_EPT		0

/*
 * Magic of the extension ioctls.  It is not KVM's (0xAE), and Linux 6.1's
 * ioctl-number registry does not list it.
 */
#define KVM_MEMSLOT_IO			0xBE

#endif /* _UAPI_LINUX_KVM_MEMSLOT_H */
